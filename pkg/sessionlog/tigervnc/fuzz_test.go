package tigervnc

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func FuzzParse(f *testing.F) {
	if p, ok := sampleFile(sampleLog); ok {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(lines(
		"Sat Nov 21 11:30:00 2026",
		" Connections: accepted: 10.0.0.9::40000",
		" SConnection: Client requests security type VncAuth(2)",
		" SConnection: AuthFailureException: Authentication failure",
		" VNCSConnST:  closing 10.0.0.9::40000: Authentication failure",
		" EncodeManager: Framebuffer updates: 0",
		" Connections: closed: 10.0.0.9::40000",
		" Connections: blacklisted: ::1::40002",
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Location: time.UTC})
		if err != nil {
			return
		}
		for i, r := range res.Sessions {
			if r.Tool != "tigervnc" || r.Parser != name || r.Outcome == "" || r.Key == "" {
				t.Fatalf("#%d: incomplete %+v", i, r)
			}
			if r.Open && r.End != nil {
				t.Fatalf("#%d: open with an end", i)
			}
			for _, e := range r.Evidence {
				if e.Line < 1 || e.Line > res.Lines || e.Offset < 0 || e.Offset > int64(len(data)) {
					t.Fatalf("#%d: evidence out of range", i)
				}
			}
		}
	})
}
