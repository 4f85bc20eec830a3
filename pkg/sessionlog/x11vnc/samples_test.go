package x11vnc

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ratwatch/ratwatch/pkg/session"
)

const (
	sampleNoAuth = "x11vnc_-o_logfile_noauth_two-clients.log"
	samplePasswd = "x11vnc_-o_logfile_passwd_noauth-wrongpw-rightpw.log"
)

var keysPointer = map[string]int{"KeyEvent": 2, "PointerEvent": 1}

// TestSampleNoAuth: x11vnc -nopw on :99, port 5901. Read by hand: eight
// connections, all from 127.0.0.1 (the file name says two clients, but the
// capture run used vncsnapshot, xtigervncviewer, go-vnc and a bare TCP probe):
//
//	38736 11:13:19–11:13:19 RFB 3.3 (vncsnapshot): no security line (3.3),
//	      "Pixel format for client", SetPixelFormat/SetEncodings received,
//	      one raw framebuffer update sent → established, no input.
//	38744 11:13:20–11:13:24 RFB 3.8, handler type 1 (None), tight encoding,
//	      ClientCutText 1 received, ServerCutText 1 sent → established.
//	50758 11:14:31–11:14:34 same as 38744.
//	60318 11:24:56–11:25:02 type 1, KeyEvent 2, PointerEvent 1 (go-vnc).
//	41359 11:26:08–11:26:13 "rfbProcessClientProtocolVersion: client gone"
//	      → attempt_only.
//	33854 11:26:39–11:26:40 RFB 3.3 (vncsnapshot) whose disconnect and
//	      statistics (SetPixelFormat…) come after the accept of 33860.
//	33860 11:26:40–11:26:42 type 1, KeyEvent 2, PointerEvent 1; its
//	      "Client Protocol Version 3.8" comes after 33854's disconnect.
//	44853 11:28:13–11:28:17 protocol-version client gone → attempt_only.
func TestSampleNoAuth(t *testing.T) {
	path, data := readSample(t, sampleNoAuth)
	res := parse(t, path, data, time.UTC)
	const ip = "127.0.0.1"
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:13:19Z", "2026-11-21T11:13:19Z", ip, 38736, session.Established, "", nil, false, 0},
		{"2026-11-21T11:13:20Z", "2026-11-21T11:13:24Z", ip, 38744, session.Established, "none", nil, false, 2},
		{"2026-11-21T11:14:31Z", "2026-11-21T11:14:34Z", ip, 50758, session.Established, "none", nil, false, 2},
		{"2026-11-21T11:24:56Z", "2026-11-21T11:25:02Z", ip, 60318, session.Established, "none", keysPointer, false, 0},
		{"2026-11-21T11:26:08Z", "2026-11-21T11:26:13Z", ip, 41359, session.AttemptOnly, "", nil, false, 0},
		{"2026-11-21T11:26:39Z", "2026-11-21T11:26:40Z", ip, 33854, session.Established, "", nil, false, 0},
		{"2026-11-21T11:26:40Z", "2026-11-21T11:26:42Z", ip, 33860, session.Established, "none", keysPointer, false, 0},
		{"2026-11-21T11:28:13Z", "2026-11-21T11:28:17Z", ip, 44853, session.AttemptOnly, "", nil, false, 0},
	})
	checkEvidence(t, path, data, res.Sessions)
	for i, r := range res.Sessions {
		if r.Display != ":99" || r.LocalPort != 5901 {
			t.Errorf("#%d: display %q local port %d", i, r.Display, r.LocalPort)
		}
	}
	if k := res.Sessions[3].Key; k != "x11vnc|127.0.0.1|60318" {
		t.Errorf("key %q", k)
	}
	// The interleaved pair is attributed by state, and says so.
	if !strings.Contains(strings.Join(res.Sessions[5].Notes, " "), "several connections") {
		t.Errorf("33854 lacks the attribution note: %q", res.Sessions[5].Notes)
	}
	if res.FirstTime == nil || !res.FirstTime.Equal(*ts(t, "2026-11-21T11:13:14Z")) ||
		res.LastTime == nil || !res.LastTime.Equal(*ts(t, "2026-11-21T11:28:18Z")) {
		t.Errorf("first/last %v %v", res.FirstTime, res.LastTime)
	}
	if res.Lines != 333 || len(res.Errors) != 0 {
		t.Errorf("lines %d errors %v", res.Lines, res.Errors)
	}
}

// TestSamplePasswd: x11vnc -passwd on port 5902. By hand:
//
//	52384 11:27:04–11:27:04 "rfbProcessClientSecurityType: client gone": go-vnc
//	      without a password found no usable scheme → attempt_only.
//	52390 11:27:04–11:27:04 handler type 2, "authentication failed",
//	      "password check failed" → failed_auth, vnc-password.
//	52402 11:27:04–11:27:05 handler type 2, client_set_net, KeyEvent 2,
//	      PointerEvent 1 → established, vnc-password.
//
// Then "caught signal: 15": the server exits, no connection is open.
func TestSamplePasswd(t *testing.T) {
	path, data := readSample(t, samplePasswd)
	res := parse(t, path, data, time.UTC)
	const ip = "127.0.0.1"
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:27:04Z", "2026-11-21T11:27:04Z", ip, 52384, session.AttemptOnly, "", nil, false, 0},
		{"2026-11-21T11:27:04Z", "2026-11-21T11:27:04Z", ip, 52390, session.FailedAuth, "vnc-password", nil, false, 0},
		{"2026-11-21T11:27:04Z", "2026-11-21T11:27:05Z", ip, 52402, session.Established, "vnc-password", keysPointer, false, 0},
	})
	checkEvidence(t, path, data, res.Sessions)
	for i, r := range res.Sessions {
		if r.Display != ":99" || r.LocalPort != 5902 {
			t.Errorf("#%d: display %q local port %d", i, r.Display, r.LocalPort)
		}
	}
	// The failure is backed by both failure lines (118, 119).
	var lines []int
	for _, e := range res.Sessions[1].Evidence {
		for _, f := range e.Fields {
			if f == "outcome" {
				lines = append(lines, e.Line)
			}
		}
	}
	if len(lines) != 2 || lines[0] != 118 || lines[1] != 119 {
		t.Errorf("failed_auth evidence lines %v, want [118 119]", lines)
	}
}

// TestSampleZone: the same log read as Europe/Berlin (UTC+1 in November).
func TestSampleZone(t *testing.T) {
	path, data := readSample(t, samplePasswd)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, path, data, berlin)
	r := res.Sessions[2]
	if !sameTime(r.Start, ts(t, "2026-11-21T10:27:04Z")) || !sameTime(r.End, ts(t, "2026-11-21T10:27:05Z")) {
		t.Errorf("Berlin reading: %v–%v", r.Start, r.End)
	}
	if !strings.Contains(r.TimeRule, "Europe/Berlin") || !strings.Contains(r.TimeRule, "without zone") {
		t.Errorf("time rule %q", r.TimeRule)
	}
	if r.Start.Location() != time.UTC {
		t.Errorf("start not UTC")
	}
}
