package verdict

import (
	"fmt"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// Rule 13: a log that was cleared lost what it held before the clear, and
// any session in it. Windows writes the clear down: Security 1102 as the
// cleared log's own first record, System 104 (naming the log) for any other.

// clearsOf returns the clears of t's logs (all lists each clear once:
// Inventory.Cleared): of a channel t reads (its
// signature's event-log files, or a log of t's named after the channel),
// found in one of t's logs as that log's own record (Security 1102) or
// naming a log of t's by its file name (System 104). A clear in a merged
// export of several channels applies only to the tools that read the
// cleared channel.
func clearsOf(t *match.Tool, all []session.Clear) []session.Clear {
	if len(all) == 0 || len(t.Logs) == 0 {
		return nil
	}
	mine := map[string]bool{}  // paths of t's logs
	names := map[string]bool{} // their file names, lower case
	for _, l := range t.Logs {
		mine[l.Path] = true
		names[strings.ToLower(signature.BaseName(l.Path))] = true
	}
	reads := ChannelFiles(t.Sig)
	var out []session.Clear
	for _, cl := range all {
		f := strings.ToLower(channelFile(cl.Channel))
		if names[f] || cl.Own && mine[cl.Evidence.Path] && reads[f] {
			out = append(out, cl)
		}
	}
	return out
}

// ChannelFiles is the event-log files (lower case) sig's logs name.
func ChannelFiles(sig *signature.Signature) map[string]bool {
	m := map[string]bool{}
	if sig == nil {
		return m
	}
	for _, l := range sig.Logs {
		for _, p := range l.Paths.Windows {
			if b := strings.ToLower(signature.BaseName(p)); strings.HasSuffix(b, ".evtx") {
				m[b] = true
			}
		}
	}
	return m
}

// Relevant keeps the clears of a log some signature reads (a cleared
// PowerShell log says nothing of remote access).
func Relevant(all []session.Clear, set *signature.Set) []session.Clear {
	if len(all) == 0 || set == nil {
		return all
	}
	reads := map[string]bool{}
	for i := range set.Signatures {
		for f := range ChannelFiles(set.Signatures[i]) {
			reads[f] = true
		}
	}
	var out []session.Clear
	for _, cl := range all {
		if reads[strings.ToLower(channelFile(cl.Channel))] {
			out = append(out, cl)
		}
	}
	return out
}

// channelFile is the .evtx file name Windows keeps a channel in.
func channelFile(ch string) string { return strings.ReplaceAll(ch, "/", "%4") + ".evtx" }

// clearWords says one clear: "the Security log was cleared at … by …"
// (with where it is written, when full).
func clearWords(cl session.Clear, full bool) string {
	w := "the " + cl.Channel + " log"
	if cl.Computer != "" {
		w += " of " + cl.Computer
	}
	w += " was cleared"
	if cl.Time != nil {
		w += " at " + cl.Time.UTC().Format(time.RFC3339)
	}
	if cl.User != "" {
		w += " by " + cl.User
	}
	if full {
		w += fmt.Sprintf(" (record %d of %s)", cl.Evidence.RecordID, cl.Evidence.Path)
	}
	return w
}

// clearsSaid says up to three clears, with where each is written.
func clearsSaid(cl []session.Clear) string {
	var ws []string
	for _, c := range cl[:min(len(cl), 3)] {
		ws = append(ws, clearWords(c, true))
	}
	if len(cl) > 3 {
		ws = append(ws, fmt.Sprintf("and %d more clears", len(cl)-3))
	}
	return strings.Join(ws, "; ") + ": what the cleared log held before is gone"
}

func clearedReason(cl []session.Clear) string {
	return clearsSaid(cl) + ", so a session before then cannot be excluded, and none of what was read shows an incoming session"
}

func clearEvidence(cl []session.Clear) []evidence.Evidence {
	ev := make([]evidence.Evidence, 0, min(len(cl), conditionSample))
	for _, c := range cl[:min(len(cl), conditionSample)] {
		ev = append(ev, c.Evidence)
	}
	return ev
}
