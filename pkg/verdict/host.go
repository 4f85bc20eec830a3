package verdict

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// Wording of the leak consequence (IPA: actual remote control decides
// whether a leak must be assumed).
const (
	LeakAssumed    = "must be assumed"
	LeakNo         = "not through remote control"
	LeakNotExclude = "cannot be excluded"
)

// host combines the findings into the host verdict.
func host(fs []report.Finding, c Context) report.Verdict {
	v := report.Verdict{Level: "none", Tools: []string{}, Reasons: []string{}}
	best := -1
	established, indeterminate := []string{}, []string{}
	transfers := 0
	var osOnly []string
	for _, f := range fs {
		if f.OSComponentOnly {
			// Rule 12: what every PC of the OS has is not a tool found.
			osOnly = append(osOnly, f.Tool.Name)
			continue
		}
		v.Tools = append(v.Tools, f.Tool.ID)
		if r := report.StateRank(f.State); r > best {
			best, v.Level = r, f.State
		}
		v.IncomingSessions += len(f.Incoming)
		v.Attempts += len(f.Attempts)
		for i := range f.Outgoing {
			if f.Outgoing[i].IsSession() { // the list holds outgoing attempts too
				v.OutgoingSessions++
			} else {
				v.OutgoingAttempts++
			}
		}
		for _, r := range f.Incoming {
			transfers += r.Moved()
			v.FailedTransfers += len(r.Transfers) - r.Moved()
			if r.Open && strings.Contains(strings.Join(r.Notes, " "), "active:") {
				v.ActiveSessions++
			}
		}
		if v.ActiveSessions == 0 && f.State == "session-active" {
			v.ActiveSessions++
		}
		switch f.Verdict {
		case report.Established:
			established = append(established, fmt.Sprintf("%s: %s", f.Tool.Name, f.VerdictReason))
		case report.Indeterminate:
			indeterminate = append(indeterminate, fmt.Sprintf("%s: %s", f.Tool.Name, f.VerdictReason))
		}
	}
	v.FileTransfers = transfers
	v.Incomplete = incomplete(c)
	coreFailed := false
	for _, n := range []string{"processes"} {
		if c.Live {
			if ran, _ := c.scannerOK(n); !ran {
				coreFailed = true
				v.Reasons = append(v.Reasons, "the "+n+" scanner failed: running tools may be missed")
			}
		}
	}
	unread := "" // what of the files handed over could not be read (logs)
	if c.HandedOver {
		unread = unreadHandedOver(c)
	}
	// What a scan of a host or image could not read where a session, or a
	// tool that ran, would show (no tool found is not "no session" when
	// another user's profile could not be listed).
	var unseen []string
	if !c.HandedOver {
		unseen = unseenSources(c)
	}
	switch {
	case len(established) > 0:
		v.RemoteControl, v.Leak = report.Established, LeakAssumed
		v.Reasons = append(v.Reasons, established...)
		v.Summary = fmt.Sprintf("Remote control WAS established: %d incoming session(s)", v.IncomingSessions)
		if v.ActiveSessions > 0 {
			v.Summary += fmt.Sprintf(", %d active now", v.ActiveSessions)
		}
		// A scan of this host speaks of this PC; logs, an image or a
		// capture handed over speak of the PC they came from.
		pc, that := "this PC", "the PC"
		if !c.Live {
			pc, that = "the PC this evidence comes from", "that PC"
			if hs := sessionComputers(fs); len(hs) > 1 {
				// Event logs of several PCs handed over together.
				names := strings.Join(hs[:min(len(hs), 5)], ", ")
				if len(hs) > 5 {
					names += fmt.Sprintf(" and %d more", len(hs)-5)
				}
				pc = fmt.Sprintf("the %d computers whose logs show them (%s)", len(hs), names)
				that = "those PCs"
			}
		}
		v.Summary += ". Assume that whatever the operator could see or reach from " + pc + " while connected may have leaked"
		if transfers > 0 {
			v.Summary += fmt.Sprintf(", and %d file transfer(s) were recorded: files were moved", transfers)
		}
		switch {
		case v.FailedTransfers > 0 && transfers > 0:
			v.Summary += fmt.Sprintf("; %d more were tried and failed", v.FailedTransfers)
		case v.FailedTransfers > 0:
			v.Summary += fmt.Sprintf(", and %d file transfer(s) were tried but failed (the log says the files were not written)", v.FailedTransfers)
		}
		v.Summary += ". Disconnect " + that + " from the network, keep this report, and check the sessions' times, peers and transfers."
	case len(indeterminate) == 0 && !coreFailed && unread != "":
		v.RemoteControl, v.Leak = report.Indeterminate, LeakNotExclude
		v.Reasons = append(v.Reasons, unread)
		v.Summary = "Remote control cannot be excluded: " + unread + ", and none of what was read shows an incoming session. Recover the missing files, or read them as a user who may, and run again."
	case len(indeterminate) == 0 && !coreFailed && len(unseen) > 0:
		v.RemoteControl, v.Leak = report.Indeterminate, LeakNotExclude
		v.Reasons = append(v.Reasons, unseen...)
		found := "no remote-access tool was found in what could be read"
		if len(v.Tools) > 0 {
			found = fmt.Sprintf("remote-access tool(s) found (%s), and nothing read shows an incoming session", strings.Join(v.Tools, ", "))
		}
		again := "Run again as administrator/root, or examine an image of the disk."
		if !c.Live {
			again = "Read them as a user who may (administrator/root), or recover them, and run again."
		}
		v.Summary = "Remote control cannot be excluded: " + found + ", but places where tools and their logs are kept could not be read (" + strings.Join(unseen, "; ") + "). " + again
	case len(indeterminate) > 0 || coreFailed:
		v.RemoteControl, v.Leak = report.Indeterminate, LeakNotExclude
		v.Reasons = append(v.Reasons, indeterminate...)
		v.Summary = "Remote control cannot be excluded: a remote-access tool is present or ran, but the evidence that would show a session is missing or unreadable. Treat a leak as possible until the missing logs are recovered (run as administrator/root, collect the logs, or examine an image)."
		if c.Capture && !coreFailed {
			v.Summary = "Remote control cannot be excluded: the capture shows remote-access connections, but not whether one became a session (the reasons say why: a connection still open when the capture ended, or which side was controlled is not known). Treat a leak as possible until the tools' logs on the PCs involved are read (ratwatch scan, ratwatch logs); give the capturing host's address with --local-ip when the reasons ask for it."
		}
	default:
		v.RemoteControl, v.Leak = report.NotEstablished, LeakNo
		if len(v.Tools) == 0 {
			v.Summary = "No remote-access tool found and no sign of remote control."
			if len(fs) == 0 {
				v.Reasons = append(v.Reasons, "no signature matched any process, package, service, file or log")
			}
		} else {
			v.Summary = fmt.Sprintf("Remote-access tool(s) found (%s), but every source that could show an incoming session was read and none shows one: no leak through remote control. Remove the tool(s) if they are not approved.", strings.Join(v.Tools, ", "))
			if v.Attempts > 0 {
				v.Summary = fmt.Sprintf("Remote-access tool(s) found (%s) and %d connection attempt(s) that did not get in; no incoming session was established: no leak through remote control. Remove the tool(s) if they are not approved.", strings.Join(v.Tools, ", "), v.Attempts)
			}
			for _, f := range fs {
				if !f.OSComponentOnly {
					v.Reasons = append(v.Reasons, fmt.Sprintf("%s: %s", f.Tool.Name, f.VerdictReason))
				}
			}
		}
	}
	// Rule 13: a cleared event log is said in the host's reasons whatever
	// the verdict (a session found after the clear stands, but a responder
	// reading the table must learn the log was wiped).
	if len(c.Cleared) > 0 && !strings.Contains(strings.Join(v.Reasons, "\n"), " was cleared") {
		v.Reasons = append(v.Reasons, clearsSaid(c.Cleared))
	}
	if len(osOnly) > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("not counted (part of the operating system, only its service or package found): %s", strings.Join(osOnly, ", ")))
	}
	sort.Strings(v.Tools)
	return v
}

// incomplete lists scanners that did not run completely.
func incomplete(c Context) []string {
	var out []string
	for _, s := range c.Statuses {
		switch s.Status {
		case inventory.StatusPartial, inventory.StatusFailed:
			out = append(out, fmt.Sprintf("%s: %s (%s)", s.Name, s.Status, s.Reason))
		}
	}
	return out
}

// unseenSources lists the scanners that read in part, or not at all, the
// places that decide the session question when nothing read shows a
// session: the tool-log locations of every signature (logs and event logs,
// in every user profile) and the execution records (a tool that ran and
// left no log is indeterminate, rule 9). A found tool's own unread logs
// already make that tool indeterminate; these are the rest (a folder that
// could not be listed may hold any tool's logs).
func unseenSources(c Context) []string {
	var out []string
	for _, n := range []string{"tool-logs", "windows-execution"} {
		if st, ok := c.status(n); ok && (st.Status == inventory.StatusPartial || st.Status == inventory.StatusFailed) {
			why := n + ": " + st.Reason
			if len(st.Errors) > 0 {
				why += ": " + strings.Join(st.Errors[:min(len(st.Errors), 3)], "; ")
			}
			out = append(out, why)
		}
	}
	return out
}

// sessionComputers lists the computers named by established incoming
// sessions (case-insensitively distinct, in order of appearance).
func sessionComputers(fs []report.Finding) []string {
	var out []string
	seen := map[string]bool{}
	for i := range fs {
		for _, r := range fs[i].Incoming {
			if k := strings.ToLower(r.Host); r.Host != "" && !seen[k] {
				seen[k] = true
				out = append(out, r.Host)
			}
		}
	}
	return out
}

// unreadHandedOver says what of the files handed over (logs, captures)
// could not be read, or was read only in part ("" when all were read).
func unreadHandedOver(c Context) string {
	var parts []string
	if st, ok := c.status("tool-logs"); ok && st.Unreadable > 0 {
		parts = append(parts, fmt.Sprintf("%d of the %d files or folders handed over could not be read (%s)", st.Unreadable, st.Items, strings.Join(st.Errors[:min(len(st.Errors), 3)], "; ")))
	}
	for _, st := range c.Statuses {
		if !strings.HasPrefix(st.Name, "capture ") {
			continue
		}
		switch st.Status {
		case inventory.StatusFailed:
			parts = append(parts, fmt.Sprintf("%s could not be read (%s)", st.Name, st.Reason))
		case inventory.StatusPartial:
			parts = append(parts, fmt.Sprintf("%s was read only in part (%s): a session in the rest cannot be excluded", st.Name, st.Reason))
		}
	}
	// Rule 13: a log handed over that was cleared lost what it held
	// before, whichever tool's records it held.
	if len(c.Cleared) > 0 {
		parts = append(parts, clearsSaid(c.Cleared))
	}
	return strings.Join(parts, "; ")
}
