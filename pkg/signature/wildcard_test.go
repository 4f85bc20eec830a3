package signature

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		p, v string
		want bool
	}{
		{"anydesk.exe", "AnyDesk.EXE", true},
		{"*.net.anydesk.com", "relay-1.net.anydesk.com", true},
		{"*.net.anydesk.com", "net.anydesk.com", false},
		{"*.net.anydesk.com", "net.anydesk.com.evil.io", false},
		{"screenconnect client (*)", "ScreenConnect Client (a1b2c3d4e5f6)", true},
		{"screenconnect client (*)", "ScreenConnect Client", false},
		{"c:/program files*/anydesk/anydesk.exe", `C:\Program Files (x86)\AnyDesk\AnyDesk.exe`, true},
		{"teamviewer??_logfile*.log", "TeamViewer15_Logfile_OLD.log", true},
		{"teamviewer??_logfile*.log", "TeamViewer5_Logfile.log", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"?", "ü", true},
		{"*", "", true},
		{"x11vnc", "x11vnc-wrapper", false},
	}
	for _, c := range cases {
		if got := compileWildcard(c.p).match(c.v); got != c.want {
			t.Errorf("%q ~ %q = %v, want %v", c.p, c.v, got, c.want)
		}
	}
}

// The index must give the same answer as trying every signature.
func TestSoftwareCandidatesAgreeWithFullScan(t *testing.T) {
	set, err := Builtin(Options{SkipExamples: true})
	if err != nil {
		t.Fatal(err)
	}
	probes := [][3]string{{"dpkg", "x11vnc", ""}, {"dpkg", "anydesk", ""}, {"rpm", "teamviewer", ""}, {"windows-uninstall", "AnyDesk", ""},
		{"windows-uninstall", "TeamViewer 15", ""}, {"windows-uninstall", "ScreenConnect Client (0123abcd)", ""}, {"macos-bundle", "", "com.philandro.anydesk"},
		{"dpkg", "bash", ""}, {"windows-uninstall", "Mozilla Firefox", ""}, {"msix", "MicrosoftCorporationII.QuickAssist_8wekyb3d8bbwe", ""}}
	for _, p := range probes {
		var full []string
		for _, s := range set.Signatures {
			if len(s.MatchSoftware(p[0], p[1], p[2])) > 0 {
				full = append(full, s.ID)
			}
		}
		var viaIndex []string
		for _, s := range set.SoftwareCandidates(p[0], p[1], p[2]) {
			if len(s.MatchSoftware(p[0], p[1], p[2])) > 0 {
				viaIndex = append(viaIndex, s.ID)
			}
		}
		if strings.Join(full, ",") != strings.Join(viaIndex, ",") {
			t.Errorf("%v: full scan %v, index %v", p, full, viaIndex)
		}
	}
}
