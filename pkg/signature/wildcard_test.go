package signature

import "testing"

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
