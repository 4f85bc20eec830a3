package tigervnc

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ratwatch/ratwatch/pkg/session"
)

const sampleLog = "tigervncserver_Xtigervnc_vm5.log"

// TestSample: Xtigervnc :5 on port 5905, SecurityTypes None. Read by hand:
//
//	53570 accepted in the 11:26:52 block, security None(1), "Server default
//	      pixel format" (authSuccess), closing "Clean disconnection" in the
//	      11:26:54 block, 1 framebuffer update → established 11:26:52–11:26:54.
//	53578 accepted in the 11:26:54 block (after 53570 closed), None(1),
//	      authSuccess, closing in the 11:26:57 block, 2 framebuffer updates
//	      → established 11:26:54–11:26:57.
//
// The server exits cleanly at 11:27:01 with no client connected.
func TestSample(t *testing.T) {
	path, data := readSample(t, sampleLog)
	res := parse(t, path, data, time.UTC)
	const ip = "127.0.0.1"
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:26:52Z", "2026-11-21T11:26:54Z", ip, 53570, session.Established, "none", nil, false, 0},
		{"2026-11-21T11:26:54Z", "2026-11-21T11:26:57Z", ip, 53578, session.Established, "none", nil, false, 0},
	})
	checkEvidence(t, path, data, res.Sessions)
	for i, r := range res.Sessions {
		if r.Display != ":5" || r.LocalPort != 5905 {
			t.Errorf("#%d: display %q local port %d", i, r.Display, r.LocalPort)
		}
	}
	if k := res.Sessions[1].Key; k != "tigervnc|127.0.0.1|53578" {
		t.Errorf("key %q", k)
	}
	if !strings.Contains(strings.Join(res.Sessions[1].Notes, "|"), "framebuffer updates sent: 2") {
		t.Errorf("notes %q", res.Sessions[1].Notes)
	}
	if !sameTime(res.FirstTime, ts(t, "2026-11-21T11:26:48Z")) || !sameTime(res.LastTime, ts(t, "2026-11-21T11:27:01Z")) {
		t.Errorf("first/last %v %v", res.FirstTime, res.LastTime)
	}
	if res.Lines != 56 || len(res.Errors) != 0 {
		t.Errorf("lines %d errors %v", res.Lines, res.Errors)
	}
}

func TestSampleZone(t *testing.T) {
	path, data := readSample(t, sampleLog)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, path, data, ny)
	r := res.Sessions[0]
	if !sameTime(r.Start, ts(t, "2026-11-21T16:26:52Z")) || !strings.Contains(r.TimeRule, "America/New_York") {
		t.Errorf("New York reading: %v, rule %q", r.Start, r.TimeRule)
	}
}
