// Package exitcode maps results to process exit codes, in one place, the same
// for scan, logs, pcap and audit (docs/exit-codes.md):
//
//	0  no remote-access tool found (or nothing at or above --fail-on)
//	1  error: the command could not do its job
//	2  tool(s) found, remote control not established — or indeterminate
//	3  remote control established (an incoming session, past or active)
//
// Indeterminate never maps to 0.
package exitcode

import (
	"fmt"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// Codes.
const (
	Clean       = 0
	Error       = 1
	Found       = 2
	Established = 3
)

// Levels accepted by --fail-on, lowest first. "found" is the default: any tool
// gives 2. A higher level turns findings below it into 0 — except an
// indeterminate verdict, which always gives at least 2.
var Levels = []string{"found", "installed", "running", "connected", "attempted", "established"}

// ValidLevel checks a --fail-on value.
func ValidLevel(l string) error {
	for _, x := range Levels {
		if x == l {
			return nil
		}
	}
	return fmt.Errorf("--fail-on: unknown level %q (one of %s)", l, strings.Join(Levels, ", "))
}

// For returns the exit code for a verdict under a --fail-on level.
func For(v report.Verdict, failOn string) int {
	if failOn == "" {
		failOn = "found"
	}
	switch v.RemoteControl {
	case report.Established:
		return Established
	case report.Indeterminate:
		return Found
	}
	if len(v.Tools) == 0 {
		return Clean
	}
	if reached(v.Level, failOn) {
		return Found
	}
	return Clean
}

// reached tells whether the host's highest state reaches the level.
func reached(state, level string) bool {
	need := map[string]string{
		"found": "present", "installed": "installed", "running": "running",
		"connected": "connected", "attempted": "attempted", "established": "session-past",
	}[level]
	return report.StateRank(state) >= report.StateRank(need)
}

// ForAudit returns the exit code of an audit: the same mapping as For, over
// the findings the audit policy did not allow (f.Audit.Allowed). An allowed
// finding never raises the code, whatever its state; a host that is
// indeterminate for a reason no finding carries (the process scanner failed)
// still gives at least 2.
func ForAudit(v report.Verdict, findings []report.Finding, failOn string) int {
	if failOn == "" {
		failOn = "found"
	}
	code := Clean
	raise := func(c int) {
		if c > code {
			code = c
		}
	}
	indeterminateFinding := false
	for _, f := range findings {
		if f.Verdict == report.Indeterminate {
			indeterminateFinding = true
		}
		if f.Audit != nil && f.Audit.Allowed || f.OSComponentOnly {
			continue
		}
		switch {
		case f.Verdict == report.Established:
			raise(Established)
		case f.Verdict == report.Indeterminate:
			raise(Found)
		case reached(f.State, failOn):
			raise(Found)
		}
	}
	if v.RemoteControl == report.Indeterminate && !indeterminateFinding {
		raise(Found)
	}
	return code
}
