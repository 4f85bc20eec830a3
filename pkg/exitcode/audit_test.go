package exitcode

import (
	"testing"

	"github.com/ratwatch/ratwatch/pkg/report"
)

func TestForAudit(t *testing.T) {
	allowed := &report.FindingAudit{Allowed: true}
	f := func(state, verdict string, a *report.FindingAudit) report.Finding {
		return report.Finding{Tool: report.ToolRef{ID: "t"}, State: state, Verdict: verdict, Audit: a}
	}
	ne, est, ind := report.Verdict{RemoteControl: report.NotEstablished}, report.Verdict{RemoteControl: report.Established}, report.Verdict{RemoteControl: report.Indeterminate}
	cases := []struct {
		name   string
		v      report.Verdict
		fs     []report.Finding
		failOn string
		want   int
	}{
		{"nothing", ne, nil, "", 0},
		{"present, not allowed", ne, []report.Finding{f("present", report.NotEstablished, nil)}, "", 2},
		{"present, allowed", ne, []report.Finding{f("present", report.NotEstablished, allowed)}, "", 0},
		{"established, allowed", est, []report.Finding{f("session-past", report.Established, allowed)}, "", 0},
		{"established, not allowed", est, []report.Finding{f("session-past", report.Established, &report.FindingAudit{})}, "established", 3},
		{"established allowed + running not allowed", est, []report.Finding{
			f("session-past", report.Established, allowed), f("running", report.NotEstablished, nil)}, "", 2},
		{"running not allowed under fail-on established", ne, []report.Finding{f("running", report.NotEstablished, nil)}, "established", 0},
		{"indeterminate finding not allowed", ind, []report.Finding{f("running", report.Indeterminate, nil)}, "established", 2},
		{"indeterminate finding allowed", ind, []report.Finding{f("running", report.Indeterminate, allowed)}, "", 0},
		{"host indeterminate, no finding carries it", ind, nil, "established", 2},
	}
	for _, c := range cases {
		if got := ForAudit(c.v, c.fs, c.failOn); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}
