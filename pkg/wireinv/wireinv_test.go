package wireinv

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire"
)

// TestLiveOffsetsDropped: a live capture's packets have no file offset (-1);
// the inventory says "no offset" (0) and the wire report keeps its own
// values; a file's offsets pass through untouched, evidence shared.
func TestLiveOffsetsDropped(t *testing.T) {
	live := []evidence.Evidence{{Kind: evidence.KindPacket, Offset: -1, RecordID: 7}, {Kind: evidence.KindPacket, Offset: -1, RecordID: 9}}
	file := []evidence.Evidence{{Kind: evidence.KindPacket, Offset: 4096, RecordID: 3}}
	rep := &wire.Report{Name: "lo", Records: []session.Record{{Tool: "vnc", Evidence: live}, {Tool: "vnc", Evidence: file}}}
	inv := FromReport(rep, nil)
	if len(inv.Sessions) != 2 {
		t.Fatalf("%d sessions", len(inv.Sessions))
	}
	got := inv.Sessions[0].Evidence
	if len(got) != 2 || got[0].Offset != 0 || got[1].Offset != 0 || got[1].RecordID != 9 {
		t.Errorf("live evidence %+v", got)
	}
	if live[0].Offset != -1 || live[1].Offset != -1 {
		t.Errorf("the wire report was changed: %+v", live)
	}
	if f := inv.Sessions[1].Evidence; len(f) != 1 || f[0].Offset != 4096 || &f[0] != &file[0] {
		t.Errorf("file evidence %+v", f)
	}
}

// TestCapturingHostNoted: the capture's status says which addresses
// directions are relative to and how they were chosen, and asks for
// --local-ip whenever they were only inferred or not found.
func TestCapturingHostNoted(t *testing.T) {
	lo, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	for _, c := range []struct {
		by    string
		local []netip.Addr
		want  []string
		not   string
	}{
		{"capture-host", []netip.Addr{lo, v6}, []string{"127.0.0.1, ::1", "this machine's own interface addresses"}, "--local-ip"},
		{"option", []netip.Addr{lo}, []string{"host 127.0.0.1 (", "given with --local-ip"}, "inferred"},
		{"dns-client", []netip.Addr{lo}, []string{"inferred", "DNS", "give --local-ip"}, ""},
		{"most-flows", []netip.Addr{lo}, []string{"inferred", "most flows", "give --local-ip"}, ""},
		{"undetermined", nil, []string{"undetermined", "directions are unknown", "give --local-ip"}, "127.0.0.1"},
		{"some-new-rule", []netip.Addr{lo}, []string{"host 127.0.0.1 (some-new-rule)"}, "undetermined"},
	} {
		inv := FromReport(&wire.Report{Name: "c.pcap", Local: c.local, LocalBy: c.by}, nil)
		if len(inv.Statuses) != 1 || len(inv.Statuses[0].Notes) != 1 {
			t.Fatalf("%s: statuses %+v", c.by, inv.Statuses)
		}
		n := inv.Statuses[0].Notes[0]
		for _, w := range c.want {
			if !strings.Contains(n, w) {
				t.Errorf("%s: note %q lacks %q", c.by, n, w)
			}
		}
		if c.not != "" && strings.Contains(n, c.not) {
			t.Errorf("%s: note %q has %q", c.by, n, c.not)
		}
	}
}

// TestFlowEvidenceTime: a flow's evidence points at the packet that
// identified it, and carries that packet's time, not the flow's first.
func TestFlowEvidenceTime(t *testing.T) {
	first := time.Date(2021, 2, 22, 7, 6, 35, 379986000, time.UTC) // the SYN
	label := time.Date(2021, 2, 22, 7, 6, 35, 391710000, time.UTC) // the packet that named the tool
	f := &wire.Flow{Tool: "anydesk", First: first, Last: label.Add(time.Minute),
		FirstPacket: wire.PacketRef{Packet: 5, Offset: 400, Time: first},
		Label:       &wire.PacketRef{Packet: 11, Offset: 1900, Time: label}}
	inv := FromReport(&wire.Report{Name: "x.pcap", Flows: []*wire.Flow{f}}, nil)
	if len(inv.Flows) != 1 {
		t.Fatalf("%d flows", len(inv.Flows))
	}
	ev := inv.Flows[0].Evidence
	if ev.RecordID != 11 || ev.Offset != 1900 || ev.Time == nil || !ev.Time.Equal(label) || !inv.Flows[0].First.Equal(first) {
		t.Errorf("evidence packet %d offset %d time %v, flow first %v", ev.RecordID, ev.Offset, ev.Time, inv.Flows[0].First)
	}
}
