// Package audittest builds reports for audit tests through the real
// pipeline: the engine's scanners over an offline root, the matcher and the
// verdict, with chosen processes, sockets and sessions merged in (so the
// findings carry exactly the evidence a live scan would write).
package audittest

import (
	"context"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/engine"
	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/exitcode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Signatures loads the built-in signature set.
func Signatures(t testing.TB) *signature.Set {
	t.Helper()
	set, err := signature.Builtin(signature.Options{})
	if err != nil {
		t.Fatalf("built-in signatures: %v", err)
	}
	return set
}

// Scan runs the engine over root (an empty temporary directory when "") as
// an offline system of osName, with extra merged before matching. The host
// name is set to host.
func Scan(t testing.TB, root, osName, host string, extra inventory.Inventory) *report.Report {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	r, err := engine.Run(context.Background(), engine.Options{Command: "audit", Source: source.Dir(root, osName),
		Signatures: Signatures(t), Location: time.UTC, Extra: func() inventory.Inventory { return extra }})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	r.Host.Name = host
	return r
}

// T returns a UTC time pointer.
func T(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// Session builds an incoming/outgoing session record as a log parser would.
func Session(tool string, dir session.Direction, outcome session.Outcome, start, end string, remoteID, remoteIP string, port uint32, user, logPath string, line int) session.Record {
	r := session.Record{Tool: tool, Parser: tool + "-test", Direction: dir, Outcome: outcome, RemoteID: remoteID,
		RemoteIP: remoteIP, RemotePort: port, LocalUser: user,
		Evidence: []evidence.Evidence{{Kind: evidence.KindLogLine, Scanner: tool + "-test", Path: logPath, Line: line, Summary: "test record"}}}
	if start != "" {
		r.Start = T(start)
	}
	if end != "" {
		r.End = T(end)
	}
	r.Finish()
	return r
}

// AnyDesk is an AnyDesk installation running as root, with an incoming
// session from 123 456 789 (alice), one from 987 654 321 (bob), a rejected
// attempt and an outgoing session.
func AnyDesk() inventory.Inventory {
	started := T("2026-01-10T08:00:00Z")
	return inventory.Inventory{
		Processes: []inventory.Process{{PID: 4242, PPID: 1, Name: "anydesk", Exe: "/usr/bin/anydesk",
			Cmdline: "/usr/bin/anydesk --service", User: "root", Started: started,
			SHA256: "4f8ab2fd4c6c0b8b3f0e2a3c9d1e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60"}},
		Sessions: []session.Record{
			Session("anydesk", session.Incoming, session.Established, "2026-01-12T09:00:05Z", "2026-01-12T09:30:00Z", "123 456 789", "203.0.113.7", 50123, "alice", "/home/alice/.anydesk/ad.trace", 10),
			Session("anydesk", session.Incoming, session.Established, "2026-01-13T22:14:09Z", "2026-01-13T22:40:00Z", "987654321", "198.51.100.9", 61000, "bob", "/home/bob/.anydesk/ad.trace", 20),
			Session("anydesk", session.Incoming, session.Rejected, "2026-01-14T07:00:00Z", "", "555000111", "192.0.2.44", 0, "alice", "/home/alice/.anydesk/ad.trace", 30),
			Session("anydesk", session.Outgoing, session.Established, "2026-01-15T10:00:00Z", "2026-01-15T10:05:00Z", "444333222", "", 0, "alice", "/home/alice/.anydesk/ad.trace", 40),
		},
		Statuses: []inventory.ScannerStatus{{Name: "test-inventory", Status: inventory.StatusOK}},
	}
}

// X11VNC is a running x11vnc listening on 127.0.0.1:5901.
func X11VNC(pid int32, user string) inventory.Inventory {
	return inventory.Inventory{
		Processes: []inventory.Process{{PID: pid, PPID: 1, Name: "x11vnc", Exe: "/usr/bin/x11vnc",
			Cmdline: "x11vnc -display :99 -localhost -rfbport 5901 -forever -o /tmp/x.log", User: user}},
		Sockets: []inventory.Socket{{Socket: evidence.Socket{Proto: "tcp", LocalIP: "127.0.0.1", LocalPort: 5901, State: "LISTEN"}, PID: pid},
			{Socket: evidence.Socket{Proto: "tcp", LocalIP: "127.0.0.1", LocalPort: 5901, RemoteIP: "127.0.0.1", RemotePort: 40000 + uint32(pid%1000), State: "ESTABLISHED"}, PID: pid}},
		Statuses: []inventory.ScannerStatus{{Name: "test-inventory", Status: inventory.StatusOK}},
	}
}

// Merge combines inventories.
func Merge(invs ...inventory.Inventory) inventory.Inventory {
	var out inventory.Inventory
	for _, i := range invs {
		out.Merge(i)
	}
	return out
}

// Audited returns a report judged and compared the way `ratwatch audit`
// does, exercising every kind of judgement: AnyDesk established with one
// session allowed by the helpdesk's ID and one not, an attempt, an outgoing
// session, an expired entry, a peer given as a host name and one as IPv6;
// x11vnc and one AnyDesk session gone since the previous run.
func Audited(t testing.TB) *report.Report {
	t.Helper()
	extra := Session("anydesk", session.Incoming, session.Established, "2026-01-11T06:00:00Z", "2026-01-11T06:10:00Z", "111222333", "2001:db8::7", 50000, "alice", "/home/alice/.anydesk/ad.trace", 5)
	named := Session("anydesk", session.Incoming, session.FailedAuth, "2026-01-14T08:00:00Z", "", "222333444", "relay-12.net.anydesk.com", 0, "", "/home/alice/.anydesk/ad.trace", 35)
	before := Scan(t, "", "linux", "pc-17", Merge(AnyDesk(), X11VNC(7001, "root"), inventory.Inventory{Sessions: []session.Record{extra}}))
	pol, err := audit.ParsePolicy("policy.yaml", []byte(`version: 1
allow:
  - id: helpdesk
    tool: anydesk
    instance: {anydesk_id: "123 456 789"}
    reason: helpdesk (IT-0815)
    expires: never
  - id: old-vendor
    tool: anydesk
    instance: {anydesk_id: "987654321"}
    reason: vendor contract, ended
    expires: 2026-01-31
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := *T("2026-06-01T12:00:00Z")
	before.Audit = &report.AuditInfo{StateDir: "/var/lib/ratwatch"}
	pol.Judge(before, at.Add(-time.Hour), nil)
	prev := audit.Compare(before, nil, at.Add(-time.Hour))

	r := Scan(t, "", "linux", "pc-17", Merge(AnyDesk(), inventory.Inventory{Sessions: []session.Record{named}}))
	r.Audit = &report.AuditInfo{StateDir: "/var/lib/ratwatch", Policy: pol.File, PolicySHA256: pol.SHA256,
		Baseline:       report.BaselineInfo{Path: "/var/lib/ratwatch/baseline.json", ScanID: prev.ScanID, WrittenAt: &prev.WrittenAt},
		ExpiredEntries: pol.ExpiredEntries(at), Notes: []string{"test fixture"}}
	pol.Judge(r, at, nil)
	audit.Compare(r, prev, at)
	r.ExitCode = exitcode.ForAudit(r.Verdict, r.Findings, "")
	return r
}
