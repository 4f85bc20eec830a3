package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// checkRecords verifies the session records of a report: one per session and
// per attempt, with packet evidence whose offset is a real packet record.
func checkRecords(t *testing.T, rep *Report) {
	t.Helper()
	want := 0
	for _, f := range rep.Flows {
		if f.Verdict == VerdictSession || f.Verdict == VerdictAttempt && f.By != ByPort && f.By != ByIPRange {
			want++
		}
	}
	if len(rep.Records) != want {
		t.Errorf("%d records, want %d", len(rep.Records), want)
	}
	data, err := os.ReadFile(rep.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Records {
		// A session still running when the capture ended has no end.
		if r.Parser != Parser || r.Tool == "" || r.Start == nil || (r.End == nil) != r.Open || r.RemoteIP == "" {
			t.Errorf("incomplete record %+v", r)
		}
		if r.Outcome == session.Established && !r.IsSession() {
			t.Errorf("established record not a session")
		}
		// A TCP attempt still open when the capture ended (no FIN or RST)
		// has no known outcome and no end; a closed one, or a failure
		// the capture shows, has both.
		if len(r.Evidence) > 0 && r.Evidence[0].Socket != nil {
			sk := r.Evidence[0].Socket
			open := sk.State == "end-of-capture" && sk.Proto == "tcp" && r.Outcome == session.AttemptOnly
			if r.OutcomeUnlogged != open || open && (r.End != nil || !r.Open) {
				t.Errorf("%s %s:%d state %s: outcome_unlogged %v, end %v", r.Outcome, r.RemoteIP, r.RemotePort, sk.State, r.OutcomeUnlogged, r.End)
			}
		}
		if len(r.Evidence) == 0 {
			t.Errorf("record without evidence: %+v", r)
		}
		for _, ev := range r.Evidence {
			if ev.Kind != evidence.KindPacket || ev.Path != rep.Name || ev.RecordID == 0 || ev.Socket == nil || ev.Offset <= 0 {
				t.Errorf("bad evidence %+v", ev)
				continue
			}
			if !isRecordAt(data, ev.Offset) {
				t.Errorf("evidence offset %d (packet %d) is not a packet record", ev.Offset, ev.RecordID)
			}
		}
	}
}

// isRecordAt checks that a packet record starts at off: a pcapng packet
// block, or a classic pcap record header whose lengths fit.
func isRecordAt(data []byte, off int64) bool {
	if off+16 > int64(len(data)) {
		return false
	}
	if binary.LittleEndian.Uint32(data) == 0x0a0d0d0a {
		switch binary.LittleEndian.Uint32(data[off:]) {
		case 2, 3, 6:
			return true
		}
		return false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(data) == 0xa1b2c3d4 || binary.BigEndian.Uint32(data) == 0xa1b23c4d {
		order = binary.BigEndian
	}
	capLen := int64(order.Uint32(data[off+8:]))
	origLen := int64(order.Uint32(data[off+12:]))
	return capLen <= origLen && off+16+capLen <= int64(len(data))
}

// TestTruncatedCapture cuts a real capture in the middle of a packet: what
// was read is still reported, and the error names the offset.
func TestTruncatedCapture(t *testing.T) {
	dir := pcapDir(t)
	for _, name := range []string{"ndpi/anydesk-2_2021_lan_direct_session.pcap", "ndpi/teamviewer_2022_full.pcap"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			// Find the record that covers 70% of the file and cut inside it.
			pr, err := pcapfile.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var cutRecord int64
			var before uint64
			for {
				p, err := pr.Next()
				if err != nil {
					t.Fatal("no record covers 70%")
				}
				if p.Offset+int64(p.CapLen) > int64(len(data))*7/10 && p.CapLen > 100 {
					cutRecord = p.Offset
					before = p.Index - 1
					break
				}
			}
			cut := data[:cutRecord+40]
			rep, err := Analyze(context.Background(), bytes.NewReader(cut), name, Options{Signatures: fixtureSignatures(t)})
			if err == nil {
				t.Fatal("no error for a capture cut mid-packet")
			}
			var perr *pcapfile.Error
			if !errors.As(err, &perr) || perr.Offset != cutRecord || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v: want a pcapfile.Error at offset %d", err, cutRecord)
			}
			if !strings.Contains(rep.Error, "offset ") || rep.Stats.Packets != before {
				t.Errorf("report error %q, packets %d (want %d)", rep.Error, rep.Stats.Packets, before)
			}
			if len(rep.Tools) == 0 {
				t.Errorf("no tool reported from the readable part")
			}
		})
	}
}

// TestBuiltinSignatures runs with the embedded signature set (whatever files
// it has now): the protocol-recognised tools must not depend on it, and the
// AnyDesk relay names must be attributed when its signature is present.
func TestBuiltinSignatures(t *testing.T) {
	dir := pcapDir(t)
	sigs, err := signature.Builtin(signature.Options{})
	if err != nil {
		t.Skipf("built-in signatures do not load right now: %v", err)
	}
	rep, err := analyzeFile(t, filepath.Join(dir, "ndpi/anydesk-2_2021_lan_direct_session.pcap"), Options{Signatures: sigs})
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Tool(ToolAnyDesk)
	if tr == nil || tr.Verdict != VerdictSession || tr.Direction != session.Incoming {
		t.Fatalf("anydesk: %+v", tr)
	}
	if sigs.Get("anydesk") != nil && len(tr.Names) != 2 {
		t.Errorf("relay names %v, want the two relay-*.net.anydesk.com lookups", tr.Names)
	}
	for _, id := range []string{"teamviewer", "windows-rdp", "realvnc"} {
		if sigs.Get(id) == nil {
			t.Logf("note: no built-in signature %q yet", id)
		}
	}
}

// TestOpenAtCaptureEnd: rdp-x509.pcap (SOURCES.md: the handshake through
// the MCS response, result=Success, client JOHN-PC-LAPTOP) ends with the
// connection open — tshark shows no FIN or RST in its 15 packets, the first
// (SYN) at 1423755591.055977 from 192.168.1.1:54990. What followed the MCS
// response is not in the capture, so the record is not "an attempt that did
// not get in": its outcome is unknown and it has no end.
func TestOpenAtCaptureEnd(t *testing.T) {
	rep, err := analyzeFile(t, filepath.Join(pcapDir(t), "zeek", "rdp_rdp-x509.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Records) != 1 {
		t.Fatalf("%d records, want 1", len(rep.Records))
	}
	r := rep.Records[0]
	if r.Outcome != session.AttemptOnly || !r.OutcomeUnlogged || r.End != nil || !r.Open ||
		r.Start.Format(time.RFC3339Nano) != "2015-02-12T15:39:51.055977Z" ||
		r.RemoteIP != "192.168.1.1" || r.RemotePort != 54990 || r.RemoteName != "JOHN-PC-LAPTOP" {
		t.Fatalf("record %s unlogged=%v open=%v start=%v end=%v peer %s:%d %q", r.Outcome, r.OutcomeUnlogged, r.Open, r.Start, r.End, r.RemoteIP, r.RemotePort, r.RemoteName)
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "still open when the capture ended (no FIN or RST), last seen 2015-02-12T15:40:05.227945Z") {
		t.Errorf("notes %q", r.Notes)
	}
}

// TestRFBChosenSecurityType: in rfb_00-vnc-openwall-3.7.pcap the server
// offers TLS (18) first and VNC (2) next (frame 7), and the client picks
// VNC (frame 8, tshark's vnc.client_security_type 2): the session's auth
// method is the one picked, not the first offered.
func TestRFBChosenSecurityType(t *testing.T) {
	rep, err := analyzeFile(t, filepath.Join(pcapDir(t), "suricata-verify", "rfb_00-vnc-openwall-3.7.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Records) != 1 || rep.Records[0].AuthMethod != "VNC" || rep.Records[0].Outcome != session.Established {
		for _, r := range rep.Records {
			t.Logf("%s %s", r.Outcome, r.AuthMethod)
		}
		t.Fatalf("%d records, want one established with auth VNC", len(rep.Records))
	}
}

// TestAttemptDirectionNote: in anydesk-2 the capturing host is known
// (192.168.1.187, from its DNS lookups); the reverse 7070 attempt from
// 192.168.1.178:52039 was reset before either side sent a screen, so its
// note says that, not that the capturing host is unknown.
func TestAttemptDirectionNote(t *testing.T) {
	rep, err := analyzeFile(t, filepath.Join(pcapDir(t), "ndpi", "anydesk-2_2021_lan_direct_session.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Records {
		if r.Outcome != session.AttemptOnly {
			continue
		}
		n++
		notes := strings.Join(r.Notes, " | ")
		if r.RemotePort != 52039 || r.Direction != session.DirectionUnknown ||
			!strings.Contains(notes, "which side would be controlled is not shown") || strings.Contains(notes, "capturing host not known") {
			t.Errorf("attempt %s:%d %s: %s", r.RemoteIP, r.RemotePort, r.Direction, notes)
		}
	}
	if n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}
