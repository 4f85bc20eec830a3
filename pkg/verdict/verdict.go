// Package verdict decides, per tool and for the host, whether remote control
// was established, following design/verdict.md (docs/verdict.md): the states
// present … session-active, IPA's three conditions as met / not met / unknown,
// and established / not established / indeterminate. Unknown is never rounded
// down: a session that cannot be excluded makes the verdict indeterminate.
package verdict

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// Context is what the engine needs to know about the scan itself.
type Context struct {
	// Live is true when processes and sockets of the running system were read.
	Live bool
	// Statuses of the scanners that ran.
	Statuses []inventory.ScannerStatus
	// HandedOver: only the files and folders handed over were read
	// (`ratwatch logs`); they are the whole evidence, so one that could not
	// be read leaves the host verdict indeterminate, never "not established".
	HandedOver bool
	// Capture: the evidence is packet captures only (pcap, capture): what
	// is missing is said in a capture's words.
	Capture bool
	// Cleared: every record read that says a log was cleared (rule 13), in
	// whichever file it was found (System 104 names another log).
	Cleared []session.Clear
}

func (c Context) status(name string) (inventory.ScannerStatus, bool) {
	for _, s := range c.Statuses {
		if s.Name == name {
			return s, true
		}
	}
	return inventory.ScannerStatus{}, false
}

// scannerOK tells whether a scanner ran completely (ok) or at all.
func (c Context) scannerOK(name string) (ran, complete bool) {
	s, ok := c.status(name)
	if !ok || s.Status == inventory.StatusFailed || s.Status == inventory.StatusSkipped {
		return false, false
	}
	return true, s.Status == inventory.StatusOK
}

// Decide turns matched tools into findings and the host verdict.
func Decide(tools []*match.Tool, c Context) ([]report.Finding, report.Verdict) {
	var out []report.Finding
	for _, t := range tools {
		out = append(out, decideTool(t, c))
	}
	return out, host(out, c)
}

// group is the finding list a joined record goes to, as its index in
// report.SessionGroups: incoming, attempts, outgoing, undirected
// (established, controlled side unknown).
func group(r *session.Record) int {
	switch {
	case r.Direction == session.Outgoing:
		return 2
	case r.Outcome == session.Established && r.Direction != session.Incoming:
		return 3
	case r.Outcome == session.Established:
		return 0
	}
	return 1
}

func decideTool(t *match.Tool, c Context) report.Finding {
	f := report.Finding{
		Tool:    report.ToolRef{ID: t.Sig.ID, Name: t.Sig.Name, Vendor: t.Sig.Vendor, Category: t.Sig.Category, ScamUse: t.Sig.ScamUse},
		Matches: t.Matches, Logs: t.Logs,
	}
	// The lists are cut from one exact-size array (a log of 465,000 rows
	// made four doubling appends hold up to twice what they needed).
	recs := session.Join(t.Sessions)
	var n [4]int
	for i := range recs {
		n[group(&recs[i])]++
	}
	all := make([]session.Record, len(recs))
	lists := [4][]session.Record{}
	for g, off := 0, 0; g < 4; g++ {
		lists[g], off = all[off:off:off+n[g]], off+n[g]
	}
	for i := range recs {
		g := group(&recs[i])
		lists[g] = append(lists[g], recs[i])
	}
	f.Incoming, f.Attempts, f.Outgoing, f.Undirected = lists[0], lists[1], lists[2], lists[3]
	for _, l := range []*[]session.Record{&f.Incoming, &f.Attempts, &f.Outgoing, &f.Undirected} {
		if len(*l) == 0 {
			*l = nil // as before: an empty list is null in the report
		}
	}
	servers := procsWithRole(t, match.RoleServer, match.RoleSession)
	sessionProcs := procsWithRole(t, match.RoleSession)
	inbound := socks(t, match.SockInbound)
	listening := socks(t, match.SockListening)
	outbound := serverOutbound(t)

	// Which incoming sessions are live now: an open record whose peer holds
	// an inbound connection to the tool right now.
	active := 0
	if c.Live {
		reopenLive(f.Incoming, inbound, servers)
	}
	for i := range f.Incoming {
		r := &f.Incoming[i]
		if !r.Open {
			continue
		}
		if !c.Live {
			r.Notes = append(r.Notes, "no end event in the logs given: the session ended unlogged (some logs, like RDP's RemoteConnectionManager, write none), after the log stops, or runs still")
			continue
		}
		if sm, ok := liveSocketFor(r, inbound); ok {
			active++
			sk := sm.S.Socket
			r.Evidence = append(r.Evidence, evidence.Evidence{Kind: evidence.KindSocket, Scanner: "sockets", PID: sm.S.PID, Socket: &sk,
				Summary: "connection of this session is open now: " + match.Tuple(sk), Fields: []string{"open"}})
			r.Notes = append(r.Notes, "active: the peer's connection is open now")
		} else {
			r.Notes = append(r.Notes, "no end recorded, but no open connection from this peer now: the session ended without a log line, or the log was cut")
		}
	}
	if active == 0 && len(sessionProcs) > 0 {
		active = len(sessionProcs) // a process that exists only during a session
	}

	// States. Tool traffic on the wire proves it ran and was online then.
	onWire := len(t.Flows) > 0
	has := map[string]bool{}
	if len(t.Packages)+len(t.Services) > 0 {
		has["installed"] = true
	}
	if len(t.Files)+len(t.Packages)+len(t.Services)+len(t.Processes)+len(t.Execs)+len(t.ClientExecs) > 0 || logLines(t) > 0 || onWire {
		has["present"] = true
	}
	if len(t.Execs)+len(t.ClientExecs) > 0 || logLines(t) > 0 || len(unparsedLogs(t)) > 0 || len(t.Processes) > 0 || len(recs) > 0 || onWire {
		has["executed"] = true
	}
	if len(servers) > 0 || onWire {
		has["running"] = true
	}
	if (len(servers) > 0 && (len(listening)+len(inbound)+len(outbound) > 0)) || onWire {
		has["connected"] = true
	}
	if len(f.Attempts) > 0 {
		has["attempted"] = true
	}
	if len(f.Incoming) > 0 {
		has["session-past"] = true
	}
	if active > 0 {
		has["session-active"] = true
	}
	for _, s := range report.States {
		if has[s] {
			f.States = append(f.States, s)
			f.State = s
		}
	}
	if f.State == "" {
		f.State = "present"
		f.States = []string{"present"}
	}

	f.Conditions.Running = condRunning(t, servers, c)
	f.Conditions.Online = condOnline(t, servers, listening, inbound, outbound, c)
	cleared := clearsOf(t, c.Cleared)
	f.Conditions.Session = condSession(t, f, inbound, cleared, c)
	switch f.Conditions.Session.Status {
	case report.Met:
		f.Verdict = report.Established
	case report.NotMet:
		f.Verdict = report.NotEstablished
	default:
		f.Verdict = report.Indeterminate
	}
	f.VerdictReason = f.Conditions.Session.Reason
	f.Timeline = timeline(t, f, cleared)
	if t.Sig.Builtin && f.Verdict == report.NotEstablished && osPresenceOnly(f) {
		f.OSComponentOnly = true
		f.VerdictReason = "part of the operating system, and nothing but its presence (" + matchKinds(f) + ") was found: not counted as a tool found; " + f.VerdictReason
	}
	return f
}

// osPresenceOnly: a finding whose only evidence is what every PC of the
// OS has (the service record, the package) and whose state says no more
// (rule 12). A file, a run, a process, a socket or a log record of it
// counts as usual.
func osPresenceOnly(f report.Finding) bool {
	if f.State != "present" && f.State != "installed" || len(f.Matches) == 0 {
		return false
	}
	for _, m := range f.Matches {
		if m.Kind != "service" && m.Kind != "package" {
			return false
		}
	}
	return true
}

// matchKinds names the kinds of a finding's matches ("service, package").
func matchKinds(f report.Finding) string {
	var ks []string
	for _, m := range f.Matches {
		if !slices.Contains(ks, m.Kind) {
			ks = append(ks, m.Kind)
		}
	}
	return strings.Join(ks, ", ")
}

func condRunning(t *match.Tool, servers []match.ProcMatch, c Context) report.Condition {
	if len(servers) > 0 {
		var ev []evidence.Evidence
		for _, p := range servers {
			ev = append(ev, evidence.Evidence{Kind: evidence.KindProcess, Scanner: "processes", PID: p.P.PID, Path: p.P.Exe, SHA256: p.P.SHA256,
				Summary: evidence.Clip(fmt.Sprintf("%s (pid %d, %s): %s", p.P.Name, p.P.PID, p.Role, p.P.Cmdline)), Time: p.P.Started})
		}
		return report.Condition{Status: report.Met, Reason: fmt.Sprintf("%d %s process(es) running", len(servers), t.Sig.Name), Evidence: ev}
	}
	if ev := flowEvidence(t); len(ev) > 0 {
		return report.Condition{Status: report.Met, Reason: fmt.Sprintf("its traffic is on the wire (%d flow(s)): it ran then", len(t.Flows)), Evidence: ev}
	}
	if !c.Live {
		return report.Condition{Status: report.Unknown, Reason: "offline source: running processes cannot be seen"}
	}
	if ran, _ := c.scannerOK("processes"); !ran {
		return report.Condition{Status: report.Unknown, Reason: "the process list could not be read"}
	}
	if len(t.Processes) > 0 {
		return report.Condition{Status: report.NotMet, Reason: "only its viewer/client runs, which does not accept control of this PC"}
	}
	return report.Condition{Status: report.NotMet, Reason: "no process of " + t.Sig.Name + " is running"}
}

func condOnline(t *match.Tool, servers []match.ProcMatch, listening, inbound, outbound []match.SockMatch, c Context) report.Condition {
	all := append(append(append([]match.SockMatch{}, listening...), inbound...), outbound...)
	if len(servers) > 0 && len(all) > 0 {
		var ev []evidence.Evidence
		var parts []string
		for _, sm := range all {
			ev = append(ev, match.SocketEvidence(sm.S))
		}
		if len(listening) > 0 {
			parts = append(parts, fmt.Sprintf("listening on %d socket(s)", len(listening)))
		}
		if len(inbound) > 0 {
			parts = append(parts, fmt.Sprintf("%d inbound connection(s)", len(inbound)))
		}
		if len(outbound) > 0 {
			parts = append(parts, fmt.Sprintf("%d outbound connection(s) (relay/direct)", len(outbound)))
		}
		return report.Condition{Status: report.Met, Reason: strings.Join(parts, ", "), Evidence: ev}
	}
	if ev := flowEvidence(t); len(ev) > 0 {
		return report.Condition{Status: report.Met, Reason: fmt.Sprintf("%d flow(s) of it on the wire (%s)", len(t.Flows), flowRoles(t)), Evidence: ev}
	}
	if !c.Live {
		return report.Condition{Status: report.Unknown, Reason: "offline source: the socket table cannot be seen"}
	}
	if len(servers) == 0 {
		return report.Condition{Status: report.NotMet, Reason: "not running, so not reachable now"}
	}
	ran, complete := c.scannerOK("sockets")
	if !ran {
		return report.Condition{Status: report.Unknown, Reason: "the socket table could not be read"}
	}
	if !complete {
		s, _ := c.status("sockets")
		return report.Condition{Status: report.Unknown, Reason: "running, but the owners of some sockets could not be read: " + s.Reason}
	}
	return report.Condition{Status: report.NotMet, Reason: "running, but it has no listening socket and no connection"}
}

// cleared: the clears of t's logs (rule 13).
func condSession(t *match.Tool, f report.Finding, inbound []match.SockMatch, cleared []session.Clear, c Context) report.Condition {
	if len(f.Incoming) > 0 {
		return report.Condition{Status: report.Met, Evidence: sessionEvidence(f.Incoming),
			Reason: fmt.Sprintf("%d incoming session(s) established (%s)", len(f.Incoming), describeSessions(f.Incoming))}
	}
	if len(f.Undirected) > 0 {
		return report.Condition{Status: report.Unknown, Evidence: sessionEvidence(f.Undirected),
			Reason: fmt.Sprintf("%d session(s) were established (%s), but which side was controlled is not known (for a capture: give the PC's address with --local-ip)", len(f.Undirected), describeSessions(f.Undirected))}
	}
	var unreadable []string
	read := 0
	for _, l := range t.Logs {
		switch l.Status {
		case inventory.StatusOK, inventory.StatusPartial:
			read++
		case inventory.StatusUnparsed: // rule 11, below
		default:
			unreadable = append(unreadable, l.Path+": "+strings.Join(l.Errors, "; "))
		}
	}
	if len(unreadable) > 0 {
		return report.Condition{Status: report.Unknown, Reason: "session logs could not be read: " + strings.Join(unreadable, "; ")}
	}
	// A log read only in part (a cut chunk, garbage lines, a line too long)
	// may have held a session in the part not read.
	var cut []string
	for _, l := range t.Logs {
		if l.Status == inventory.StatusPartial && l.Parser != "wire" {
			w := l.Path
			if len(l.Errors) > 0 {
				w += ": " + l.Errors[0]
			}
			cut = append(cut, w)
		}
	}
	if len(inbound) > 0 {
		ev := []evidence.Evidence{}
		for _, sm := range inbound {
			ev = append(ev, match.SocketEvidence(sm.S))
		}
		why := "an inbound connection is open but no log shows that it authenticated"
		if len(f.Attempts) > 0 {
			why = "an inbound connection is open; the logs show only failed or unfinished attempts, not whether this connection authenticated"
			// Only when nothing else could hold a session: no log read in
			// part, no connection whose outcome no log writes, no log
			// cleared (its logon may have been in what was cleared).
			if allFailedFromSamePeers(f.Attempts, inbound) && len(cut) == 0 && countUnlogged(f.Attempts) == 0 && len(cleared) == 0 {
				return report.Condition{Status: report.NotMet, Evidence: ev,
					Reason: fmt.Sprintf("an inbound connection is open, but the log shows it did not authenticate (%d attempt(s): %s): a connection attempt, not a session", len(f.Attempts), describeSessions(f.Attempts))}
			}
		}
		return report.Condition{Status: report.Unknown, Reason: why, Evidence: ev}
	}
	// Only the server side running makes control of this PC possible; a
	// viewer that ran controlled others.
	// A log no parser reads was written by the tool as it ran, too.
	unparsed := unparsedLogs(t)
	executed := len(procsWithRole(t, match.RoleServer, match.RoleSession))+len(t.Execs) > 0 || logLines(t) > 0 || len(t.Flows) > 0 || len(unparsed) > 0
	// Tools write their log first themselves, start-up lines at once: a
	// log left empty — when none of the tool's logs has a line — was wiped
	// or just rotated. Except one its package makes empty (xrdp's postinst:
	// the signature says empty_when_installed) of a tool not known to have
	// run; and one that runs with another log, found through its
	// configuration, leaves the default one empty (that one has lines).
	if logLines(t) == 0 && len(unparsed) == 0 {
		var empty []string
		for _, l := range t.Logs {
			// A log no parser reads, empty, was wiped the same way.
			readOrNot := l.Status == inventory.StatusOK || l.Status == inventory.StatusUnparsed
			if !l.Shared && l.Size == 0 && l.Lines == 0 && readOrNot && l.Parser != "wire" &&
				(executed || !emptyWhenInstalled(t.Sig, l.Parser)) {
				empty = append(empty, l.Path)
			}
		}
		if len(empty) > 0 {
			ran := "it ran, but its log is empty"
			if !executed {
				ran = "its log is empty, and the tool writes it itself when it runs"
			}
			return report.Condition{Status: report.Unknown,
				Reason: fmt.Sprintf("%s (%s): wiped or just rotated; a session cannot be excluded", ran, strings.Join(empty[:min(len(empty), 3)], ", "))}
		}
	}
	if len(cut) > 0 {
		return report.Condition{Status: report.Unknown,
			Reason: fmt.Sprintf("%d log(s) could be read only in part (%s): a session in the part not read cannot be excluded", len(cut), strings.Join(cut[:min(len(cut), 3)], "; "))}
	}
	if len(cleared) > 0 {
		return report.Condition{Status: report.Unknown, Evidence: clearEvidence(cleared), Reason: clearedReason(cleared)}
	}
	if n := countUnlogged(f.Attempts); n > 0 {
		if onlyWire(f.Attempts) {
			return report.Condition{Status: report.Unknown, Evidence: sessionEvidence(f.Attempts),
				Reason: fmt.Sprintf("%d connection(s) reached it, and the capture does not show whether they authenticated (%s; %s): a session cannot be excluded — read the tool's logs on the PC", n, describeSessions(f.Attempts), unloggedWhy(f.Attempts))}
		}
		return report.Condition{Status: report.Unknown, Evidence: sessionEvidence(f.Attempts),
			Reason: fmt.Sprintf("%d connection(s) reached it, and no log given says whether they authenticated (%s; %s): a session cannot be excluded — read the logs that record logons too", n, describeSessions(f.Attempts), unloggedWhy(f.Attempts))}
	}
	if len(unparsed) > 0 {
		var ev []evidence.Evidence
		var what []string
		for _, l := range unparsed {
			ev = append(ev, l.FileEvidence("tool-logs", "tool log, not parsed"))
			w := fmt.Sprintf("%s, %d bytes", l.Path, l.Size)
			if l.Modified != nil {
				w += ", last written " + l.Modified.Format(time.RFC3339)
			}
			what = append(what, w)
		}
		reason := fmt.Sprintf("it ran and wrote %d log(s) that ratwatch has no parser for (%s): a session in them cannot be excluded — read them by hand", len(unparsed), strings.Join(what[:min(len(what), 3)], "; "))
		if read > 0 {
			reason += fmt.Sprintf("; the %d session source(s) read show no incoming session", read)
		}
		return report.Condition{Status: report.Unknown, Evidence: ev[:min(len(ev), conditionSample)], Reason: reason}
	}
	if read > 0 {
		reason := fmt.Sprintf("%d session source(s) read (logs, event logs, captures), no incoming session in them", read)
		if len(t.Flows) > 0 {
			reason += "; on the wire only " + flowRoles(t) + " (sessions outside the capture's time span are not covered by it)"
		}
		if len(f.Attempts) > 0 {
			reason += fmt.Sprintf(" (%d attempt(s) that did not get in)", len(f.Attempts))
		}
		if gap := coverageGap(t); gap != "" {
			return report.Condition{Status: report.Unknown, Reason: reason + "; but " + gap}
		}
		return report.Condition{Status: report.NotMet, Reason: reason}
	}
	if t.Sig.Builtin && len(t.Sig.Logs) > 0 {
		// Part of the OS (TermService): it runs at every boot, so "no sign
		// it ran" says nothing, and only its event logs could show a session.
		return report.Condition{Status: report.Unknown,
			Reason: "part of the operating system, so it may have run at any time, and none of the event logs that record its sessions was found (deleted, or not in this copy): a session cannot be excluded"}
	}
	if !executed {
		if len(t.Processes)+len(t.ClientExecs) > 0 {
			return report.Condition{Status: report.NotMet, Reason: "only its viewer/client ran, which controls other machines; nothing of it accepts control of this PC"}
		}
		return report.Condition{Status: report.NotMet, Reason: "no process, execution record or log of it: no sign that it ever ran (if its logs were deleted this cannot be told apart)"}
	}
	if len(t.Sig.Logs) == 0 {
		return report.Condition{Status: report.Unknown, Reason: "it ran, and ratwatch knows no session log for this tool"}
	}
	return report.Condition{Status: report.Unknown, Reason: "it ran, but none of its session logs was found (not written, deleted, rotated away, or not readable to this user)"}
}

// conditionSample sessions or flows lend their evidence to a condition
// (docs/report.md says the condition's evidence is a sample). Every session
// is listed in full, with all its evidence, in the finding's session lists;
// copying all of them into the condition too made the report of a capture
// with a thousand RDP sessions 1.4 MB longer and said nothing new.
const conditionSample = 10

// sessionEvidence returns the evidence of the first conditionSample
// sessions.
func sessionEvidence(rs []session.Record) []evidence.Evidence {
	var ev []evidence.Evidence
	for _, r := range rs[:min(len(rs), conditionSample)] {
		ev = append(ev, r.Evidence...)
	}
	return ev
}

// flowEvidence returns the evidence of the tool's first conditionSample
// flows.
func flowEvidence(t *match.Tool) []evidence.Evidence {
	var ev []evidence.Evidence
	for _, f := range t.Flows[:min(len(t.Flows), conditionSample)] {
		ev = append(ev, f.Evidence)
	}
	return ev
}

// flowRoles summarises flows as "2 idle control, 1 attempt direct".
func flowRoles(t *match.Tool) string {
	n := map[string]int{}
	var keys []string
	for _, f := range t.Flows {
		k := f.Verdict + " " + f.Role
		if n[k] == 0 {
			keys = append(keys, k)
		}
		n[k]++
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	return strings.Join(parts, ", ")
}

// emptyWhenInstalled: sig's log read by parser is one its package creates
// empty.
func emptyWhenInstalled(sig *signature.Signature, parser string) bool {
	if sig == nil {
		return false
	}
	for _, l := range sig.Logs {
		if l.Parser == parser && l.EmptyWhenInstalled {
			return true
		}
	}
	return false
}

// coverageGap says when the tool ran at a time its logs do not cover: a
// running process that started before the logs begin, or a run recorded
// by Prefetch or BAM before the logs begin or after they end (tools write
// lines as they start, so those logs were rotated, cut or restored).
// Sessions of that run cannot be excluded.
func coverageGap(t *match.Tool) string {
	var first *time.Time
	for _, l := range t.Logs {
		if l.FirstTime != nil && (first == nil || l.FirstTime.Before(*first)) {
			first = l.FirstTime
		}
	}
	if first == nil {
		return ""
	}
	for _, p := range t.Processes {
		if p.Role != match.RoleClient && p.P.Started != nil && p.P.Started.Add(coverageSlack).Before(*first) {
			return fmt.Sprintf("the logs begin at %s, after %s started at %s: earlier sessions cannot be excluded",
				first.Format(time.RFC3339), p.P.Name, p.P.Started.Format(time.RFC3339))
		}
	}
	// Logs several tools write (event logs) say nothing of this tool's runs.
	var own []inventory.LogFile
	for _, l := range t.Logs {
		if !l.Shared && l.Parser != "wire" && l.FirstTime != nil {
			own = append(own, l)
		}
	}
	if len(own) == 0 {
		return ""
	}
	first, last := own[0].FirstTime, own[0].LastTime
	for _, l := range own[1:] {
		if l.FirstTime.Before(*first) {
			first = l.FirstTime
		}
		if l.LastTime != nil && (last == nil || l.LastTime.After(*last)) {
			last = l.LastTime
		}
	}
	for i := range t.Execs {
		e := &t.Execs[i]
		for _, rt := range e.RunTimes() {
			where := ""
			switch {
			case rt.Add(coverageSlack).Before(*first):
				where = "before they begin"
			case last != nil && rt.After(last.Add(coverageSlack)):
				where = "after they end"
			default:
				continue
			}
			end := ""
			if last != nil {
				end = " to " + last.UTC().Format(time.RFC3339)
			}
			return fmt.Sprintf("its logs cover %s%s, but %s (%s) says %s ran at %s, %s: that run's sessions cannot be excluded (its log was rotated, cut or restored)",
				first.UTC().Format(time.RFC3339), end, e.Kind, e.Source, e.Name, rt.UTC().Format(time.RFC3339), where)
		}
	}
	return ""
}

// coverageSlack: a tool's first log line follows its start by seconds
// (Prefetch writes its run time up to ~10 s after the start).
const coverageSlack = 2 * time.Minute

func allFailedFromSamePeers(attempts []session.Record, inbound []match.SockMatch) bool {
	for _, sm := range inbound {
		found := false
		for i := range attempts {
			a := &attempts[i]
			if a.RemoteIP == "" || !sameIP(a.RemoteIP, sm.S.RemoteIP) {
				continue
			}
			if a.RemotePort != 0 && a.RemotePort != sm.S.RemotePort {
				continue
			}
			if a.Outcome == session.FailedAuth || a.Outcome == session.Rejected {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func liveSocketFor(r *session.Record, inbound []match.SockMatch) (match.SockMatch, bool) {
	for _, sm := range inbound {
		if r.RemoteIP != "" && !sameIP(r.RemoteIP, sm.S.RemoteIP) {
			continue
		}
		if r.RemotePort != 0 && r.RemotePort != sm.S.RemotePort {
			continue
		}
		if r.RemoteIP == "" && r.RemotePort == 0 {
			continue // nothing to tie the record to a connection
		}
		return sm, true
	}
	return match.SockMatch{}, false
}

func sameIP(a, b string) bool {
	pa, pb := net.ParseIP(a), net.ParseIP(b)
	if pa == nil || pb == nil {
		return a == b
	}
	return pa.Equal(pb)
}

// countUnlogged counts the attempts whose artifact never writes whether a
// connection authenticated.
func countUnlogged(rs []session.Record) int {
	n := 0
	for i := range rs {
		if rs[i].OutcomeUnlogged {
			n++
		}
	}
	return n
}

// onlyWire: every record whose outcome is not known came from a capture.
func onlyWire(rs []session.Record) bool {
	for i := range rs {
		if rs[i].OutcomeUnlogged && rs[i].Parser != "wire" {
			return false
		}
	}
	return true
}

// unloggedWhy says which artifact it is, from the first such record's notes.
func unloggedWhy(rs []session.Record) string {
	for i := range rs {
		if !rs[i].OutcomeUnlogged {
			continue
		}
		for _, n := range rs[i].Notes {
			if strings.Contains(n, "no authentication result") {
				return n
			}
		}
	}
	return "the logs given record connections only"
}

func describeSessions(rs []session.Record) string {
	var parts []string
	for i, r := range rs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("… %d more", len(rs)-3))
			break
		}
		who := r.RemoteIP
		if r.RemoteID != "" {
			who = strings.TrimSpace(r.RemoteID + " " + r.RemoteIP)
		}
		if who == "" {
			who = "unknown peer"
		}
		parts = append(parts, fmt.Sprintf("%s from %s %s", r.Outcome, who, r.When()))
	}
	return strings.Join(parts, "; ")
}

func procsWithRole(t *match.Tool, roles ...string) []match.ProcMatch {
	var out []match.ProcMatch
	for _, p := range t.Processes {
		for _, r := range roles {
			if p.Role == r {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func socks(t *match.Tool, class string) []match.SockMatch {
	var out []match.SockMatch
	for _, s := range t.Sockets {
		if s.Class == class {
			out = append(out, s)
		}
	}
	return out
}

// serverOutbound: outbound connections of the tool's server side (relay
// registration), not of its viewer.
func serverOutbound(t *match.Tool) []match.SockMatch {
	var out []match.SockMatch
	for _, s := range t.Sockets {
		if s.Class == match.SockOutbound && s.Role != match.RoleClient {
			out = append(out, s)
		}
	}
	return out
}

// unparsedLogs are the tool's non-empty logs that no parser reads (the
// signature's unparsed entries): the tool wrote them as it ran, and the
// sessions they may hold were not read (rule 11).
func unparsedLogs(t *match.Tool) []inventory.LogFile {
	var out []inventory.LogFile
	for _, l := range t.Logs {
		if l.Status == inventory.StatusUnparsed && l.Size > 0 {
			out = append(out, l)
		}
	}
	return out
}

// logLines counts lines of the tool's own logs (shared event logs count only
// through records of this tool).
func logLines(t *match.Tool) int {
	n := 0
	for _, l := range t.Logs {
		if !l.Shared || l.Records > 0 {
			n += l.Lines
		}
	}
	return n
}

func timeline(t *match.Tool, f report.Finding, cleared []session.Clear) []report.TimelineEvent {
	var ev []report.TimelineEvent
	if n := 2*(len(f.Incoming)+len(f.Outgoing)+len(f.Undirected)) + len(f.Attempts); n > 0 {
		ev = make([]report.TimelineEvent, 0, n+len(t.Processes)+len(t.Packages))
	}
	add := func(tm *time.Time, what, detail, src string) {
		if tm != nil && !tm.IsZero() {
			ev = append(ev, report.TimelineEvent{Time: tm.UTC(), Event: what, Detail: detail, Source: src})
		}
	}
	for _, p := range t.Packages {
		add(p.InstallDate, "installed", p.Manager+" "+p.Name+" "+p.Version, p.Source)
	}
	for _, p := range t.Processes {
		add(p.P.Started, "process-start", fmt.Sprintf("%s pid %d (%s)", p.P.Name, p.P.PID, p.Role), "processes")
	}
	for _, e := range t.Execs {
		for i := range e.Times {
			add(&e.Times[i], "executed", e.Name, e.Source)
		}
	}
	for _, l := range unparsedLogs(t) {
		add(l.Modified, "log-written", "last write to a log ratwatch does not parse", l.Path)
	}
	for _, cl := range cleared {
		add(cl.Time, "log-cleared", clearWords(cl, false), cl.Evidence.Path)
	}
	// The events of sessions below are those report.TimelineEvent.OfSession
	// names (NDJSON leaves them to the session lines).
	sess := func(rs []session.Record, kind string) {
		for i := range rs {
			r := &rs[i]
			// The peer: who came in, whom this PC controlled, or (direction
			// unknown) the other side.
			who := strings.TrimSpace(r.RemoteID + " " + r.RemoteIP)
			peer := "from " + who
			switch {
			case who == "":
				peer = "with an unknown peer"
			case r.Direction == session.Outgoing:
				peer = "to " + who
			case r.Direction != session.Incoming:
				peer = "with " + who
			}
			auth := ""
			if r.AuthMethod != "" {
				auth = " (" + r.AuthMethod + ")"
			}
			dur := ""
			if r.Duration != "" {
				dur = " after " + r.Duration
			}
			// Each event cites the file its time came from (a joined
			// session's start and end may be in different logs).
			add(r.Start, kind+"-start", fmt.Sprintf("%s %s session%s %s", r.Direction, r.Outcome, auth, peer), r.PathAt(r.Start))
			add(r.End, kind+"-end", fmt.Sprintf("%s session %s ended%s", r.Direction, peer, dur), r.PathAt(r.End))
			for _, tr := range r.Transfers {
				what := fmt.Sprintf("file %s %s (%d bytes)", tr.Name, tr.Direction, tr.Size)
				if tr.Name == "" && tr.Folder != "" {
					what = fmt.Sprintf("files in %s %s", tr.Folder, tr.Direction)
				}
				if tr.Failed {
					what += ", failed"
				}
				add(tr.Time, "transfer", what, r.PathAt(tr.Time))
			}
		}
	}
	sess(f.Incoming, "session")
	sess(f.Outgoing, "outgoing")
	sess(f.Undirected, "undirected")
	for i := range f.Attempts {
		r := &f.Attempts[i]
		add(r.Start, "attempt", fmt.Sprintf("%s from %s", r.Outcome, strings.TrimSpace(r.RemoteID+" "+r.RemoteIP)), r.PathAt(r.Start))
	}
	if len(ev) == 0 {
		return nil // null in the report, as when nothing was preallocated
	}
	slices.SortStableFunc(ev, func(a, b report.TimelineEvent) int { return a.Time.Compare(b.Time) })
	return ev
}

// reopenLive: a record the log ended whose very connection (address and
// port) is open now to the process serving it. A log whose disconnect line
// names only the address (x11vnc's "Client 127.0.0.1 gone") may have given
// the end to the wrong one of two clients from one address; the socket table
// says which is still there. Only a record that began while that process ran
// and is the last one of that address and port is reopened (a port reused
// after a restart is another connection); its evidence is kept and a note
// says why.
func reopenLive(rs []session.Record, inbound []match.SockMatch, servers []match.ProcMatch) {
	started := map[int32]time.Time{}
	for _, p := range servers {
		if p.P.Started != nil {
			started[p.P.PID] = *p.P.Started
		}
	}
	last := map[string]int{} // ip:port -> the latest record's index
	for i := range rs {
		r := &rs[i]
		if r.RemotePort == 0 || r.RemoteIP == "" || r.Start == nil {
			continue
		}
		k := r.RemoteIP + "|" + strconv.FormatUint(uint64(r.RemotePort), 10)
		if j, ok := last[k]; !ok || rs[j].Start.Before(*r.Start) {
			last[k] = i
		}
	}
	// In record order: which reopened record hands its end to which other
	// client must not depend on map order.
	for _, i := range slices.Sorted(maps.Values(last)) {
		r := &rs[i]
		if r.Open || r.End == nil {
			continue
		}
		sm, ok := liveSocketFor(r, inbound)
		if !ok || sm.S.RemotePort != r.RemotePort {
			continue
		}
		// Log times are whole seconds: a client that came within the
		// second the process started is logged "before" it.
		if st, ok := started[sm.S.PID]; !ok || r.Start.Before(st.Add(-2*time.Second)) {
			continue
		}
		end := r.End
		r.Notes = append(r.Notes, fmt.Sprintf("the log gave this connection an end at %s, but %s:%d is connected now: the disconnect line names no port and belonged to another client from the same address (what the log counted at that disconnect, such as input events, may be that client's too)",
			end.UTC().Format(time.RFC3339), r.RemoteIP, r.RemotePort))
		r.End, r.Duration, r.Open = nil, "", true
		// The one other client of that address still without an end, and
		// not connected now, is the one that left then.
		var other *session.Record
		n := 0
		for j := range rs {
			o := &rs[j]
			if j != i && o.Open && o.End == nil && sameIP(o.RemoteIP, r.RemoteIP) && o.Start != nil && !o.Start.After(*end) {
				if _, live := liveSocketFor(o, inbound); !live {
					other, n = o, n+1
				}
			}
		}
		if n == 1 {
			other.End, other.Open = end, false
			other.Finish()
			other.Notes = append(other.Notes, fmt.Sprintf("end %s: the disconnect the log gave to %s:%d, which is connected now; this client is not",
				end.UTC().Format(time.RFC3339), r.RemoteIP, r.RemotePort))
		}
	}
}
