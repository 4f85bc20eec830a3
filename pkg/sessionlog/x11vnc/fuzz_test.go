package x11vnc

import (
	"bytes"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
	"os"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{sampleNoAuth, samplePasswd} {
		if p, ok := sampleFile(s); ok {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(lines(
		"21/11/2026 11:13:20 Got connection from client 10.1.2.3",
		"21/11/2026 11:13:20 incr accepted_client=2 for 10.1.2.3:38744  sock=11",
		"21/11/2026 11:13:20 Client Protocol Version 3.3",
		"21/11/2026 11:13:20 Pixel format for client 10.1.2.3:",
		"21/11/2026 11:13:24 Client 10.1.2.3 gone",
		"21/11/2026 11:13:24 Statistics             events    Received/ RawEquiv ( saved)",
		"21/11/2026 11:13:24  KeyEvent            :      2 |        16/       16 (  0.0%)",
		"21/11/2026 11:13:24  TOTALS              :      4 |        32/       32 (  0.0%)",
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f.log", R: bytes.NewReader(data), Location: time.UTC})
		if err != nil {
			return
		}
		for i, r := range res.Sessions {
			if r.Tool != "x11vnc" || r.Parser != name || r.Outcome == "" || r.Key == "" {
				t.Fatalf("#%d: incomplete record %+v", i, r)
			}
			if r.Open && r.End != nil {
				t.Fatalf("#%d: open with an end", i)
			}
			for _, e := range r.Evidence {
				if e.Line < 1 || e.Line > res.Lines || e.Offset < 0 || e.Offset > int64(len(data)) {
					t.Fatalf("#%d: evidence line %d offset %d out of range (%d lines, %d bytes)", i, e.Line, e.Offset, res.Lines, len(data))
				}
			}
		}
		if len(res.Errors) > logkit.MaxErrors+1 {
			t.Fatalf("%d errors", len(res.Errors))
		}
	})
}
