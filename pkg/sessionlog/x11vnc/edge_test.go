package x11vnc

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
)

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

// A client that passed security type None and is still connected at the end
// of the log: established and open.
func TestOpenAtEOF(t *testing.T) {
	data := lines(
		"21/11/2026 11:13:20 Got connection from client 10.1.2.3",
		"21/11/2026 11:13:20 incr accepted_client=2 for 10.1.2.3:38744  sock=11",
		"21/11/2026 11:13:20 Client Protocol Version 3.8",
		"21/11/2026 11:13:20 rfbProcessClientSecurityType: executing handler for type 1",
		"21/11/2026 11:13:21 client_set_net: 10.1.2.3  0.0000",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:13:20Z", "", "10.1.2.3", 38744, session.Established, "none", nil, true, 0},
	})
	checkEvidence(t, "x.log", data, res.Sessions)
}

// VNC password handler ran, nothing after: neither success nor failure is
// proven yet.
func TestOpenPendingPassword(t *testing.T) {
	data := lines(
		"21/11/2026 11:27:04 Got connection from client 10.1.2.3",
		"21/11/2026 11:27:04 incr accepted_client=3 for 10.1.2.3:52402  sock=11",
		"21/11/2026 11:27:04 Client Protocol Version 3.8",
		"21/11/2026 11:27:04 rfbProcessClientSecurityType: executing handler for type 2",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:27:04Z", "", "10.1.2.3", 52402, session.AttemptOnly, "vnc-password", nil, true, 0},
	})
}

// The password handler ran and the client left with no failure line and no
// message exchanged (it never answered the challenge).
func TestPasswordNoAnswer(t *testing.T) {
	data := lines(
		"21/11/2026 11:27:04 Got connection from client 10.1.2.3",
		"21/11/2026 11:27:04 incr accepted_client=3 for 10.1.2.3:52402  sock=11",
		"21/11/2026 11:27:04 Client Protocol Version 3.8",
		"21/11/2026 11:27:04 rfbProcessClientSecurityType: executing handler for type 2",
		"21/11/2026 11:27:09 client_count: 0",
		"21/11/2026 11:27:09 Client 10.1.2.3 gone",
		"21/11/2026 11:27:09 Statistics             events    Transmit/ RawEquiv ( saved)",
		"21/11/2026 11:27:09  TOTALS              :      0 |         0/        0 (  0.0%)",
		"21/11/2026 11:27:09 Statistics             events    Received/ RawEquiv ( saved)",
		"21/11/2026 11:27:09  TOTALS              :      0 |         0/        0 (  0.0%)",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:27:04Z", "2026-11-21T11:27:09Z", "10.1.2.3", 52402, session.AttemptOnly, "vnc-password", nil, false, 0},
	})
}

// The start was rotated away: only the disconnect and its statistics remain.
func TestRotatedStart(t *testing.T) {
	data := lines(
		"21/11/2026 11:25:02 Client 10.9.9.9 gone",
		"21/11/2026 11:25:02 Statistics             events    Transmit/ RawEquiv ( saved)",
		"21/11/2026 11:25:02  FramebufferUpdate   :      1 |         0/        0 (  0.0%)",
		"21/11/2026 11:25:02  TOTALS              :      2 |   3145740/  3145740 (  0.0%)",
		"21/11/2026 11:25:02 Statistics             events    Received/ RawEquiv ( saved)",
		"21/11/2026 11:25:02  KeyEvent            :      7 |        16/       16 (  0.0%)",
		"21/11/2026 11:25:02  TOTALS              :      8 |        32/       32 (  0.0%)",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"", "2026-11-21T11:25:02Z", "10.9.9.9", 0, session.Established, "", map[string]int{"KeyEvent": 7}, false, 0},
	})
	checkEvidence(t, "x.log", data, res.Sessions)
}

// Two clients from different addresses overlap; each keeps its own lines.
func TestInterleavedAddresses(t *testing.T) {
	data := lines(
		"21/11/2026 12:00:00 Got connection from client 10.0.0.1",
		"21/11/2026 12:00:00 incr accepted_client=1 for 10.0.0.1:1111  sock=11",
		"21/11/2026 12:00:01 Got connection from client 10.0.0.2",
		"21/11/2026 12:00:01 incr accepted_client=2 for 10.0.0.2:2222  sock=12",
		"21/11/2026 12:00:01 Client Protocol Version 3.8",
		"21/11/2026 12:00:01 Client Protocol Version 3.8",
		"21/11/2026 12:00:01 rfbProcessClientSecurityType: executing handler for type 2",
		"21/11/2026 12:00:01 rfbProcessClientSecurityType: executing handler for type 2",
		"21/11/2026 12:00:02 authProcessClientMessage: authentication failed from 10.0.0.2",
		"21/11/2026 12:00:02 rfbAuthProcessClientMessage: password check failed",
		"21/11/2026 12:00:02 Client 10.0.0.2 gone",
		"21/11/2026 12:00:03 client_set_net: 10.0.0.1  0.0001",
		"21/11/2026 12:00:09 Client 10.0.0.1 gone",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T12:00:00Z", "2026-11-21T12:00:09Z", "10.0.0.1", 1111, session.Established, "vnc-password", nil, false, 0},
		{"2026-11-21T12:00:01Z", "2026-11-21T12:00:02Z", "10.0.0.2", 2222, session.FailedAuth, "vnc-password", nil, false, 0},
	})
}

func TestRejected(t *testing.T) {
	data := lines(
		"21/11/2026 12:00:00 Got connection from client 10.0.0.7",
		"21/11/2026 12:00:00 denying client: 10.0.0.7 does not match 127.0.0.1",
		"21/11/2026 12:00:00 Client 10.0.0.7 gone",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T12:00:00Z", "2026-11-21T12:00:00Z", "10.0.0.7", 0, session.Rejected, "", nil, false, 0},
	})
}

// A new x11vnc process in the same file ends the old process's clients.
func TestRestartEndsOpen(t *testing.T) {
	data := lines(
		"21/11/2026 12:00:00 passing arg to libvncserver: -rfbport",
		"21/11/2026 12:00:00 passing arg to libvncserver: 5901",
		"21/11/2026 12:00:00 x11vnc version: 0.9.16 lastmod: 2019-01-05  pid: 1",
		"21/11/2026 12:00:05 Got connection from client 10.0.0.1",
		"21/11/2026 12:00:05 incr accepted_client=1 for 10.0.0.1:1111  sock=11",
		"21/11/2026 12:00:05 Client Protocol Version 3.8",
		"21/11/2026 12:00:05 rfbProcessClientSecurityType: executing handler for type 1",
		"21/11/2026 12:07:00 some message",
		"21/11/2026 13:00:00 passing arg to libvncserver: -rfbport",
		"21/11/2026 13:00:00 x11vnc version: 0.9.16 lastmod: 2019-01-05  pid: 2",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T12:00:05Z", "2026-11-21T12:07:00Z", "10.0.0.1", 1111, session.Established, "none", nil, false, 0},
	})
}

// "caught signal" (no timestamp) then EOF: the process ended; no client of it
// can still be connected.
func TestSignalEndsOpen(t *testing.T) {
	data := lines(
		"21/11/2026 12:00:05 Got connection from client 10.0.0.1",
		"21/11/2026 12:00:05 incr accepted_client=1 for 10.0.0.1:1111  sock=11",
		"caught signal: 15",
		"21/11/2026 12:00:08 deleted 32 tile_row polling images.",
	)
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T12:00:05Z", "2026-11-21T12:00:08Z", "10.0.0.1", 1111, session.AttemptOnly, "", nil, false, 0},
	})
}

func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

func TestCRLF(t *testing.T) {
	path, data := readSample(t, sampleNoAuth)
	want := parse(t, path, data, time.UTC)
	c := crlf(data)
	got := parse(t, path, c, time.UTC)
	if len(got.Sessions) != len(want.Sessions) || len(got.Errors) != 0 {
		t.Fatalf("CRLF: %d sessions %v errors", len(got.Sessions), got.Errors)
	}
	for i := range want.Sessions {
		a, b := want.Sessions[i], got.Sessions[i]
		if a.Outcome != b.Outcome || !sameTime(a.Start, b.Start) || !sameTime(a.End, b.End) || a.RemotePort != b.RemotePort {
			t.Errorf("#%d differs with CRLF", i)
		}
	}
	checkEvidence(t, path, c, got.Sessions)
}

func TestUTF16(t *testing.T) {
	path, data := readSample(t, samplePasswd)
	res := parse(t, path, logtest.UTF16LE(string(data), true), time.UTC)
	if len(res.Sessions) != 3 || res.Sessions[2].Outcome != session.Established || res.Sessions[1].Outcome != session.FailedAuth {
		t.Fatalf("UTF-16: %d sessions", len(res.Sessions))
	}
}

// The log stops in the middle of the disconnect line: the client stays open.
func TestTruncatedLastLine(t *testing.T) {
	data := []byte(strings.Join([]string{
		"21/11/2026 11:13:20 Got connection from client 10.1.2.3",
		"21/11/2026 11:13:20 incr accepted_client=2 for 10.1.2.3:38744  sock=11",
		"21/11/2026 11:13:20 Client Protocol Version 3.8",
		"21/11/2026 11:13:20 rfbProcessClientSecurityType: executing handler for type 1",
		"21/11/2026 11:13:24 Client 10.1.2.3 go",
	}, "\n"))
	res := parse(t, "x.log", data, time.UTC)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:13:20Z", "", "10.1.2.3", 38744, session.Established, "none", nil, true, 0},
	})
	// Cut inside the timestamp itself.
	res = parse(t, "x.log", data[:len(data)-30], time.UTC)
	if len(res.Sessions) != 1 || !res.Sessions[0].Open {
		t.Fatalf("cut timestamp: %+v", res.Sessions)
	}
	// Every prefix of the sample parses without error or panic.
	path, sample := readSample(t, samplePasswd)
	for n := 0; n < len(sample); n += 97 {
		if _, err := New().Parse(sessionlog.Input{Path: path, R: bytes.NewReader(sample[:n])}); err != nil {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
}

func TestBinary(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	garbage := make([]byte, 8192)
	for i := range garbage {
		garbage[i] = byte(rnd.Intn(32))
	}
	garbage[0] = 'M'
	_, err := New().Parse(sessionlog.Input{Path: "g.bin", R: bytes.NewReader(garbage)})
	if err == nil || !strings.Contains(err.Error(), "offset 1") {
		t.Fatalf("binary input: err = %v, want one naming offset 1", err)
	}
	// Garbage after a good head: parsed up to it, the bad line reported with
	// its offset.
	good := lines("21/11/2026 11:13:20 Got connection from client 10.1.2.3")
	mixed := append(append([]byte{}, good...), []byte("\x01\x02\x03junk\n")...)
	res := parse(t, "x.log", mixed, time.UTC)
	if len(res.Sessions) != 1 || len(res.Errors) != 1 || res.Errors[0].Offset != int64(len(good)) || res.Errors[0].Line != 2 {
		t.Fatalf("mixed: %d sessions, errors %+v", len(res.Sessions), res.Errors)
	}
}

func TestBadTimestamp(t *testing.T) {
	res := parse(t, "x.log", lines("32/13/2026 11:13:20 Got connection from client 10.1.2.3"), time.UTC)
	if len(res.Errors) != 1 || res.Errors[0].Line != 1 || len(res.Sessions) != 0 {
		t.Fatalf("errors %+v sessions %d", res.Errors, len(res.Sessions))
	}
}

func TestEmptyAndNil(t *testing.T) {
	res := parse(t, "x.log", nil, nil)
	if len(res.Sessions) != 0 || res.Lines != 0 || res.FirstTime != nil {
		t.Fatalf("empty: %+v", res)
	}
	if _, err := New().Parse(sessionlog.Input{}); err == nil {
		t.Fatal("nil reader accepted")
	}
	// nil Location means the machine's zone, and the rule says so.
	res = parse(t, "x.log", lines(
		"21/11/2026 11:13:20 Got connection from client 10.1.2.3"), nil)
	if !strings.Contains(res.Sessions[0].TimeRule, "local zone") {
		t.Errorf("rule %q", res.Sessions[0].TimeRule)
	}
}

func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		file string
		want bool
	}{
		{sampleNoAuth, true},
		{samplePasswd, true},
		{"tigervncserver_Xtigervnc_vm5.log", false},
		{"var_log_xrdp.log", false},
		{"var_log_xrdp-sesman.log", false},
		{"freerdp-shadow-cli_server.log", false},
		{"xtigervncviewer_client_stderr.log", false},
		{"xfreerdp_client_session_stderr.log", false},
		{"home_rdptest_.local_share_xrdp_xrdp-chansrv.10.log", false},
	} {
		_, data := readSample(t, c.file)
		head := data[:min(len(data), 4096)]
		if got := p.Sniff(head, "evidence.bin"); got != c.want {
			t.Errorf("Sniff(%s) = %v", c.file, got)
		}
	}
	if !p.Sniff(nil, "/var/log/x11vnc.log") || p.Sniff([]byte("hello"), "notes.txt") {
		t.Error("name-based sniffing")
	}
}
