package xrdp

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func seed(f *testing.F, file string) {
	if p, ok := sampleFile(file); ok {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func fuzzCheck(t *testing.T, p sessionlog.Parser, data []byte) {
	res, err := p.Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Location: time.UTC})
	if err != nil {
		return
	}
	for i, r := range res.Sessions {
		if r.Tool != "xrdp" || r.Parser != p.Name() || r.Outcome == "" || r.Key == "" {
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
}

// FuzzParse fuzzes the xrdp.log parser.
func FuzzParse(f *testing.F) {
	seed(f, sampleXrdp)
	f.Add(lines(
		"[20261121-12:00:00] [INFO ] [pid:100 tid:100] Socket 12: AF_INET connection received from 10.0.0.1 port 1111",
		"[20261121-12:00:02] [INFO ] [pid:201 tid:201] sending login info to session manager. Please wait...",
		"[20261121-12:00:04] [INFO ] [pid:201 tid:201] login failed for user alice",
		"[20261121-12:00:04] [INFO ] lib_mod_log_peer: xrdp_pid=201 connected to X11rdp_pid=1 X11rdp_uid=0 X11rdp_gid=0 client_ip=10.0.0.1 client_port=1111",
		"[20261121-12:00:09] [ERROR] [pid:201 tid:201] Sending [ITU T.125] DisconnectProviderUltimatum failed",
	))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, New(), data) })
}

// FuzzSesman fuzzes the xrdp-sesman.log parser.
func FuzzSesman(f *testing.F) {
	seed(f, sampleSesman)
	f.Add(lines(
		"[20261121-09:00:00] [INFO ] ++ terminated session:  username old, display :9.0, session_pid 50, ip 10.0.0.5:5555 - socket: 12",
		"[20261121-10:05:00] [ERROR] pam_authenticate failed: Authentication failure",
		"[20261121-10:05:00] [INFO ] AUTHFAIL: user=x ip=1.2.3.4 time=-99999999999",
		"[20261121-10:06:00] [INFO ] login denied for user mallory",
	))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, NewSesman(), data) })
}
