package verdict

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// These tests walk IPA's example cases (design/verdict.md) through the engine.
// The inputs are what the matcher would hand over; the end-to-end tests run
// the same engine on real servers, clients and logs.

var sig = &signature.Signature{ID: "anydesk", Name: "AnyDesk", Vendor: "AnyDesk Software GmbH", Category: "remote-support",
	Logs: []signature.Log{{Parser: "anydesk-trace"}}}

var okStatuses = []inventory.ScannerStatus{{Name: "processes", Status: "ok"}, {Name: "sockets", Status: "ok"}, {Name: "tool-logs", Status: "ok"}}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func proc(pid int32) match.ProcMatch {
	return match.ProcMatch{P: inventory.Process{PID: pid, Name: "AnyDesk", Started: at("2026-11-20T09:00:00Z")}, Role: match.RoleServer}
}

func sock(class, rip string, rport uint32) match.SockMatch {
	return match.SockMatch{Class: class, S: inventory.Socket{PID: 100, Socket: evidence.Socket{Proto: "tcp", LocalIP: "10.0.0.5", LocalPort: 7070, RemoteIP: rip, RemotePort: rport, State: "ESTABLISHED"}}}
}

func okLog(first string) inventory.LogFile {
	return inventory.LogFile{Tool: "anydesk", Parser: "anydesk-trace", Path: "/home/u/.anydesk/anydesk.trace", Status: "ok", Lines: 120, FirstTime: at(first)}
}

func rec(outcome session.Outcome, dir session.Direction, start, end string, ip string, port uint32) session.Record {
	r := session.Record{Tool: "anydesk", Direction: dir, Outcome: outcome, RemoteIP: ip, RemotePort: port, Start: at(start)}
	if end != "" {
		r.End = at(end)
	}
	r.Finish()
	return r
}

func decide(t *testing.T, tools []*match.Tool, live bool, st []inventory.ScannerStatus) ([]report.Finding, report.Verdict) {
	t.Helper()
	return Decide(tools, Context{Live: live, Statuses: st})
}

func TestNoToolNotEstablished(t *testing.T) {
	fs, v := decide(t, nil, true, okStatuses)
	if len(fs) != 0 || v.RemoteControl != report.NotEstablished || v.Level != "none" || v.Leak != LeakNo {
		t.Fatalf("got %+v", v)
	}
}

func TestPresentOnlyNotEstablished(t *testing.T) {
	tool := &match.Tool{Sig: sig, Packages: []inventory.Package{{Manager: "dpkg", Name: "anydesk"}}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	f := fs[0]
	if f.State != "installed" || f.Verdict != report.NotEstablished || v.RemoteControl != report.NotEstablished {
		t.Fatalf("state %s verdict %s host %s", f.State, f.Verdict, v.RemoteControl)
	}
	if f.Conditions.Running.Status != report.NotMet || f.Conditions.Online.Status != report.NotMet || f.Conditions.Session.Status != report.NotMet {
		t.Fatalf("conditions %+v", f.Conditions)
	}
}

func TestRefusedAttemptNotEstablished(t *testing.T) {
	// "Called, refused to let them control the PC": tool running, an incoming
	// request rejected, the log read in full.
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)},
		Sockets:  []match.SockMatch{sock(match.SockOutbound, "195.181.174.1", 443)},
		Logs:     []inventory.LogFile{okLog("2026-11-01T00:00:00Z")},
		Sessions: []session.Record{rec(session.Rejected, session.Incoming, "2026-11-20T10:00:00Z", "", "", 0)}}
	tool.Sessions[0].RemoteID = "123456789"
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	f := fs[0]
	if f.State != "attempted" || f.Verdict != report.NotEstablished || len(f.Attempts) != 1 || len(f.Incoming) != 0 {
		t.Fatalf("state %s verdict %s attempts %d incoming %d", f.State, f.Verdict, len(f.Attempts), len(f.Incoming))
	}
	if f.Conditions.Running.Status != report.Met || f.Conditions.Online.Status != report.Met {
		t.Fatalf("conditions %+v", f.Conditions)
	}
	if v.RemoteControl != report.NotEstablished || v.Attempts != 1 {
		t.Fatalf("host %+v", v)
	}
}

func TestShortSessionEstablished(t *testing.T) {
	// "Controlled briefly, noticed and cut off": one short session counts.
	r := rec(session.Established, session.Incoming, "2026-11-20T10:00:00Z", "2026-11-20T10:02:00Z", "203.0.113.7", 0)
	r.Transfers = []session.Transfer{{Name: "bank.xlsx", Direction: "from_host"}}
	tool := &match.Tool{Sig: sig, Logs: []inventory.LogFile{okLog("2026-11-01T00:00:00Z")}, Sessions: []session.Record{r}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "session-past" || fs[0].Verdict != report.Established {
		t.Fatalf("state %s verdict %s", fs[0].State, fs[0].Verdict)
	}
	if v.RemoteControl != report.Established || v.Leak != LeakAssumed || v.IncomingSessions != 1 || v.FileTransfers != 1 || v.ActiveSessions != 0 {
		t.Fatalf("host %+v", v)
	}
	if !strings.Contains(v.Summary, "files were moved") {
		t.Fatalf("leak wording does not mention the transfer: %q", v.Summary)
	}
	if !strings.Contains(v.Summary, "reach from this PC") || !strings.Contains(v.Summary, "Disconnect the PC from the network") {
		t.Errorf("a live scan speaks of this PC: %q", v.Summary)
	}
	// Logs handed over (not a live scan) came from another PC.
	_, v = decide(t, []*match.Tool{tool}, false, okStatuses)
	if strings.Contains(v.Summary, "this PC") || !strings.Contains(v.Summary, "reach from the PC this evidence comes from") ||
		!strings.Contains(v.Summary, "Disconnect that PC from the network") {
		t.Errorf("handed-over evidence: %q", v.Summary)
	}
	// The transfer carries no time, so the timeline has the start and the end.
	if tl := fs[0].Timeline; len(tl) != 2 || tl[0].Event != "session-start" || tl[1].Event != "session-end" {
		t.Fatalf("timeline %+v", tl)
	}
}

func TestRestoredSystemIndeterminate(t *testing.T) {
	// "… then restored the system": the tool ran (execution record) but its
	// logs are gone → indeterminate, never not established.
	tool := &match.Tool{Sig: sig, Execs: []inventory.Execution{{Name: "AnyDesk.exe", RunCount: 2, Source: "Prefetch"}}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "executed" || fs[0].Verdict != report.Indeterminate || v.RemoteControl != report.Indeterminate || v.Leak != LeakNotExclude {
		t.Fatalf("state %s verdict %s host %+v", fs[0].State, fs[0].Verdict, v)
	}
}

func TestActiveSession(t *testing.T) {
	r := rec(session.Established, session.Incoming, "2026-11-21T11:00:00Z", "", "127.0.0.1", 40000)
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)},
		Sockets:  []match.SockMatch{sock(match.SockListening, "", 0), sock(match.SockInbound, "127.0.0.1", 40000)},
		Logs:     []inventory.LogFile{okLog("2026-11-20T08:00:00Z")},
		Sessions: []session.Record{r}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "session-active" || v.ActiveSessions != 1 || v.RemoteControl != report.Established {
		t.Fatalf("state %s host %+v", fs[0].State, v)
	}
	// The same open record with no live connection from that peer is past.
	tool.Sockets = []match.SockMatch{sock(match.SockInbound, "127.0.0.1", 40001)}
	fs, _ = decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "session-past" {
		t.Fatalf("open record without its connection: state %s", fs[0].State)
	}
}

func TestOpenConnectionWithFailedLoginIsAttempt(t *testing.T) {
	// An RDP client at the login screen with a wrong password: ESTABLISHED
	// at TCP level, but the log says the login failed.
	a := rec(session.FailedAuth, session.Incoming, "2026-11-21T11:27:18Z", "", "127.0.0.1", 34146)
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)},
		Sockets:  []match.SockMatch{sock(match.SockInbound, "127.0.0.1", 34146)},
		Logs:     []inventory.LogFile{okLog("2026-11-20T08:00:00Z")},
		Sessions: []session.Record{a}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "attempted" || fs[0].Verdict != report.NotEstablished || v.RemoteControl != report.NotEstablished {
		t.Fatalf("state %s verdict %s (%s)", fs[0].State, fs[0].Verdict, fs[0].VerdictReason)
	}
}

func TestInboundWithoutLogIndeterminate(t *testing.T) {
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)},
		Sockets: []match.SockMatch{sock(match.SockInbound, "198.51.100.9", 50000)}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].State != "connected" || fs[0].Verdict != report.Indeterminate || v.RemoteControl != report.Indeterminate {
		t.Fatalf("state %s verdict %s", fs[0].State, fs[0].Verdict)
	}
}

func TestOutgoingIsNotControl(t *testing.T) {
	o := rec(session.Established, session.Outgoing, "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z", "", 0)
	tool := &match.Tool{Sig: sig, Logs: []inventory.LogFile{okLog("2026-11-01T00:00:00Z")}, Sessions: []session.Record{o}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if len(fs[0].Outgoing) != 1 || fs[0].Verdict != report.NotEstablished || v.RemoteControl != report.NotEstablished || v.OutgoingSessions != 1 {
		t.Fatalf("verdict %s host %+v", fs[0].Verdict, v)
	}
}

func TestLogStartsAfterProcessIndeterminate(t *testing.T) {
	// Rotated log: the process runs since 2026-11-20 09:00, the log begins a
	// day later, so sessions in between cannot be excluded.
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)}, Logs: []inventory.LogFile{okLog("2026-11-21T09:00:00Z")}}
	fs, _ := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].Verdict != report.Indeterminate || !strings.Contains(fs[0].VerdictReason, "earlier sessions cannot be excluded") {
		t.Fatalf("verdict %s: %s", fs[0].Verdict, fs[0].VerdictReason)
	}
}

func TestUnreadableLogIndeterminate(t *testing.T) {
	l := okLog("2026-11-01T00:00:00Z")
	l.Status, l.Errors = "unreadable", []string{"permission denied"}
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)}, Logs: []inventory.LogFile{l}}
	fs, _ := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].Verdict != report.Indeterminate || fs[0].Conditions.Session.Status != report.Unknown {
		t.Fatalf("verdict %s", fs[0].Verdict)
	}
}

func TestOfflineConditionsUnknown(t *testing.T) {
	tool := &match.Tool{Sig: sig, Packages: []inventory.Package{{Manager: "windows-uninstall", Name: "AnyDesk"}}, Logs: []inventory.LogFile{okLog("2026-11-01T00:00:00Z")}}
	fs, _ := decide(t, []*match.Tool{tool}, false, okStatuses)
	c := fs[0].Conditions
	if c.Running.Status != report.Unknown || c.Online.Status != report.Unknown || c.Session.Status != report.NotMet {
		t.Fatalf("conditions %+v", c)
	}
}

func TestNonRootSocketsUnknown(t *testing.T) {
	st := []inventory.ScannerStatus{{Name: "processes", Status: "ok"}, {Name: "sockets", Status: "partial", Reason: "not root"}}
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{proc(100)}, Logs: []inventory.LogFile{okLog("2026-11-01T00:00:00Z")}}
	fs, v := decide(t, []*match.Tool{tool}, true, st)
	if fs[0].Conditions.Online.Status != report.Unknown {
		t.Fatalf("online %+v", fs[0].Conditions.Online)
	}
	if len(v.Incomplete) != 1 || !strings.Contains(v.Incomplete[0], "sockets: partial") {
		t.Fatalf("incomplete %v", v.Incomplete)
	}
}

func TestProcessScannerFailedIndeterminate(t *testing.T) {
	st := []inventory.ScannerStatus{{Name: "processes", Status: "failed", Reason: "boom"}}
	_, v := decide(t, nil, true, st)
	if v.RemoteControl != report.Indeterminate {
		t.Fatalf("host %+v", v)
	}
}

func TestViewerOnlyNotEstablished(t *testing.T) {
	// xfreerdp (the client) runs and connects out: this PC controls another,
	// nothing of the tool accepts control of this PC.
	viewer := match.ProcMatch{P: inventory.Process{PID: 7, Name: "xfreerdp"}, Role: match.RoleClient}
	out := sock(match.SockOutbound, "192.0.2.10", 3389)
	out.Role = match.RoleClient
	tool := &match.Tool{Sig: sig, Processes: []match.ProcMatch{viewer}, Sockets: []match.SockMatch{out}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	f := fs[0]
	if f.Verdict != report.NotEstablished || f.Conditions.Running.Status != report.NotMet || hasRunning(f.States) || v.RemoteControl != report.NotEstablished {
		t.Fatalf("verdict %s (%s) states %v", f.Verdict, f.VerdictReason, f.States)
	}
}

func hasRunning(states []string) bool {
	for _, s := range states {
		if s == "running" || s == "connected" {
			return true
		}
	}
	return false
}

func TestUndirectedSessionIndeterminate(t *testing.T) {
	// A capture shows an established RDP session but not which host is the
	// PC under investigation: remote control of this PC is not proved.
	r := rec(session.Established, session.DirectionUnknown, "2021-06-03T12:55:48Z", "2021-06-03T12:55:50Z", "192.168.122.181", 54759)
	tool := &match.Tool{Sig: sig, Flows: []inventory.Flow{{Tool: "anydesk", Verdict: "session", Role: "direct"}}, Sessions: []session.Record{r}}
	fs, v := decide(t, []*match.Tool{tool}, false, okStatuses)
	f := fs[0]
	if len(f.Undirected) != 1 || len(f.Incoming) != 0 || f.Verdict != report.Indeterminate || v.RemoteControl != report.Indeterminate {
		t.Fatalf("undirected %d incoming %d verdict %s host %s", len(f.Undirected), len(f.Incoming), f.Verdict, v.RemoteControl)
	}
	if f.Conditions.Running.Status != report.Met || f.Conditions.Online.Status != report.Met {
		t.Fatalf("wire flows should prove running/online: %+v", f.Conditions)
	}
}

// TestSessionConditionEvidenceBounded: the session condition carries the
// evidence of the first 10 sessions, and counts them all; every
// session stays in the finding's list with its own evidence.
func TestSessionConditionEvidenceBounded(t *testing.T) {
	for _, n := range []int{3, 10, 12} {
		var rs []session.Record
		for i := range n {
			r := rec(session.Established, session.Incoming, "2026-11-20T10:00:00Z", "2026-11-20T10:02:00Z", "203.0.113.7", uint32(50000+i))
			r.Evidence = []evidence.Evidence{{Kind: evidence.KindLogLine, Path: "/home/u/.anydesk/ad.trace", Line: 10 * (i + 1)}, {Kind: evidence.KindLogLine, Path: "/home/u/.anydesk/ad.trace", Line: 10*(i+1) + 1}}
			rs = append(rs, r)
		}
		tool := &match.Tool{Sig: sig, Logs: []inventory.LogFile{okLog("2026-11-01T00:00:00Z")}, Sessions: rs}
		fs, _ := decide(t, []*match.Tool{tool}, true, okStatuses)
		c := fs[0].Conditions.Session
		want := 2 * min(n, 10)
		if c.Status != report.Met || len(c.Evidence) != want || len(fs[0].Incoming) != n {
			t.Fatalf("%d sessions: status %s, %d evidence items (want %d), %d incoming", n, c.Status, len(c.Evidence), want, len(fs[0].Incoming))
		}
		if last := c.Evidence[len(c.Evidence)-1]; last.Line != 10*min(n, 10)+1 {
			t.Errorf("%d sessions: last evidence line %d", n, last.Line)
		}
		if !strings.HasPrefix(c.Reason, fmt.Sprintf("%d incoming session(s) established", n)) {
			t.Errorf("%d sessions: reason %q", n, c.Reason)
		}
		for i, r := range fs[0].Incoming {
			if len(r.Evidence) != 2 {
				t.Errorf("%d sessions: session %d has %d evidence items", n, i, len(r.Evidence))
			}
		}
	}
}

// TestUnlistedPlacesIndeterminate: a scan that found no tool, or a tool
// with no session, but could not list a profile or read the execution
// records cannot say "no remote control" (the design: "the scan lacked
// privileges" → indeterminate); a partial process or socket list alone
// (names were read) does not change it.
func TestUnlistedPlacesIndeterminate(t *testing.T) {
	unlisted := inventory.ScannerStatus{Name: "tool-logs", Status: "partial", Reason: "1 folders where tool logs may be could not be listed"}
	noPrefetch := inventory.ScannerStatus{Name: "windows-execution", Status: "failed", Reason: "no execution record could be read"}
	procs := inventory.ScannerStatus{Name: "processes", Status: "partial", Reason: "the executable of 6 process(es) could not be read"}
	present := &match.Tool{Sig: sig, Packages: []inventory.Package{{Manager: "dpkg", Name: "anydesk"}}}
	cases := []struct {
		name  string
		tools []*match.Tool
		st    []inventory.ScannerStatus
		want  string
		leak  string
		cause string
	}{
		{"no tool, a profile unlisted", nil, []inventory.ScannerStatus{unlisted}, report.Indeterminate, LeakNotExclude, "tool-logs: 1 folders"},
		{"no tool, no execution records", nil, []inventory.ScannerStatus{{Name: "tool-logs", Status: "ok"}, noPrefetch}, report.Indeterminate, LeakNotExclude, "windows-execution: no execution record"},
		{"present only, a profile unlisted", []*match.Tool{present}, []inventory.ScannerStatus{unlisted}, report.Indeterminate, LeakNotExclude, "tool-logs: 1 folders"},
		{"no tool, processes partial only", nil, []inventory.ScannerStatus{procs, {Name: "tool-logs", Status: "ok"}}, report.NotEstablished, LeakNo, ""},
	}
	for _, c := range cases {
		_, v := decide(t, c.tools, false, c.st)
		if v.RemoteControl != c.want || v.Leak != c.leak {
			t.Errorf("%s: host %s leak %q, want %s %q (%s)", c.name, v.RemoteControl, v.Leak, c.want, c.leak, v.Summary)
			continue
		}
		if c.cause != "" && (!slices.ContainsFunc(v.Reasons, func(r string) bool { return strings.HasPrefix(r, c.cause) }) || !strings.Contains(v.Summary, c.cause)) {
			t.Errorf("%s: reasons %q summary %q do not name %q", c.name, v.Reasons, v.Summary, c.cause)
		}
	}
}

// TestRunOutsideLogsIndeterminate: Prefetch or BAM says the tool ran at a
// time its own logs do not cover (the logs span 2025-09-21 23:51 to
// 2025-09-22 00:23): that run's sessions cannot be excluded. An Amcache
// time is when its entry was written, not a run; an event log several
// tools share says nothing of this tool's runs.
func TestRunOutsideLogsIndeterminate(t *testing.T) {
	span := inventory.LogFile{Tool: "anydesk", Parser: "anydesk-trace", Path: `C:\ProgramData\AnyDesk\ad_svc.trace`, Status: "ok", Lines: 218,
		FirstTime: at("2025-09-21T23:51:04Z"), LastTime: at("2025-09-22T00:23:41Z")}
	shared := inventory.LogFile{Tool: "anydesk", Parser: "eventlog", Path: "Application.evtx", Status: "ok", Lines: 900, Shared: true,
		FirstTime: at("2022-01-01T00:00:00Z"), LastTime: at("2026-01-01T00:00:00Z")}
	run := func(kind, when string) inventory.Execution {
		return inventory.Execution{Name: "ANYDESK.EXE", Kind: kind, Source: "ANYDESK.EXE-4A81B364.pf", Times: []time.Time{*at(when)}}
	}
	cases := []struct {
		name  string
		exec  inventory.Execution
		logs  []inventory.LogFile
		want  string
		words string
	}{
		{"prefetch run years before the logs", run(inventory.ExecPrefetch, "2022-10-25T08:12:00Z"), []inventory.LogFile{span}, report.Indeterminate, "ran at 2022-10-25T08:12:00Z, before they begin"},
		{"prefetch run after the logs end", run(inventory.ExecPrefetch, "2025-09-22T12:00:00Z"), []inventory.LogFile{span}, report.Indeterminate, "ran at 2025-09-22T12:00:00Z, after they end"},
		{"BAM run before the logs", run(inventory.ExecBAM, "2025-09-20T10:00:00Z"), []inventory.LogFile{span}, report.Indeterminate, "bam ("},
		{"prefetch run inside the logs", run(inventory.ExecPrefetch, "2025-09-22T00:10:00Z"), []inventory.LogFile{span}, report.NotEstablished, "no incoming session"},
		{"prefetch run a minute before the first line", run(inventory.ExecPrefetch, "2025-09-21T23:50:10Z"), []inventory.LogFile{span}, report.NotEstablished, "no incoming session"},
		{"amcache entry written before the logs", run(inventory.ExecAmcache, "2022-10-25T08:12:00Z"), []inventory.LogFile{span}, report.NotEstablished, "no incoming session"},
		{"a shared event log's span does not cover a run", run(inventory.ExecPrefetch, "2023-05-01T00:00:00Z"), []inventory.LogFile{span, shared}, report.Indeterminate, "before they begin"},
	}
	for _, c := range cases {
		tool := &match.Tool{Sig: sig, Execs: []inventory.Execution{c.exec}, Logs: c.logs}
		fs, v := decide(t, []*match.Tool{tool}, false, okStatuses)
		if fs[0].Verdict != c.want || v.RemoteControl != c.want || !strings.Contains(fs[0].VerdictReason, c.words) {
			t.Errorf("%s: verdict %s host %s: %s", c.name, fs[0].Verdict, v.RemoteControl, fs[0].VerdictReason)
		}
	}
}

// TestEmptyLogIsNotClean: a tool writes its log first itself, so an empty
// log (and no log of the tool with a line) was wiped or rotated — unless
// its package creates it empty (xrdp's postinst: empty_when_installed) and
// nothing shows the tool ran.
func TestEmptyLogIsNotClean(t *testing.T) {
	empty := func(parser, path string) inventory.LogFile {
		return inventory.LogFile{Tool: "t", Parser: parser, Path: path, Status: "ok"}
	}
	anydesk := &signature.Signature{ID: "anydesk", Name: "AnyDesk", Logs: []signature.Log{{Parser: "anydesk-trace"}}}
	xrdp := &signature.Signature{ID: "xrdp", Name: "xrdp", Logs: []signature.Log{{Parser: "xrdp", EmptyWhenInstalled: true}}}
	ran := []inventory.Execution{{Name: "xrdp", Kind: inventory.ExecPrefetch, Source: "x.pf"}}
	withLines := empty("anydesk-trace", "/ProgramData/AnyDesk/ad.trace")
	withLines.Lines, withLines.Size = 12, 900
	cases := []struct {
		name  string
		tool  *match.Tool
		want  string
		words string
	}{
		{"AnyDesk's trace empty, no sign it ran", &match.Tool{Sig: anydesk, Logs: []inventory.LogFile{empty("anydesk-trace", "/ProgramData/AnyDesk/ad_svc.trace")}},
			report.Indeterminate, "its log is empty, and the tool writes it itself when it runs (/ProgramData/AnyDesk/ad_svc.trace)"},
		{"AnyDesk's trace empty, another with lines", &match.Tool{Sig: anydesk, Logs: []inventory.LogFile{empty("anydesk-trace", "/ProgramData/AnyDesk/ad_svc.trace"), withLines}},
			report.NotEstablished, "no incoming session"},
		{"xrdp's log as its package made it", &match.Tool{Sig: xrdp, Logs: []inventory.LogFile{empty("xrdp", "/var/log/xrdp.log")}},
			report.NotEstablished, "no incoming session"},
		{"xrdp's log empty, and xrdp ran", &match.Tool{Sig: xrdp, Execs: ran, Logs: []inventory.LogFile{empty("xrdp", "/var/log/xrdp.log")}},
			report.Indeterminate, "it ran, but its log is empty (/var/log/xrdp.log)"},
	}
	for _, c := range cases {
		fs, _ := decide(t, []*match.Tool{c.tool}, false, okStatuses)
		if fs[0].Verdict != c.want || !strings.Contains(fs[0].VerdictReason, c.words) {
			t.Errorf("%s: %s: %s", c.name, fs[0].Verdict, fs[0].VerdictReason)
		}
	}
}

// TestTimelineWords: a session's timeline lines name the peer as the
// direction reads (from whom it came in, to whom this PC connected out) and
// print no empty "()" when the artifact names no auth method.
func TestTimelineWords(t *testing.T) {
	out := rec(session.Established, session.Outgoing, "2022-02-02T00:05:18Z", "2022-02-02T00:09:18Z", "93.47.224.241", 5938)
	in := rec(session.Established, session.Incoming, "2022-02-03T10:00:00Z", "", "10.0.0.9", 0)
	in.AuthMethod = "password"
	tool := &match.Tool{Sig: sig, Logs: []inventory.LogFile{okLog("2022-02-01T00:00:00Z")}, Sessions: []session.Record{out, in}}
	fs, _ := decide(t, []*match.Tool{tool}, false, okStatuses)
	var got []string
	for _, e := range fs[0].Timeline {
		got = append(got, e.Event+": "+e.Detail)
	}
	want := []string{
		"outgoing-start: outgoing established session to 93.47.224.241",
		"outgoing-end: outgoing session to 93.47.224.241 ended after 4m0s",
		"session-start: incoming established session (password) from 10.0.0.9",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUnparsedLog (rule 11): a non-empty log no parser reads shows the tool
// ran and leaves the session question open, also next to a log read with no
// session in it; an incoming session in a log that was read still decides;
// an empty one was wiped or just rotated, as a log that is read (rule 9).
func TestUnparsedLog(t *testing.T) {
	logmein := &signature.Signature{ID: "logmein", Name: "LogMeIn Pro", Logs: []signature.Log{{Parser: "windows-eventlog"}, {Unparsed: true}}}
	text := inventory.LogFile{Tool: "logmein", Path: `C:\ProgramData\LogMeIn\LogMeIn.log`, Status: inventory.StatusUnparsed, Size: 5120, Modified: at("2026-11-20T09:41:07Z")}
	empty := text
	empty.Size = 0
	evtx := inventory.LogFile{Tool: "logmein", Parser: "windows-eventlog", Path: `C:\Windows\System32\winevt\Logs\Application.evtx`, Status: "ok", Shared: true, Lines: 900}
	in := rec(session.Established, session.Incoming, "2026-11-20T09:12:44Z", "2026-11-20T09:40:59Z", "198.51.100.9", 0)
	in.Tool = "logmein"
	files := []inventory.File{{Path: `C:\Program Files (x86)\LogMeIn\x64\LogMeIn.exe`}}
	cases := []struct {
		name        string
		tool        *match.Tool
		state, want string
		words       string
	}{
		{"text log alone", &match.Tool{Sig: logmein, Files: files, Logs: []inventory.LogFile{text}},
			"executed", report.Indeterminate, `wrote 1 log(s) that ratwatch has no parser for (C:\ProgramData\LogMeIn\LogMeIn.log, 5120 bytes, last written 2026-11-20T09:41:07Z)`},
		{"text log and an event log with none of its sessions", &match.Tool{Sig: logmein, Files: files, Logs: []inventory.LogFile{evtx, text}},
			"executed", report.Indeterminate, "the 1 session source(s) read show no incoming session"},
		{"text log and the session in the event log", &match.Tool{Sig: logmein, Files: files, Logs: []inventory.LogFile{evtx, text}, Sessions: []session.Record{in}},
			"session-past", report.Established, "1 incoming session(s) established"},
		{"empty text log (wiped, rule 9)", &match.Tool{Sig: logmein, Files: files, Logs: []inventory.LogFile{empty}},
			"present", report.Indeterminate, `its log is empty, and the tool writes it itself when it runs (C:\ProgramData\LogMeIn\LogMeIn.log)`},
		{"empty text log, the other one written", &match.Tool{Sig: logmein, Files: files, Logs: []inventory.LogFile{empty, text}},
			"executed", report.Indeterminate, "wrote 1 log(s) that ratwatch has no parser for"},
	}
	for _, c := range cases {
		fs, _ := decide(t, []*match.Tool{c.tool}, false, okStatuses)
		f := fs[0]
		if f.State != c.state || f.Verdict != c.want || !strings.Contains(f.Conditions.Session.Reason, c.words) {
			t.Errorf("%s: state %s verdict %s: %s", c.name, f.State, f.Verdict, f.Conditions.Session.Reason)
		}
	}
}

// TestOSComponentPresenceOnly (rule 12): the service record every Windows
// has (TermService), or Quick Assist's package on Windows 11, is listed but
// not counted as a tool found; a sign of use — a run, or the folder Quick
// Assist leaves when used — counts as usual.
func TestOSComponentPresenceOnly(t *testing.T) {
	rdp := &signature.Signature{ID: "windows-rdp", Name: "Windows Remote Desktop", Builtin: true, Logs: []signature.Log{{Parser: "windows-eventlog"}}}
	qa := &signature.Signature{ID: "quick-assist", Name: "Microsoft Quick Assist", Builtin: true}
	svc := report.Match{Kind: "service", Why: "service TermService"}
	pkg := report.Match{Kind: "package", Why: "msix MicrosoftCorporationII.QuickAssist"}
	used := report.Match{Kind: "file", Why: `C:\Users\bob\AppData\Local\Temp\QuickAssist`}
	evtx := inventory.LogFile{Tool: "windows-rdp", Parser: "windows-eventlog", Path: `C:\Windows\System32\winevt\Logs\Security.evtx`, Status: "ok", Shared: true, Lines: 4000}
	cases := []struct {
		name   string
		tools  []*match.Tool
		osOnly []bool
		level  string
		tools_ []string
		want   string
	}{
		{"TermService and Quick Assist's package only",
			[]*match.Tool{{Sig: rdp, Services: []inventory.Service{{Name: "TermService"}}, Matches: []report.Match{svc}, Logs: []inventory.LogFile{evtx}},
				{Sig: qa, Packages: []inventory.Package{{Manager: "msix", Name: "MicrosoftCorporationII.QuickAssist"}}, Matches: []report.Match{pkg}}},
			[]bool{true, true}, "none", []string{}, report.NotEstablished},
		{"Quick Assist used (its temp folder), TermService only",
			[]*match.Tool{{Sig: rdp, Services: []inventory.Service{{Name: "TermService"}}, Matches: []report.Match{svc}, Logs: []inventory.LogFile{evtx}},
				{Sig: qa, Packages: []inventory.Package{{Manager: "msix", Name: "MicrosoftCorporationII.QuickAssist"}}, Files: []inventory.File{{Path: used.Why}}, Matches: []report.Match{pkg, used}}},
			[]bool{true, false}, "installed", []string{"quick-assist"}, report.NotEstablished},
		{"Quick Assist ran (Prefetch)",
			[]*match.Tool{{Sig: qa, Packages: []inventory.Package{{Manager: "msix", Name: "MicrosoftCorporationII.QuickAssist"}}, Matches: []report.Match{pkg, {Kind: "execution"}},
				Execs: []inventory.Execution{{Name: "QUICKASSIST.EXE", Kind: inventory.ExecPrefetch, Source: "QUICKASSIST.EXE-1F2E3D4C.pf"}}}},
			// It ran, and Quick Assist writes no session log: rule 5.
			[]bool{false}, "executed", []string{"quick-assist"}, report.Indeterminate},
	}
	for _, c := range cases {
		fs, v := decide(t, c.tools, false, okStatuses)
		for i, f := range fs {
			if f.OSComponentOnly != c.osOnly[i] {
				t.Errorf("%s: %s os_component_only %v, want %v (%s)", c.name, f.Tool.ID, f.OSComponentOnly, c.osOnly[i], f.VerdictReason)
			}
		}
		if v.Level != c.level || !slices.Equal(v.Tools, c.tools_) || v.RemoteControl != c.want {
			t.Errorf("%s: host level %s tools %v %s: %s", c.name, v.Level, v.Tools, v.RemoteControl, v.Summary)
		}
	}
}

// TestOSComponentSwitchedOn: TermService's svchost listening on 3389 (what
// match attributes to a builtin tool's service) is a tool reachable now:
// counted, connected, never os_component_only.
func TestOSComponentSwitchedOn(t *testing.T) {
	rdp := &signature.Signature{ID: "windows-rdp", Name: "Windows Remote Desktop", Builtin: true, Logs: []signature.Log{{Parser: "windows-eventlog"}}}
	evtx := inventory.LogFile{Tool: "windows-rdp", Parser: "windows-eventlog", Path: `C:\Windows\System32\winevt\Logs\Security.evtx`, Status: "ok", Shared: true, Lines: 4000, FirstTime: at("2026-11-01T00:00:00Z")}
	svchost := match.ProcMatch{P: inventory.Process{PID: 1200, Name: "svchost.exe", Started: at("2026-11-20T08:00:00Z")}, Role: match.RoleServer}
	listen := match.SockMatch{Class: match.SockListening, NetRole: "listen", S: inventory.Socket{PID: 1200, Socket: evidence.Socket{Proto: "tcp", LocalIP: "0.0.0.0", LocalPort: 3389, State: "LISTEN"}}}
	tool := &match.Tool{Sig: rdp, Services: []inventory.Service{{Name: "TermService"}}, Processes: []match.ProcMatch{svchost}, Sockets: []match.SockMatch{listen},
		Logs: []inventory.LogFile{evtx}, Matches: []report.Match{{Kind: "service"}, {Kind: "socket"}, {Kind: "process"}}}
	fs, v := decide(t, []*match.Tool{tool}, true, okStatuses)
	if fs[0].OSComponentOnly || fs[0].State != "connected" || v.Level != "connected" || !slices.Equal(v.Tools, []string{"windows-rdp"}) || fs[0].Conditions.Online.Status != report.Met {
		t.Errorf("RDP listening: os_component_only %v state %s online %s host level %s tools %v", fs[0].OSComponentOnly, fs[0].State, fs[0].Conditions.Online.Status, v.Level, v.Tools)
	}
}

// TestClearedLog (rule 13): a cleared log lost what it held before. The
// Security log's own 1102, or a System 104 naming one of the tool's logs,
// makes the session question unknown when nothing read shows an incoming
// session; a session found stands; a clear of another tool's log, or of a
// log the tool does not read, changes nothing.
func TestClearedLog(t *testing.T) {
	rdp := &signature.Signature{ID: "windows-rdp", Name: "Windows Remote Desktop", Builtin: true, Logs: []signature.Log{{Parser: "windows-eventlog"}}}
	secPath := `C:\Windows\System32\winevt\Logs\Security.evtx`
	lsmPath := `C:\Windows\System32\winevt\Logs\Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx`
	sysPath := `C:\Windows\System32\winevt\Logs\System.evtx`
	own := session.Clear{Channel: "Security", Time: at("2026-11-20T09:00:00Z"), User: `PC01\victim`, Own: true,
		Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: secPath, RecordID: 1}}
	sec := inventory.LogFile{Tool: "windows-rdp", Parser: "windows-eventlog", Path: secPath, Status: "ok", Shared: true, Lines: 40, Cleared: []session.Clear{own}}
	lsm := inventory.LogFile{Tool: "windows-rdp", Parser: "windows-eventlog", Path: lsmPath, Status: "ok", Shared: true, Lines: 12}
	named := session.Clear{Channel: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", Time: at("2026-11-20T09:01:00Z"),
		Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: sysPath, RecordID: 4711}}
	app := session.Clear{Channel: "Application", Time: at("2026-11-20T09:02:00Z"), Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: sysPath, RecordID: 4712}}
	in := rec(session.Established, session.Incoming, "2026-11-20T09:12:44Z", "2026-11-20T09:40:59Z", "198.51.100.9", 0)
	in.Tool = "windows-rdp"
	svc := []report.Match{{Kind: "service", Why: "service TermService"}}
	clean := sec
	clean.Cleared = nil
	cases := []struct {
		name     string
		tool     *match.Tool
		cleared  []session.Clear
		want     string
		words    string
		timeline int
	}{
		{"Security cleared (its own 1102)", &match.Tool{Sig: rdp, Matches: svc, Logs: []inventory.LogFile{sec, lsm}}, []session.Clear{own},
			report.Indeterminate, `the Security log was cleared at 2026-11-20T09:00:00Z by PC01\victim (record 1 of ` + secPath + `): what the cleared log held before is gone, so a session before then cannot be excluded`, 1},
		{"LSM cleared (System 104)", &match.Tool{Sig: rdp, Matches: svc, Logs: []inventory.LogFile{clean, lsm}}, []session.Clear{named, app},
			report.Indeterminate, "the Microsoft-Windows-TerminalServices-LocalSessionManager/Operational log was cleared at 2026-11-20T09:01:00Z (record 4711 of " + sysPath + ")", 1},
		{"Application cleared: not a log of RDP", &match.Tool{Sig: rdp, Matches: svc, Logs: []inventory.LogFile{clean, lsm}}, []session.Clear{app},
			report.NotEstablished, "2 session source(s) read", 0},
		{"cleared, and a session after it", &match.Tool{Sig: rdp, Matches: svc, Logs: []inventory.LogFile{sec, lsm}, Sessions: []session.Record{in}}, []session.Clear{own},
			report.Established, "1 incoming session(s) established", 3},
	}
	for _, c := range cases {
		fs, v := Decide([]*match.Tool{c.tool}, Context{Statuses: okStatuses, Cleared: c.cleared})
		f := fs[0]
		if f.Verdict != c.want || !strings.Contains(f.Conditions.Session.Reason, c.words) {
			t.Errorf("%s: verdict %s: %s", c.name, f.Verdict, f.Conditions.Session.Reason)
		}
		if f.OSComponentOnly != (c.want == report.NotEstablished) || (v.RemoteControl == report.NotEstablished) != (c.want == report.NotEstablished) {
			t.Errorf("%s: os component only %v, host %s", c.name, f.OSComponentOnly, v.RemoteControl)
		}
		if len(f.Timeline) != c.timeline {
			t.Errorf("%s: timeline %+v", c.name, f.Timeline)
		}
		for _, e := range f.Timeline {
			if e.Event == "log-cleared" && (e.Source == "" || !strings.Contains(e.Detail, "log was cleared")) {
				t.Errorf("%s: %+v", c.name, e)
			}
		}
	}
}

// TestClearedHandedOver (rule 13): of the files handed over, one that was
// cleared leaves the host verdict indeterminate when nothing shows a
// session, even with no tool found in it (its 1102 is its only record).
func TestClearedHandedOver(t *testing.T) {
	cl := session.Clear{Channel: "Security", Time: at("2021-02-12T12:32:35Z"), User: `WINDOMAIN\vagrant`, Own: true,
		Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: "sec.evtx", RecordID: 505853}}
	_, v := Decide(nil, Context{HandedOver: true, Statuses: []inventory.ScannerStatus{{Name: "tool-logs", Status: "ok", Items: 1}}, Cleared: []session.Clear{cl}})
	if v.RemoteControl != report.Indeterminate || !strings.Contains(v.Summary, `the Security log was cleared at 2021-02-12T12:32:35Z by WINDOMAIN\vagrant (record 505853 of sec.evtx)`) {
		t.Fatalf("%s: %s", v.RemoteControl, v.Summary)
	}
	_, v = Decide(nil, Context{HandedOver: true, Statuses: []inventory.ScannerStatus{{Name: "tool-logs", Status: "ok", Items: 1}}})
	if v.RemoteControl != report.NotEstablished {
		t.Fatalf("not cleared: %s", v.RemoteControl)
	}
}

// TestClearedMergedExport (rule 13): in one export of several channels, the
// Security log's 1102 concerns the tools that read the Security log (RDP),
// not ScreenConnect, whose records come from the Application log.
func TestClearedMergedExport(t *testing.T) {
	rdp := &signature.Signature{ID: "windows-rdp", Name: "Windows Remote Desktop", Logs: []signature.Log{{Parser: "windows-eventlog",
		Paths: signature.PerOS{Windows: []string{"{systemroot}/System32/winevt/Logs/Security.evtx"}}}}}
	sc := &signature.Signature{ID: "screenconnect", Name: "ScreenConnect", Logs: []signature.Log{{Parser: "windows-eventlog",
		Paths: signature.PerOS{Windows: []string{"{systemroot}/System32/winevt/Logs/Application.evtx"}}}}}
	cl := session.Clear{Channel: "Security", Time: at("2026-11-20T09:00:00Z"), Own: true, Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: "merged.xml", RecordID: 9}}
	ps := session.Clear{Channel: "Windows PowerShell", Time: at("2026-11-20T09:00:05Z"), Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: "merged.xml", RecordID: 10}}
	merged := func(tool string) []inventory.LogFile {
		return []inventory.LogFile{{Tool: tool, Parser: "windows-eventlog", Path: "merged.xml", Status: "ok", Shared: true, Lines: 30, Records: 1}}
	}
	files := []inventory.File{{Path: `C:\Program Files (x86)\ScreenConnect Client (abc)\ScreenConnect.ClientService.exe`}}
	for _, c := range []struct {
		tool *match.Tool
		want string
	}{
		{&match.Tool{Sig: rdp, Matches: []report.Match{{Kind: "service", Why: "TermService"}}, Logs: merged("windows-rdp")}, report.Indeterminate},
		{&match.Tool{Sig: sc, Files: files, Logs: merged("screenconnect")}, report.NotEstablished},
	} {
		fs, _ := Decide([]*match.Tool{c.tool}, Context{Statuses: okStatuses, Cleared: []session.Clear{cl, ps}})
		if fs[0].Verdict != c.want {
			t.Errorf("%s: %s, want %s: %s", c.tool.Sig.ID, fs[0].Verdict, c.want, fs[0].Conditions.Session.Reason)
		}
	}
	set := &signature.Set{Signatures: []*signature.Signature{rdp, sc}}
	if got := Relevant([]session.Clear{cl, ps}, set); len(got) != 1 || got[0].Channel != "Security" {
		t.Errorf("relevant clears %+v", got)
	}
}

// TestClearedOpenConnection: an inbound connection open now whose peer's
// logged attempts all failed is an attempt — unless a log was cleared, which
// may have held that connection's logon.
func TestClearedOpenConnection(t *testing.T) {
	rdp := &signature.Signature{ID: "windows-rdp", Name: "Windows Remote Desktop", Logs: []signature.Log{{Parser: "windows-eventlog"}}}
	secPath := `C:\Windows\System32\winevt\Logs\Security.evtx`
	failed := rec(session.FailedAuth, session.Incoming, "2026-11-20T09:10:00Z", "", "198.51.100.9", 0)
	failed.Tool = "windows-rdp"
	sock := match.SockMatch{Class: match.SockInbound, Role: match.RoleServer,
		S: inventory.Socket{PID: 1000, Socket: evidence.Socket{Proto: "tcp", LocalIP: "10.0.0.5", LocalPort: 3389, RemoteIP: "198.51.100.9", RemotePort: 50123, State: "ESTABLISHED"}}}
	tool := func(cleared bool) *match.Tool {
		sec := inventory.LogFile{Tool: "windows-rdp", Parser: "windows-eventlog", Path: secPath, Status: "ok", Shared: true, Lines: 40}
		return &match.Tool{Sig: rdp, Logs: []inventory.LogFile{sec}, Sessions: []session.Record{failed},
			Processes: []match.ProcMatch{{P: inventory.Process{PID: 1000, Name: "svchost.exe"}, Role: match.RoleServer}}, Sockets: []match.SockMatch{sock}}
	}
	cl := session.Clear{Channel: "Security", Time: at("2026-11-20T09:20:00Z"), Own: true, Evidence: evidence.Evidence{Kind: evidence.KindRecord, Path: secPath, RecordID: 1}}
	fs, _ := Decide([]*match.Tool{tool(false)}, Context{Live: true, Statuses: okStatuses})
	if c := fs[0].Conditions.Session; c.Status != report.NotMet || !strings.Contains(c.Reason, "did not authenticate") {
		t.Fatalf("no clear: %s: %s", c.Status, c.Reason)
	}
	fs, _ = Decide([]*match.Tool{tool(true)}, Context{Live: true, Statuses: okStatuses, Cleared: []session.Clear{cl}})
	if c := fs[0].Conditions.Session; c.Status != report.Unknown {
		t.Fatalf("cleared: %s: %s", c.Status, c.Reason)
	}
}
