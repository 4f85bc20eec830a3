package tigervnc

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

func TestOpenAtEOF(t *testing.T) {
	data := lines(
		"",
		"Sat Nov 21 11:26:52 2026",
		" Connections: accepted: 10.1.2.3::53570",
		" SConnection: Client needs protocol version 3.8",
		" SConnection: Client requests security type VncAuth(2)",
		" VNCSConnST:  Server default pixel format depth 24 (32bpp) little-endian rgb888",
	)
	res := parse(t, "/root/.vnc/vm:7.log", data, time.UTC)
	checkEvidence(t, "/root/.vnc/vm:7.log", data, res.Sessions)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:26:52Z", "", "10.1.2.3", 53570, session.Established, "vnc-password", nil, true, 0},
	})
	if res.Sessions[0].Display != ":7" {
		t.Errorf("display from file name: %q", res.Sessions[0].Display)
	}
}

func TestFailedAndBlacklisted(t *testing.T) {
	data := lines(
		"Sat Nov 21 11:30:00 2026",
		" Connections: accepted: 10.0.0.9::40000",
		" SConnection: Client needs protocol version 3.8",
		" SConnection: Client requests security type VncAuth(2)",
		"",
		"Sat Nov 21 11:30:02 2026",
		" SConnection: AuthFailureException: Authentication failure",
		" VNCSConnST:  closing 10.0.0.9::40000: Authentication failure",
		" Connections: closed: 10.0.0.9::40000",
		"",
		"Sat Nov 21 11:30:05 2026",
		" Connections: blacklisted: 10.0.0.9::40002",
		" Connections: accepted: 10.0.0.8::40004",
		" VNCSConnST:  closing 10.0.0.8::40004: Connection rejected by local user",
		" Connections: closed: 10.0.0.8::40004",
		" Connections: accepted: 10.0.0.7::40006",
		" SConnection: Client needs protocol version 3.8",
		" VNCSConnST:  closing 10.0.0.7::40006: Clean disconnection",
		" Connections: closed: 10.0.0.7::40006",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:30:00Z", "2026-11-21T11:30:02Z", "10.0.0.9", 40000, session.FailedAuth, "vnc-password", nil, false, 0},
		{"2026-11-21T11:30:05Z", "2026-11-21T11:30:05Z", "10.0.0.9", 40002, session.Rejected, "", nil, false, 0},
		{"2026-11-21T11:30:05Z", "2026-11-21T11:30:05Z", "10.0.0.8", 40004, session.Rejected, "", nil, false, 0},
		{"2026-11-21T11:30:05Z", "2026-11-21T11:30:05Z", "10.0.0.7", 40006, session.AttemptOnly, "", nil, false, 0},
	})
	checkEvidence(t, "x.log", data, res.Sessions)
}

// Two clients in the handshake at once: handshake lines go to the oldest
// connection still at that step.
func TestInterleaved(t *testing.T) {
	data := lines(
		"Sat Nov 21 11:30:00 2026",
		" Connections: accepted: 10.0.0.1::1111",
		" Connections: accepted: 10.0.0.2::2222",
		" SConnection: Client needs protocol version 3.8",
		" SConnection: Client needs protocol version 3.8",
		" SConnection: Client requests security type None(1)",
		" VNCSConnST:  Server default pixel format depth 24 (32bpp) little-endian rgb888",
		" SConnection: Client requests security type VncAuth(2)",
		" SConnection: AuthFailureException: Authentication failure",
		" VNCSConnST:  closing 10.0.0.2::2222: Authentication failure",
		" Connections: closed: 10.0.0.2::2222",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:30:00Z", "", "10.0.0.1", 1111, session.Established, "none", nil, true, 0},
		{"2026-11-21T11:30:00Z", "2026-11-21T11:30:00Z", "10.0.0.2", 2222, session.FailedAuth, "vnc-password", nil, false, 0},
	})
}

// The server exits (or a new one starts) while a client is connected.
func TestServerEnds(t *testing.T) {
	data := lines(
		"Sat Nov 21 11:30:00 2026",
		" Connections: accepted: 10.0.0.1::1111",
		" SConnection: Client requests security type None(1)",
		" VNCSConnST:  Server default pixel format depth 24 (32bpp) little-endian rgb888",
		"",
		"Sat Nov 21 11:40:00 2026",
		"The Xtigervnc server cleanly exited!",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:30:00Z", "2026-11-21T11:40:00Z", "10.0.0.1", 1111, session.Established, "none", nil, false, 0},
	})
}

func TestCRLFAndTruncation(t *testing.T) {
	path, data := readSample(t, sampleLog)
	c := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	got := parse(t, path, c, time.UTC)
	want := parse(t, path, data, time.UTC)
	if len(got.Sessions) != len(want.Sessions) || len(got.Errors) != 0 {
		t.Fatalf("CRLF: %d sessions, errors %v", len(got.Sessions), got.Errors)
	}
	for i := range want.Sessions {
		if !sameTime(got.Sessions[i].End, want.Sessions[i].End) || got.Sessions[i].Outcome != want.Sessions[i].Outcome {
			t.Errorf("#%d differs with CRLF", i)
		}
	}
	checkEvidence(t, path, c, got.Sessions)
	// Cut in the middle of the first "closing" line: that client is open.
	i := bytes.Index(data, []byte("closing 127.0.0.1::53570"))
	res := parse(t, path, data[:i+12], time.UTC)
	if len(res.Sessions) != 1 || !res.Sessions[0].Open || res.Sessions[0].Outcome != session.Established {
		t.Fatalf("truncated: %+v", res.Sessions)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 24 {
		t.Errorf("cut address not reported: %+v", res.Errors)
	}
	for n := 0; n < len(data); n += 53 {
		if _, err := New().Parse(sessionlog.Input{R: bytes.NewReader(data[:n])}); err != nil {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
}

func TestBinary(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	g := make([]byte, 4096)
	for i := range g {
		g[i] = byte(rnd.Intn(256))
	}
	g[0], g[1], g[2] = 'a', 'b', 0x01
	_, err := New().Parse(sessionlog.Input{Path: "g", R: bytes.NewReader(g)})
	if err == nil || !strings.Contains(err.Error(), "offset 2") {
		t.Fatalf("err = %v", err)
	}
	good := lines("Sat Nov 21 11:30:00 2026", " Connections: accepted: 10.0.0.1::1111")
	res := parse(t, "x", append(append([]byte{}, good...), "zz\x02\x03\n"...), time.UTC)
	if len(res.Sessions) != 1 || len(res.Errors) != 1 || res.Errors[0].Offset != int64(len(good))+2 {
		t.Fatalf("mixed: %+v %+v", res.Sessions, res.Errors)
	}
	res = parse(t, "x", lines("Sat Foo 41 11:30:00 2026"), time.UTC)
	if len(res.Errors) != 1 {
		t.Fatalf("bad time line: %+v", res.Errors)
	}
	if _, err := New().Parse(sessionlog.Input{}); err == nil {
		t.Fatal("nil reader accepted")
	}
}

func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		file string
		want bool
	}{
		{sampleLog, true},
		{"x11vnc_-o_logfile_noauth_two-clients.log", false},
		{"var_log_xrdp.log", false},
		{"var_log_xrdp-sesman.log", false},
		{"freerdp-shadow-cli_server.log", false},
		{"xtigervncviewer_client_stderr.log", false},
		{"xfreerdp_client_session_stderr.log", false},
	} {
		_, data := readSample(t, c.file)
		if got := p.Sniff(data[:min(len(data), 4096)], "upload.bin"); got != c.want {
			t.Errorf("Sniff(%s) = %v", c.file, got)
		}
	}
	_, viewer := readSample(t, "xtigervncviewer_client_stderr.log")
	if p.Sniff(viewer, "/home/u/xtigervncviewer_client_stderr.log") {
		t.Error("viewer log claimed by name")
	}
	if !p.Sniff(nil, "/home/u/.vnc/host:1.log") {
		t.Error("empty ~/.vnc/host:1.log not recognised by name")
	}
}
