package eventlog

import "testing"

// SYNTHETIC — there is no public LogMeIn event sample (session-artifacts.md
// §6 is second-hand: Ruler, KAPE). Built from the documented texts only:
// Application log, provider "LogMeIn", the message as one unnamed <Data>:
// 102 "<user> has successfully logged on from IP address x.x.x.x", 202
// "Remote control session started … from IP address x.x.x.x", 205 "… ended
// a Remote Control Session". IPs are documentation addresses.
func TestSyntheticLogMeIn(t *testing.T) {
	app, h := "Application", "victim-pc"
	ev := func(id, rid int, tm, text string) xev {
		return xev{"LogMeIn", app, h, id, rid, tm, [][2]string{{"", text}}, nil}
	}
	data := export(
		// Session 1: logon, remote control 30 s later, ended 20 min later.
		ev(102, 1, "2024-06-01T09:00:00Z", "bob@example.com has successfully logged on from IP address 203.0.113.50"),
		ev(202, 2, "2024-06-01T09:00:30Z", "Remote control session started by user bob@example.com from IP address 203.0.113.50"),
		ev(205, 3, "2024-06-01T09:20:30Z", "bob@example.com ended a Remote Control Session"),
		// Session 2: logon only (file manager?) from another IP: open.
		ev(102, 4, "2024-06-01T11:00:00Z", "eve@example.net has successfully logged on from IP address 198.51.100.23"),
		// Session 3: remote control whose logon is not in the log; the end
		// names a user the start did not: joined by the open RC session.
		ev(202, 5, "2024-06-01T12:00:00Z", "Remote control session started from IP address 192.0.2.80"),
		ev(205, 6, "2024-06-01T12:10:00Z", "User carol ended a Remote Control Session"),
		// Session 4: an end with nothing open.
		ev(205, 7, "2024-06-01T13:00:00Z", "dave ended a Remote Control Session"),
		// Another provider's 102 is ignored.
		xev{"Other", app, h, 102, 8, "2024-06-01T13:00:00Z", [][2]string{{"", "x has successfully logged on from IP address 192.0.2.1"}}, nil},
	)
	res := parseBytes(t, "lmi.xml", data)
	if res.Lines != 8 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	checkSessions(t, "lmi.xml", res.Sessions, []want{
		{tool: ToolLogMeIn, outcome: est, start: "2024-06-01T09:00:00Z", end: "2024-06-01T09:20:30Z",
			ip: "203.0.113.50", user: "bob@example.com", rids: []uint64{1, 2, 3}, notes: []string{"remote control started (event 202)"}},
		{tool: ToolLogMeIn, outcome: est, start: "2024-06-01T11:00:00Z", open: true,
			ip: "198.51.100.23", user: "eve@example.net", rids: []uint64{4}, notes: []string{"no documented logoff"}},
		{tool: ToolLogMeIn, outcome: est, start: "2024-06-01T12:00:00Z", end: "2024-06-01T12:10:00Z",
			ip: "192.0.2.80", rids: []uint64{5, 6}, user: "carol"},
		{tool: ToolLogMeIn, outcome: est, end: "2024-06-01T13:00:00Z",
			user: "dave", rids: []uint64{7}, notes: []string{"start unknown"}},
	}, 0)
	if k := res.Sessions[0].Key; k != "logmein|victim-pc|203.0.113.50" {
		t.Errorf("key %q", k)
	}
	if f := res.Sessions[0].Evidence[0].Fields; len(f) == 0 || f[0] != "start" {
		t.Errorf("fields %v", f)
	}
}

func TestLogMeInText(t *testing.T) {
	for _, c := range []struct {
		act      action
		in, u, a string
	}{
		{aLMILogon, "alice has successfully logged on from IP address 203.0.113.5", "alice", "203.0.113.5"},
		{aLMILogon, "DOMAIN\\alice has successfully logged on from IP address 2001:db8::7.", "DOMAIN\\alice", "2001:db8::7"},
		{aLMIStart, "Remote control session started for alice (203.0.113.5) from IP address 203.0.113.5", "alice", "203.0.113.5"},
		{aLMIEnd, "alice (203.0.113.5) ended a Remote Control Session", "alice", "203.0.113.5"},
		{aLMIEnd, "ended a Remote Control Session", "", ""},
	} {
		u, a := lmiText(c.act, c.in)
		if u != c.u || a != c.a {
			t.Errorf("%q: %q %q, want %q %q", c.in, u, a, c.u, c.a)
		}
	}
}
