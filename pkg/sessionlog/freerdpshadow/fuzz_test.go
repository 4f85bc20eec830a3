package freerdpshadow

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
		"[23:59:58:100] [500:501] [INFO][com.freerdp.server.shadow] - Client from 10.0.0.5 is activated (1024x768@32)",
		"[23:59:59:901] [500:502] [ERROR][com.freerdp.client.shadow] - client authentication failure: -1",
		"[libx264 @ 0x7f8a10738380] profile High",
		"[00:00:01:000] [500:501] [WARN][com.freerdp.server.shadow.x11] - x11_shadow_input_synchronize_event not implemented",
		"[00:00:02:000] [500:501] [ERROR][com.freerdp.client.shadow] - Failed to check FreeRDP file descriptor",
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Location: time.UTC, Modified: sampleMod})
		if err != nil {
			return
		}
		for i, r := range res.Sessions {
			if r.Tool != "freerdp" || r.Parser != name || r.Outcome == "" || r.Key == "" {
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
