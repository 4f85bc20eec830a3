package freerdpshadow

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ratwatch/ratwatch/pkg/session"
)

const sampleLog = "freerdp-shadow-cli_server.log"

// The sample was written on 2026-11-21 (UTC machine); the file's mtime is
// given explicitly, as a scanner would pass it.
var sampleMod = time.Date(2026, 11, 21, 11, 30, 0, 0, time.UTC)

// TestSample: freerdp-shadow-cli -auth on :99, WARN level. Read by hand:
//
//	thread 9010:9050: x11_shadow_input_synchronize_event x2 at 11:28:04.992
//	      (input from an activated client), libx264 encoder lines, transport
//	      failure at 11:28:07.286 and "Failed to check FreeRDP file
//	      descriptor" → established 11:28:04.992–11:28:07.286 (xfreerdp).
//	thread 9010:9059: audin channel error — a channel thread, not a client.
//	thread 9010:9072: "peer_recv_callback: CONNECTION_STATE_INITIAL -
//	      rdp_server_accept_nego() fail" at 11:28:08.341, then the thread's
//	      end → attempt_only 11:28:08.341–11:28:08.341 (rdesktop).
//
// No line names a client address at WARN level.
func TestSample(t *testing.T) {
	path, data := readSample(t, sampleLog)
	res := parse(t, path, data, time.UTC, sampleMod)
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:28:04.992Z", "2026-11-21T11:28:07.286Z", "", session.Established, false, "freerdp|thread:9010:9050"},
		{"2026-11-21T11:28:08.341Z", "2026-11-21T11:28:08.341Z", "", session.AttemptOnly, false, "freerdp|thread:9010:9072"},
	})
	checkEvidence(t, path, data, res.Sessions)
	r := res.Sessions[0]
	if !strings.Contains(r.TimeRule, "2026-11-21") || !strings.Contains(r.TimeRule, "modification time") {
		t.Errorf("time rule %q", r.TimeRule)
	}
	if !strings.Contains(strings.Join(r.Notes, "|"), "2 input synchronize events") {
		t.Errorf("notes %q", r.Notes)
	}
	// The audin line (11:28:04.093) is the earliest time in the file: it
	// was written after a .992 line of the same second.
	if !sameTime(res.FirstTime, ts(t, "2026-11-21T11:28:04.093Z")) || !sameTime(res.LastTime, ts(t, "2026-11-21T11:28:08.341Z")) {
		t.Errorf("first/last %v %v", res.FirstTime, res.LastTime)
	}
	if res.Lines != 19 || len(res.Errors) != 0 {
		t.Errorf("lines %d errors %v", res.Lines, res.Errors)
	}
}

// The file modified just after midnight: its lines are from the day before.
func TestSampleDateFromMtime(t *testing.T) {
	path, data := readSample(t, sampleLog)
	mod := time.Date(2026, 11, 22, 0, 5, 0, 0, time.UTC)
	res := parse(t, path, data, time.UTC, mod)
	if !sameTime(res.Sessions[0].Start, ts(t, "2026-11-21T11:28:04.992Z")) {
		t.Errorf("start %v", res.Sessions[0].Start)
	}
	// Read as Berlin time.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	res = parse(t, path, data, berlin, sampleMod)
	if !sameTime(res.Sessions[0].Start, ts(t, "2026-11-21T10:28:04.992Z")) || !strings.Contains(res.Sessions[0].TimeRule, "Europe/Berlin") {
		t.Errorf("Berlin: %v %q", res.Sessions[0].Start, res.Sessions[0].TimeRule)
	}
	// Without a modification time there is no date: no times, and the rule says so.
	res = parse(t, path, data, time.UTC, time.Time{})
	if r := res.Sessions[0]; r.Start != nil || r.End != nil || r.Open || !strings.Contains(r.TimeRule, "times left empty") {
		t.Errorf("undated: %+v", r)
	}
	if r := res.Sessions[0]; r.Outcome != session.Established {
		t.Errorf("undated outcome %s", r.Outcome)
	}
}
