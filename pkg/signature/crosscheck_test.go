package signature_test

import (
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

// sharedFacts lists signature pairs whose true-positive examples may also
// match the other signature, with the reason. Keep it short: every entry is
// an observation the tool cannot attribute to one product.
var sharedFacts = map[[2]string]string{
	{"realvnc", "ultravnc"}:  "both viewers are installed as vncviewer.exe",
	{"realvnc", "tigervnc"}:  "both Linux viewers are installed as vncviewer",
	{"tightvnc", "ultravnc"}: "the TightVNC 1.x and UltraVNC servers are both WinVNC.exe",
}

func pairKey(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// No true-positive example of one signature may match another signature,
// unless the pair is in sharedFacts.
func TestTruePositivesAreUnambiguous(t *testing.T) {
	set := builtin(t)
	used := map[[2]string]bool{}
	for _, a := range set.Signatures {
		for i, ex := range a.Examples.TruePositives {
			for _, b := range set.Signatures {
				if a == b {
					continue
				}
				hits, err := b.MatchExample(ex)
				if err != nil || len(hits) == 0 {
					continue
				}
				key := pairKey(a.ID, b.ID)
				if _, ok := sharedFacts[key]; ok {
					used[key] = true
					continue
				}
				t.Errorf("%s true_positives[%d] (%s) also matches %s via %s %q", a.ID, i, describe(ex), b.ID, hits[0].Rule, hits[0].Pattern)
			}
		}
	}
	for key, why := range sharedFacts {
		if !used[key] {
			t.Errorf("sharedFacts entry %v (%s) is no longer needed; remove it", key, why)
		}
	}
}

// Process facts are checked the same way on a realistic list of processes
// that are on almost every PC: none may belong to any signature.
func TestCommonProcessesMatchNothing(t *testing.T) {
	common := []signature.ProcessExample{
		{OS: "windows", Name: "svchost.exe", Exe: `C:\Windows\System32\svchost.exe`, Cmdline: `C:\Windows\system32\svchost.exe -k NetworkService -p -s TermService`},
		{OS: "windows", Name: "explorer.exe", Exe: `C:\Windows\explorer.exe`},
		{OS: "windows", Name: "chrome.exe", Exe: `C:\Program Files\Google\Chrome\Application\chrome.exe`, Cmdline: `chrome.exe --type=renderer`},
		{OS: "windows", Name: "msedge.exe", Exe: `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`},
		{OS: "windows", Name: "Teams.exe", Exe: `C:\Users\eve\AppData\Local\Microsoft\Teams\current\Teams.exe`},
		{OS: "windows", Name: "OneDrive.exe", Exe: `C:\Users\eve\AppData\Local\Microsoft\OneDrive\OneDrive.exe`},
		{OS: "windows", Name: "client.exe", Exe: `C:\Program Files\Vendor\client.exe`},
		{OS: "windows", Name: "service.exe", Exe: `C:\Program Files\Vendor\service.exe`},
		{OS: "windows", Name: "connect.exe", Exe: `C:\Program Files\Vendor\connect.exe`},
		{OS: "windows", Name: "agent.exe", Exe: `C:\Program Files\Vendor\agent.exe`},
		{OS: "windows", Name: "Remote Access.exe", Exe: `C:\Program Files\Vendor\Remote Access.exe`},
		{OS: "windows", Name: "pservice.exe", Exe: `C:\Program Files\Vendor\pservice.exe`},
		{OS: "windows", Name: "RCClient.exe", Exe: `C:\Program Files\Vendor\RCClient.exe`},
		{OS: "windows", Name: "java.exe", Exe: `C:\Program Files\Java\jre-1.8\bin\java.exe`, Cmdline: `java.exe -jar app.jar`},
		{OS: "windows", Name: "MsMpEng.exe", Exe: `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe`},
		{OS: "windows", Name: "dwm.exe", Exe: `C:\Windows\System32\dwm.exe`},
		{OS: "windows", Name: "RuntimeBroker.exe", Exe: `C:\Windows\System32\RuntimeBroker.exe`},
		{OS: "linux", Name: "systemd", Exe: "/usr/lib/systemd/systemd"},
		{OS: "linux", Name: "Xorg", Exe: "/usr/lib/xorg/Xorg", Cmdline: "/usr/lib/xorg/Xorg :0 -seat seat0 vt7"},
		{OS: "linux", Name: "Xwayland", Exe: "/usr/bin/Xwayland"},
		{OS: "linux", Name: "gnome-remote-de", Exe: "/usr/libexec/gnome-remote-desktop-daemon"},
		{OS: "linux", Name: "sshd", Exe: "/usr/sbin/sshd"},
		{OS: "linux", Name: "python3", Exe: "/usr/bin/python3.11", Cmdline: "python3 /usr/bin/networkd-dispatcher"},
		{OS: "darwin", Name: "WindowServer", Exe: "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer"},
		{OS: "darwin", Name: "screensharingd", Exe: "/System/Library/CoreServices/RemoteManagement/screensharingd.bundle/Contents/MacOS/screensharingd"},
	}
	for _, s := range builtin(t).Signatures {
		for _, p := range common {
			if m := s.MatchProcess(p.OS, p.Name, p.Exe, p.Cmdline); len(m.Hits) > 0 {
				t.Errorf("%s matches the common process %s (%s %q)", s.ID, p.Exe, m.Hits[0].Rule, m.Hits[0].Pattern)
			}
		}
	}
}
