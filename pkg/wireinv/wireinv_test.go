package wireinv

import (
	"testing"

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
