package wire

import (
	"bytes"
	"context"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAnalyze feeds arbitrary bytes through the reader, decoder, flow
// tracker and recognisers. Seeds: every shared capture (the large ones cut
// to their first 12 KB (small seeds keep minimisation quick), which also gives a capture cut mid-packet).
func FuzzAnalyze(f *testing.F) {
	if dir := pcapDirNoSkip(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if len(b) > 12*1024 {
				b = b[:12*1024]
			}
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0xff})
	sigs := fixtureSignatures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, _ := Analyze(context.Background(), bytes.NewReader(data), "fuzz.pcap", Options{Signatures: sigs, MaxFlows: 64})
		if rep == nil {
			t.Fatal("nil report")
		}
		if uint64(len(rep.Flows)) > rep.Stats.Flows {
			t.Fatalf("%d flows reported, %d counted", len(rep.Flows), rep.Stats.Flows)
		}
		for _, fl := range rep.Flows {
			if fl.Tool == "" && fl.Verdict != "" {
				t.Fatalf("verdict without tool: %+v", fl)
			}
		}
	})
}

// pcapDirNoSkip is pcapDir for fuzz seeding: "" when the captures are absent.
func pcapDirNoSkip() string {
	if p, ok := shared.File("pcaps"); ok {
		return p
	}
	return ""
}
