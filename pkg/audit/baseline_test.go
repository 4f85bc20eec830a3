package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// Fingerprints hash only stable fields.
func TestFingerprints(t *testing.T) {
	a := audittest.Session("anydesk", session.Incoming, session.Established, "2026-01-12T09:00:05Z", "", "123 456 789", "203.0.113.7", 50123, "alice", "/a/ad.trace", 10)
	same := a
	same.RemoteID = "123456789"                      // spacing of the ID
	same.RemotePort = 61111                          // ephemeral port
	same.Start = audittest.T("2026-01-12T09:00:59Z") // same minute (minute-resolution logs)
	same.End = audittest.T("2026-01-12T09:40:00Z")   // ended meanwhile
	same.Outcome = session.AttemptOnly               // outcome refined later
	same.Evidence[0].Line = 99                       // log rewritten
	if audit.SessionFingerprint("anydesk", &a) != audit.SessionFingerprint("anydesk", &same) {
		t.Error("session fingerprint depends on unstable fields")
	}
	for name, mod := range map[string]func(r *session.Record){
		"peer":      func(r *session.Record) { r.RemoteID = "987654321" },
		"ip":        func(r *session.Record) { r.RemoteIP = "203.0.113.8" },
		"minute":    func(r *session.Record) { r.Start = audittest.T("2026-01-12T09:01:00Z") },
		"direction": func(r *session.Record) { r.Direction = session.Outgoing },
	} {
		b := a
		mod(&b)
		if audit.SessionFingerprint("anydesk", &a) == audit.SessionFingerprint("anydesk", &b) {
			t.Errorf("%s change keeps the fingerprint", name)
		}
	}
	if audit.SessionFingerprint("anydesk", &a) == audit.SessionFingerprint("teamviewer", &a) {
		t.Error("tool not in the fingerprint")
	}

	// A process restarted with another pid and another client port keeps
	// every fingerprint of its finding.
	fps := func(pid int32) map[string]bool {
		r := audittest.Scan(t, "", "linux", "pc", audittest.X11VNC(pid, "root"))
		next := audit.Compare(r, nil, time.Now())
		out := map[string]bool{}
		for _, it := range next.Items {
			out[it.Kind+" "+it.Fingerprint] = true
		}
		return out
	}
	one, two := fps(7001), fps(8123)
	if len(one) < 3 {
		t.Fatalf("items: %v", one)
	}
	for k := range one {
		if !two[k] {
			t.Errorf("item %s changed with the pid", k)
		}
	}
}

func run(t *testing.T, inv inventory.Inventory, prev *audit.Baseline, at string, pol string) (*report.Report, *audit.Baseline) {
	t.Helper()
	r := audittest.Scan(t, "", "linux", "pc-1", inv)
	when := *audittest.T(at)
	r.Audit = &report.AuditInfo{StateDir: "st"}
	policy(t, pol).Judge(r, when, nil)
	return r, audit.Compare(r, prev, when)
}

const allowVNC = `
  - id: vnc
    tool: x11vnc
    reason: lab
    expires: 2026-03-01
`

func TestCompareNewChangedGone(t *testing.T) {
	// Run 1: x11vnc only installed (a package), nothing before: new.
	installed := inventory.Inventory{Packages: []inventory.Package{{Manager: "dpkg", Name: "x11vnc", Version: "0.9.16-9", Source: "/var/lib/dpkg/status"}}}
	r1, b1 := run(t, installed, nil, "2026-02-01T10:00:00Z", allowVNC)
	f := finding(t, r1, "x11vnc")
	if f.Audit.Change != report.ChangeNew || r1.Audit.Counts.New != 1 || f.State != "installed" {
		t.Fatalf("run 1: %+v state %s", f.Audit, f.State)
	}
	// Run 2: the same: unchanged.
	r2, b2 := run(t, installed, b1, "2026-02-01T11:00:00Z", allowVNC)
	if f := finding(t, r2, "x11vnc"); f.Audit.Change != report.ChangeUnchanged || len(f.Audit.Changes) != 0 {
		t.Fatalf("run 2: %+v", f.Audit)
	} else if !f.Audit.FirstSeen.Equal(*audittest.T("2026-02-01T10:00:00Z")) {
		t.Errorf("first seen %v", f.Audit.FirstSeen)
	}
	// Run 3: now running and listening, with an incoming session: changed,
	// and the session is new.
	running := audittest.Merge(installed, audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: []session.Record{
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:00Z", "", "", "192.0.2.10", 40001, "", "/tmp/x.log", 7)}})
	r3, b3 := run(t, running, b2, "2026-02-01T12:00:00Z", allowVNC)
	f = finding(t, r3, "x11vnc")
	changes := strings.Join(f.Audit.Changes, "\n")
	for _, want := range []string{"state installed → session-past", "verdict not_established → established", "new process /usr/bin/x11vnc", "new listener tcp 127.0.0.1:5901", "1 new incoming session"} {
		if !strings.Contains(changes, want) {
			t.Errorf("run 3 changes lack %q:\n%s", want, changes)
		}
	}
	if f.Audit.Change != report.ChangeChanged || f.Audit.Incoming[0].Change != report.ChangeNew || r3.Audit.Counts.NewSessions != 1 {
		t.Errorf("run 3: %+v", f.Audit)
	}
	// Run 4: process stopped, session ended, a month later: the entry has
	// expired, so the finding is no longer allowed.
	ended := audittest.Merge(installed, inventory.Inventory{Sessions: []session.Record{
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:00Z", "2026-02-01T12:10:00Z", "", "192.0.2.10", 40001, "", "/tmp/x.log", 7)}})
	r4, b4 := run(t, ended, b3, "2026-03-02T00:00:00Z", allowVNC)
	f = finding(t, r4, "x11vnc")
	changes = strings.Join(f.Audit.Changes, "\n")
	for _, want := range []string{"no longer allowed", "process /usr/bin/x11vnc no longer running", "listener tcp 127.0.0.1:5901 no longer listening"} {
		if !strings.Contains(changes, want) {
			t.Errorf("run 4 changes lack %q:\n%s", want, changes)
		}
	}
	if s := f.Audit.Incoming[0]; s.Change != report.ChangeChanged || !strings.Contains(strings.Join(s.Changes, ","), "session ended") {
		t.Errorf("run 4 session: %+v", s)
	}
	// Run 5: uninstalled and the log gone: the finding and its session are
	// gone (one gone line for the tool).
	r5, _ := run(t, inventory.Inventory{}, b4, "2026-03-02T01:00:00Z", allowVNC)
	if len(r5.Findings) != 0 || len(r5.Audit.Gone) != 1 || r5.Audit.Gone[0].Kind != "finding" || r5.Audit.Gone[0].Tool != "x11vnc" || r5.Audit.Counts.Gone != 1 {
		t.Errorf("run 5 gone: %+v", r5.Audit.Gone)
	}
	if g := r5.Audit.Gone[0]; g.LastSeen == nil || !g.LastSeen.Equal(b4.WrittenAt) || g.Last["state"] != "session-past" {
		t.Errorf("gone item: %+v", g)
	}
	// Its session goes with it, named in that line.
	if s := r5.Audit.Gone[0].Sessions; len(s) != 1 || !strings.Contains(s[0], "192.0.2.10") {
		t.Errorf("gone with the tool: %q", s)
	}
	// A session that leaves the logs while the tool stays is gone by itself.
	r6, _ := run(t, installed, b4, "2026-03-02T01:00:00Z", allowVNC)
	if len(r6.Audit.Gone) != 1 || r6.Audit.Gone[0].Kind != "session" || !strings.Contains(r6.Audit.Gone[0].Label, "rotated or deleted") {
		t.Errorf("run 6 gone: %+v", r6.Audit.Gone)
	}
}

func TestBaselineSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if b, note, err := audit.LoadBaseline(dir); b != nil || note != "" || err != nil {
		t.Fatalf("missing baseline: %v %q %v", b, note, err)
	}
	_, b := run(t, audittest.X11VNC(7001, "root"), nil, "2026-02-01T10:00:00Z", allowVNC)
	if err := b.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(dir); err != nil { // over an existing one
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != audit.BaselineFile {
		t.Errorf("state dir holds %v; temporary files must not remain", entries)
	}
	if st, _ := os.Stat(filepath.Join(dir, audit.BaselineFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("baseline mode %v", st.Mode())
	}
	got, note, err := audit.LoadBaseline(dir)
	if err != nil || note != "" || len(got.Items) != len(b.Items) || got.ScanID != b.ScanID {
		t.Fatalf("round trip: %v %q %+v", err, note, got)
	}
	// A corrupt baseline is moved aside and the audit starts afresh.
	if err := os.WriteFile(filepath.Join(dir, audit.BaselineFile), []byte(`{"format": "ratwatch-audit-baseline/1", "items": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, note, err = audit.LoadBaseline(dir)
	if err != nil || got != nil || !strings.Contains(note, "unreadable") || !strings.Contains(note, "corrupt-") {
		t.Fatalf("corrupt: %v %q %v", got, note, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, audit.BaselineFile+".corrupt-*")); len(m) != 1 {
		t.Errorf("corrupt baseline not kept aside: %v", m)
	}
}

// Two sessions of one peer in one minute (two viewers from one address; a
// wrong password, then the right one) are two baseline items: an identical
// second run reports both unchanged, not a change every run. A session that
// changes (an attempt that became a session) changes its finding and the
// counts too.
func TestSessionsOfOnePeerInOneMinute(t *testing.T) {
	base := audittest.Merge(audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: []session.Record{
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:01Z", "2026-02-01T11:30:40Z", "", "127.0.0.1", 55570, "", "/tmp/x.log", 7),
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:02Z", "", "", "127.0.0.1", 55586, "", "/tmp/x.log", 20),
		audittest.Session("x11vnc", session.Incoming, session.AttemptOnly, "2026-02-01T11:30:05Z", "2026-02-01T11:30:05Z", "", "127.0.0.1", 0, "", "/tmp/x.log", 30),
	}})
	r1, b1 := run(t, base, nil, "2026-02-01T12:00:00Z", allowVNC)
	f := finding(t, r1, "x11vnc")
	fps := map[string]bool{}
	for _, l := range f.Audit.Lists() {
		for _, ia := range l {
			fps[ia.Fingerprint] = true
		}
	}
	if len(fps) != 3 {
		t.Fatalf("%d fingerprints for 3 sessions", len(fps))
	}
	r2, b2 := run(t, base, b1, "2026-02-01T13:00:00Z", allowVNC)
	f = finding(t, r2, "x11vnc")
	if f.Audit.Change != report.ChangeUnchanged || r2.Audit.Counts.Changed != 0 {
		t.Errorf("identical run: %s %q", f.Audit.Change, f.Audit.Changes)
	}
	for _, l := range f.Audit.Lists() {
		for _, ia := range l {
			if ia.Change != report.ChangeUnchanged {
				t.Errorf("session %s: %s %q", ia.Fingerprint, ia.Change, ia.Changes)
			}
		}
	}
	// The attempt turns out to have got in (a later log line): the session
	// changed, and so did its finding.
	later := audittest.Merge(audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: []session.Record{
		base.Sessions[0], base.Sessions[1],
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:05Z", "2026-02-01T11:30:05Z", "", "127.0.0.1", 0, "", "/tmp/x.log", 30),
	}})
	r3, _ := run(t, later, b2, "2026-02-01T14:00:00Z", allowVNC)
	f = finding(t, r3, "x11vnc")
	if f.Audit.Change != report.ChangeChanged || r3.Audit.Counts.Changed != 1 || !strings.Contains(strings.Join(f.Audit.Changes, "\n"), "changed (") {
		t.Errorf("run 3: %s %q, counts %+v", f.Audit.Change, f.Audit.Changes, r3.Audit.Counts)
	}
	// A session alone in its minute stays the same item when a later one
	// from the same peer comes in that minute: unchanged, the other new,
	// nothing gone.
	alone := audittest.Merge(audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: base.Sessions[:1]})
	_, ba := run(t, alone, nil, "2026-02-01T12:00:00Z", allowVNC)
	r4, _ := run(t, audittest.Merge(audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: base.Sessions[:2]}), ba, "2026-02-01T13:00:00Z", allowVNC)
	f = finding(t, r4, "x11vnc")
	if len(f.Audit.Incoming) != 2 || f.Audit.Incoming[0].Change != report.ChangeUnchanged || f.Audit.Incoming[1].Change != report.ChangeNew || len(r4.Audit.Gone) != 0 {
		t.Errorf("run after a second session in the minute: %+v, gone %+v", f.Audit.Incoming, r4.Audit.Gone)
	}
}
