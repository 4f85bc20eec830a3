package exitcode

import (
	"testing"

	"github.com/ratwatch/ratwatch/pkg/report"
)

func TestFor(t *testing.T) {
	cases := []struct {
		name   string
		v      report.Verdict
		failOn string
		want   int
	}{
		{"no tool", report.Verdict{RemoteControl: report.NotEstablished, Level: "none"}, "", 0},
		{"tool present", report.Verdict{RemoteControl: report.NotEstablished, Level: "present", Tools: []string{"anydesk"}}, "", 2},
		{"tool present, fail-on running", report.Verdict{RemoteControl: report.NotEstablished, Level: "present", Tools: []string{"anydesk"}}, "running", 0},
		{"tool running, fail-on running", report.Verdict{RemoteControl: report.NotEstablished, Level: "running", Tools: []string{"anydesk"}}, "running", 2},
		{"attempted, fail-on established", report.Verdict{RemoteControl: report.NotEstablished, Level: "attempted", Tools: []string{"xrdp"}}, "established", 0},
		{"indeterminate never 0", report.Verdict{RemoteControl: report.Indeterminate, Level: "running", Tools: []string{"x11vnc"}}, "established", 2},
		{"established", report.Verdict{RemoteControl: report.Established, Level: "session-past", Tools: []string{"anydesk"}}, "", 3},
		{"established under fail-on established", report.Verdict{RemoteControl: report.Established, Level: "session-active", Tools: []string{"x11vnc"}}, "established", 3},
	}
	for _, c := range cases {
		if got := For(c.v, c.failOn); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
	if ValidLevel("bogus") == nil || ValidLevel("running") != nil {
		t.Error("ValidLevel")
	}
}
