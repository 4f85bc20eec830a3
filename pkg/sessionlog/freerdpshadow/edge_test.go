package freerdpshadow

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

var mod = time.Date(2026, 11, 22, 0, 10, 0, 0, time.UTC)

// A session over midnight, still open at the end; an INFO-level activation
// line names the client; a failed logon on another thread.
func TestMidnightOpenAndFailed(t *testing.T) {
	data := lines(
		"[23:59:58:100] [500:501] [INFO][com.freerdp.server.shadow] - Client from 10.0.0.5 is activated (1024x768@32)",
		"[23:59:59:900] [500:502] [ERROR][com.freerdp.server.shadow.x11] - pam_authenticate failure: Authentication failure",
		"[23:59:59:901] [500:502] [ERROR][com.freerdp.client.shadow] - client authentication failure: -1",
		"[23:59:59:950] [500:502] [ERROR][com.freerdp.client.shadow] - Failed to check FreeRDP file descriptor",
		"[00:00:01:000] [500:501] [WARN][com.freerdp.server.shadow.x11] - x11_shadow_input_synchronize_event not implemented",
	)
	res := parse(t, "s.log", data, time.UTC, mod)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T23:59:58.1Z", "", "10.0.0.5", session.Established, true, "freerdp|10.0.0.5|0"},
		{"2026-11-21T23:59:59.9Z", "2026-11-21T23:59:59.95Z", "", session.FailedAuth, false, "freerdp|thread:500:502"},
	})
	checkEvidence(t, "s.log", data, res.Sessions)
	if !sameTime(res.LastTime, ts(t, "2026-11-22T00:00:01Z")) {
		t.Errorf("last %v", res.LastTime)
	}
}

// With no line from the client's own thread proving activation, the H.264
// encoder start decides only when exactly one connection is open.
func TestX264Attribution(t *testing.T) {
	data := lines(
		"[10:00:00:000] [1:2] [ERROR][com.freerdp.core.transport] - BIO_read returned a system error 104: Connection reset by peer",
		"[10:00:00:001] [1:2] [ERROR][com.freerdp.client.shadow] - Failed to check FreeRDP file descriptor",
		"[10:00:05:000] [1:3] [ERROR][com.freerdp.core.peer] - peer_recv_callback: CONNECTION_STATE_MCS_CONNECT - rdp_server_accept_mcs_connect_initial() fail",
		"[libx264 @ 0x7f8a10738380] using cpu capabilities: MMX2 SSE2Fast",
		"[10:00:09:000] [1:3] [ERROR][com.freerdp.client.shadow] - Failed to check FreeRDP file descriptor",
	)
	res := parse(t, "s.log", data, time.UTC, mod)
	if len(res.Sessions) != 2 || res.Sessions[0].Outcome != session.AttemptOnly {
		t.Fatalf("%+v", res.Sessions)
	}
	// Thread 3 failed negotiation: the later encoder start does not make it
	// established (a failed negotiation stays an attempt).
	if res.Sessions[1].Outcome != session.AttemptOnly {
		t.Errorf("thread 3: %s", res.Sessions[1].Outcome)
	}
}

func TestCRLFTruncBinary(t *testing.T) {
	path, data := readSample(t, sampleLog)
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	got := parse(t, path, crlf, time.UTC, sampleMod)
	want := parse(t, path, data, time.UTC, sampleMod)
	if len(got.Sessions) != len(want.Sessions) || len(got.Errors) != 0 {
		t.Fatalf("CRLF: %+v %+v", got.Sessions, got.Errors)
	}
	for i := range want.Sessions {
		if !sameTime(got.Sessions[i].Start, want.Sessions[i].Start) || !sameTime(got.Sessions[i].End, want.Sessions[i].End) {
			t.Errorf("#%d differs with CRLF", i)
		}
	}
	checkEvidence(t, path, crlf, got.Sessions)
	// Cut before the first connection's end: it stays open.
	i := bytes.Index(data, []byte("[11:28:07:286]"))
	res := parse(t, path, data[:i+5], time.UTC, sampleMod)
	if len(res.Sessions) != 1 || !res.Sessions[0].Open || len(res.Errors) != 1 {
		t.Fatalf("cut: %+v %+v", res.Sessions, res.Errors)
	}
	for n := 0; n < len(data); n += 37 {
		if _, err := New().Parse(sessionlog.Input{R: bytes.NewReader(data[:n]), Modified: sampleMod}); err != nil {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
	bin := append([]byte("[11:2"), bytes.Repeat([]byte{0x10, 0x11, 0x12}, 400)...)
	if _, err := New().Parse(sessionlog.Input{Path: "b", R: bytes.NewReader(bin)}); err == nil || !strings.Contains(err.Error(), "offset 5") {
		t.Fatalf("binary: %v", err)
	}
	if _, err := New().Parse(sessionlog.Input{}); err == nil {
		t.Error("nil reader accepted")
	}
}

func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		file string
		want bool
	}{
		{sampleLog, true},
		{"xfreerdp_client_session_stderr.log", false},
		{"xfreerdp_client_wrongpw_stderr.log", false},
		{"var_log_xrdp.log", false},
		{"x11vnc_-o_logfile_noauth_two-clients.log", false},
		{"tigervncserver_Xtigervnc_vm5.log", false},
	} {
		_, data := readSample(t, c.file)
		if got := p.Sniff(data[:min(len(data), 4096)], "blob"); got != c.want {
			t.Errorf("Sniff(%s) = %v", c.file, got)
		}
	}
	if !p.Sniff(nil, "/tmp/freerdp-shadow.log") {
		t.Error("name-based sniffing")
	}
}
