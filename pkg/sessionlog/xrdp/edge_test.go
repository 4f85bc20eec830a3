package xrdp

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

func TestXrdpOpenAtEOF(t *testing.T) {
	data := lines(
		"[20261121-11:14:00] [INFO ] Socket 12: AF_INET connection received from 10.2.3.4 port 34146",
		"[20261121-11:14:00] [INFO ] Connected client computer name: DESKTOP-ABC",
		"[20261121-11:14:01] [INFO ] sending login info to session manager. Please wait...",
		"[20261121-11:14:01] [INFO ] xrdp_wm_log_msg: login successful for user alice on display 11",
		"[20261121-11:14:01] [INFO ] login successful for user alice on display 11",
	)
	res := parse(t, New(), "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:14:00Z", "", "10.2.3.4", 34146, session.Established, "alice", ":11", true, "xrdp|10.2.3.4|34146"},
	})
	checkEvidence(t, "x.log", data, res.Sessions)
	if res.Sessions[0].RemoteName != "DESKTOP-ABC" {
		t.Errorf("remote name %q", res.Sessions[0].RemoteName)
	}
}

// With EnableProcessId=true each forked child's lines carry its pid, so
// overlapping connections are told apart.
func TestXrdpPidsInterleaved(t *testing.T) {
	data := lines(
		"[20261121-12:00:00] [INFO ] [pid:100 tid:100] Socket 12: AF_INET connection received from 10.0.0.1 port 1111",
		"[20261121-12:00:00] [INFO ] [pid:201 tid:201] Connected client computer name: A",
		"[20261121-12:00:01] [INFO ] [pid:100 tid:100] Socket 12: AF_INET connection received from 10.0.0.2 port 2222",
		"[20261121-12:00:01] [INFO ] [pid:202 tid:202] Connected client computer name: B",
		"[20261121-12:00:02] [INFO ] [pid:201 tid:201] sending login info to session manager. Please wait...",
		"[20261121-12:00:02] [INFO ] [pid:202 tid:202] sending login info to session manager. Please wait...",
		"[20261121-12:00:03] [INFO ] [pid:202 tid:202] login successful for user bob on display 12",
		"[20261121-12:00:04] [INFO ] [pid:201 tid:201] login failed for user alice",
		"[20261121-12:00:09] [ERROR] [pid:201 tid:201] SSL_read: Failure in SSL library (protocol error?)",
		"[20261121-12:00:09] [ERROR] [pid:201 tid:201] Sending [ITU T.125] DisconnectProviderUltimatum failed",
	)
	res := parse(t, New(), "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T12:00:00Z", "2026-11-21T12:00:09Z", "10.0.0.1", 1111, session.FailedAuth, "alice", "", false, "xrdp|10.0.0.1|1111"},
		{"2026-11-21T12:00:01Z", "", "10.0.0.2", 2222, session.Established, "bob", ":12", true, "xrdp|10.0.0.2|2222"},
	})
	if res.Sessions[0].RemoteName != "A" || res.Sessions[1].RemoteName != "B" {
		t.Errorf("names %q %q", res.Sessions[0].RemoteName, res.Sessions[1].RemoteName)
	}
}

// Without pids, overlapping connections are attributed by step and flagged.
func TestXrdpNoPidsInterleaved(t *testing.T) {
	data := lines(
		"[20261121-12:00:00] [INFO ] Socket 12: AF_INET connection received from 10.0.0.1 port 1111",
		"[20261121-12:00:01] [INFO ] sending login info to session manager. Please wait...",
		"[20261121-12:00:01] [INFO ] Socket 12: AF_INET connection received from 10.0.0.2 port 2222",
		"[20261121-12:00:02] [INFO ] login successful for user bob on display 12",
	)
	res := parse(t, New(), "x.log", data, time.UTC)
	if len(res.Sessions) != 2 || res.Sessions[0].Outcome != session.Established || res.Sessions[1].Outcome != session.AttemptOnly {
		t.Fatalf("%+v", res.Sessions)
	}
}

func TestSesmanEdges(t *testing.T) {
	data := lines(
		"[20261121-09:00:00] [INFO ] ++ terminated session:  username old, display :9.0, session_pid 50, ip 10.0.0.5:5555 - socket: 12",
		"[20261121-10:00:00] [INFO ] ++ created session (access granted): username carol, ip 10.0.0.6:6666 - socket: 12",
		"[20261121-10:00:00] [INFO ] Starting session: session_pid 60, display :11.0, width 800, height 600, bpp 24, client ip 10.0.0.6:6666 - socket: 12, user name carol",
		"[20261121-10:05:00] [ERROR] pam_authenticate failed: Authentication failure",
		"[20261121-10:06:00] [INFO ] login denied for user mallory",
		"[20261121-10:07:00] [INFO ] max concurrent session limit exceeded. login for user dave denied",
	)
	res := parse(t, NewSesman(), "s.log", data, time.UTC)
	if len(res.Sessions) != 5 {
		t.Fatalf("%d sessions", len(res.Sessions))
	}
	old, carol, pam, mallory, dave := res.Sessions[0], res.Sessions[1], res.Sessions[2], res.Sessions[3], res.Sessions[4]
	if old.Start != nil || old.Open || old.Outcome != session.Established || old.Display != ":9" || old.Key != "xrdp|10.0.0.5|5555" {
		t.Errorf("rotated-away creation: %+v", old)
	}
	if !carol.Open || carol.Outcome != session.Established || carol.Display != ":11" || carol.LocalUser != "carol" {
		t.Errorf("open session: %+v", carol)
	}
	if pam.Outcome != session.FailedAuth || pam.Open || pam.RemoteIP != "" {
		t.Errorf("pam failure without AUTHFAIL: %+v", pam)
	}
	if mallory.Outcome != session.Rejected || mallory.LocalUser != "mallory" || dave.Outcome != session.Rejected || dave.LocalUser != "dave" {
		t.Errorf("refusals: %+v %+v", mallory, dave)
	}
	checkEvidence(t, "s.log", data, res.Sessions)
}

func TestCRLFTruncBinary(t *testing.T) {
	for _, c := range []struct {
		p    sessionlog.Parser
		file string
	}{{New(), sampleXrdp}, {NewSesman(), sampleSesman}} {
		path, data := readSample(t, c.file)
		want := parse(t, c.p, path, data, time.UTC)
		crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		got := parse(t, c.p, path, crlf, time.UTC)
		if len(got.Sessions) != len(want.Sessions) || len(got.Errors) != 0 {
			t.Fatalf("%s CRLF: %d sessions %v", c.file, len(got.Sessions), got.Errors)
		}
		for i := range want.Sessions {
			a, b := want.Sessions[i], got.Sessions[i]
			if a.Outcome != b.Outcome || !sameTime(a.Start, b.Start) || !sameTime(a.End, b.End) || a.Open != b.Open {
				t.Errorf("%s #%d differs with CRLF", c.file, i)
			}
		}
		checkEvidence(t, path, crlf, got.Sessions)
		for n := 0; n < len(data); n += 61 {
			if _, err := c.p.Parse(sessionlog.Input{R: bytes.NewReader(data[:n])}); err != nil {
				t.Fatalf("%s prefix %d: %v", c.file, n, err)
			}
		}
	}
	// xrdp.log cut inside the established session's first teardown line.
	path, data := readSample(t, sampleXrdp)
	i := bytes.Index(data, []byte("[20261121-11:14:07] [ERROR] SSL_read"))
	res := parse(t, New(), path, data[:i+10], time.UTC)
	if n := len(res.Sessions); n != 2 || !res.Sessions[1].Open || res.Sessions[1].Outcome != session.Established {
		t.Fatalf("cut: %+v", res.Sessions)
	}
	if len(res.Errors) != 1 || res.Errors[0].Offset != int64(i) {
		t.Errorf("cut timestamp not reported: %+v", res.Errors)
	}
	bin := append([]byte("[2026"), bytes.Repeat([]byte{1, 2, 3, 0xff}, 300)...)
	if _, err := New().Parse(sessionlog.Input{Path: "b", R: bytes.NewReader(bin)}); err == nil || !strings.Contains(err.Error(), "offset 5") {
		t.Fatalf("binary: %v", err)
	}
	res = parse(t, NewSesman(), "s", lines("[20261341-10:00:00] [INFO ] AUTHFAIL: user=x ip=1.2.3.4 time=1"), time.UTC)
	if len(res.Errors) != 1 || len(res.Sessions) != 0 {
		t.Errorf("bad date: %+v %+v", res.Errors, res.Sessions)
	}
	if _, err := NewSesman().Parse(sessionlog.Input{}); err == nil {
		t.Error("nil reader accepted")
	}
}

func TestSniff(t *testing.T) {
	x, s := New(), NewSesman()
	for _, c := range []struct {
		file         string
		wantX, wantS bool
	}{
		{sampleXrdp, true, false},
		{sampleSesman, false, true},
		{"home_rdptest_.local_share_xrdp_xrdp-chansrv.10.log", false, false},
		{"home_rdptest_.xorgxrdp.10.log.head", false, false},
		{"x11vnc_-o_logfile_noauth_two-clients.log", false, false},
		{"tigervncserver_Xtigervnc_vm5.log", false, false},
		{"freerdp-shadow-cli_server.log", false, false},
	} {
		_, data := readSample(t, c.file)
		h := data[:min(len(data), 4096)]
		if got := x.Sniff(h, "blob"); got != c.wantX {
			t.Errorf("xrdp Sniff(%s) = %v", c.file, got)
		}
		if got := s.Sniff(h, "blob"); got != c.wantS {
			t.Errorf("sesman Sniff(%s) = %v", c.file, got)
		}
	}
	if !x.Sniff(nil, "/var/log/xrdp.log") || !s.Sniff(nil, "/var/log/xrdp-sesman.log") || x.Sniff(nil, "/var/log/xrdp-sesman.log") {
		t.Error("name-based sniffing")
	}
}
