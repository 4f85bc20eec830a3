package signature_test

import (
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

func get(t *testing.T, id string) *signature.Signature {
	t.Helper()
	s := builtin(t).Get(id)
	if s == nil {
		t.Fatalf("no signature %q", id)
	}
	return s
}

func TestDomainWildcards(t *testing.T) {
	ad := get(t, "anydesk")
	for domain, want := range map[string]bool{
		"relay-1.net.anydesk.com":         true,
		"relay-9b6827f2.net.anydesk.com":  true,
		"RELAY-9B6827F2.NET.ANYDESK.COM.": true, // case and trailing dot
		"boot.net.anydesk.com":            true,
		"anydesk.com":                     true,
		"net.anydesk.com.evil.io":         false,
		"anydesk.com.evil.io":             false,
		"evilanydesk.com":                 false,
		"anydesk.co":                      false,
	} {
		if got := len(ad.MatchDomain(domain)) > 0; got != want {
			t.Errorf("anydesk MatchDomain(%q) = %v, want %v", domain, got, want)
		}
	}
	// The most specific pattern is reported.
	if h := ad.MatchDomain("relay-1.net.anydesk.com"); len(h) != 1 || h[0].Pattern != "relay-*.net.anydesk.com" {
		t.Errorf("relay hit = %+v, want pattern relay-*.net.anydesk.com", h)
	}
	// "*.x" needs a label before x: the bare parent is listed separately.
	if len(get(t, "screenconnect").MatchDomain("evilscreenconnect.com")) > 0 {
		t.Error("*.screenconnect.com must not match evilscreenconnect.com")
	}
}

func TestNamesAreCaseInsensitive(t *testing.T) {
	tv := get(t, "teamviewer")
	for _, name := range []string{"TeamViewer.exe", "teamviewer.exe", "TEAMVIEWER.EXE", "TeamViewerQS_en-idcjq2xx3f.exe"} {
		if m := tv.MatchProcess("windows", name, "", ""); len(m.Hits) == 0 {
			t.Errorf("teamviewer does not match process name %q", name)
		}
	}
	if len(tv.MatchSoftware("dpkg", "TeamViewer", "")) == 0 {
		t.Error("software names are case-insensitive")
	}
	if len(tv.MatchService("windows", "teamviewer")) == 0 {
		t.Error("service names are case-insensitive")
	}
	// OS keys are not interchangeable.
	if m := tv.MatchProcess("linux", "TeamViewer.exe", "", ""); len(m.Hits) > 0 {
		t.Errorf("windows name matched on linux: %+v", m.Hits)
	}
}

func TestWindowsPathsMatchEitherSlash(t *testing.T) {
	sc := get(t, "screenconnect")
	for _, exe := range []string{
		`C:\Program Files (x86)\ScreenConnect Client (6e7a0f3b1c2d4e5f)\x.exe`,
		`C:/Program Files (x86)/ScreenConnect Client (6e7a0f3b1c2d4e5f)/x.exe`,
		`/mnt/image/Program Files (x86)/ScreenConnect Client (6e7a0f3b1c2d4e5f)/x.exe`,
		`c:\program files (x86)\screenconnect client (6E7A0F3B1C2D4E5F)\X.EXE`,
	} {
		m := sc.MatchProcess("windows", "", exe, "")
		if len(m.Hits) == 0 || m.Hits[0].Rule != "process.paths.windows" {
			t.Errorf("screenconnect path does not match %q: %+v", exe, m.Hits)
		}
	}
	// The exe base name is tried as a process name too.
	if m := get(t, "anydesk").MatchProcess("windows", "", `D:/tools\AnyDesk.exe`, ""); len(m.Hits) == 0 {
		t.Error("exe base name with mixed separators not matched")
	}
}

func TestSessionAndClientFlags(t *testing.T) {
	ad := get(t, "anydesk")
	exe := `C:\Program Files (x86)\AnyDesk\AnyDesk.exe`
	cases := []struct {
		cmdline string
		session bool
	}{
		{`"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --backend`, true},
		{`"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --service`, false},
		{`"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --backendless`, false},
		{`/usr/bin/anydesk --backend`, true},
	}
	for _, c := range cases {
		m := ad.MatchProcess("windows", "AnyDesk.exe", exe, c.cmdline)
		if len(m.Hits) == 0 || m.SessionProcess != c.session {
			t.Errorf("anydesk %q: hits=%d session=%v, want session=%v", c.cmdline, len(m.Hits), m.SessionProcess, c.session)
		}
	}
	// session_cmdline alone never identifies a process.
	if m := ad.MatchProcess("windows", "other.exe", `C:\other.exe`, "other.exe --backend"); len(m.Hits) > 0 {
		t.Errorf("session regex matched an unrelated process: %+v", m.Hits)
	}
	tv := get(t, "teamviewer")
	m := tv.MatchProcess("windows", "TeamViewer_Desktop.exe", `C:\Program Files\TeamViewer\TeamViewer_Desktop.exe`,
		`C:\Program Files\TeamViewer\TeamViewer_Desktop.exe --IPCport 5939 --Module 1`)
	if !m.SessionProcess {
		t.Error("TeamViewer_Desktop --Module 1 is a session process")
	}
	m = tv.MatchProcess("windows", "TeamViewer_Desktop.exe", `C:\Program Files\TeamViewer\TeamViewer_Desktop.exe`,
		`C:\Program Files\TeamViewer\TeamViewer_Desktop.exe --IPCport 5939 --Module 12`)
	if m.SessionProcess {
		t.Error("--Module 12 is not --Module 1")
	}
	if m := get(t, "windows-rdp").MatchProcess("windows", "mstsc.exe", `C:\Windows\System32\mstsc.exe`, ""); !m.Client {
		t.Error("mstsc.exe is an RDP client")
	}
	if m := get(t, "windows-rdp").MatchProcess("windows", "rdpclip.exe", `C:\Windows\System32\rdpclip.exe`, ""); m.Client {
		t.Error("rdpclip.exe is server side")
	}
}

func TestSignerSubjects(t *testing.T) {
	cases := []struct {
		id, subject string
		want        bool
	}{
		{"anydesk", "AnyDesk Software GmbH", true},
		{"anydesk", "anydesk software gmbh", true},
		{"anydesk", "CN=AnyDesk Software GmbH, O=AnyDesk Software GmbH, L=Stuttgart, C=DE", true},
		{"anydesk", `CN="AnyDesk Software GmbH", O=AnyDesk Software GmbH`, true},
		{"anydesk", "CN=Evil Ltd, O=Evil Ltd, OU=AnyDesk Software GmbH", false}, // only CN and O count
		{"anydesk", "AnyDesk Software GmbH (test)", false},
		{"ultraviewer", "CN=DUC FABULOUS CO.,LTD, O=DUC FABULOUS CO.,LTD, C=VN", true},
		{"ultraviewer", `CN=DUC FABULOUS CO.\,LTD, O=DUC FABULOUS CO.\,LTD, C=VN`, true},
		{"ultraviewer", `CN="DUC FABULOUS CO.,LTD", C=VN`, true},
		{"screenconnect", `CN="ConnectWise, LLC", O="ConnectWise, LLC", C=US`, true},
		{"rustdesk", "CN=Open Source Developer\\, Huabing Zhou, O=Open Source Developer, C=CN", true},
		{"rustdesk", "CN=PURSLANE, O=PURSLANE, S=North West, C=SG", true},
	}
	for _, c := range cases {
		if got := len(get(t, c.id).MatchSigner(c.subject)) > 0; got != c.want {
			t.Errorf("%s MatchSigner(%q) = %v, want %v", c.id, c.subject, got, c.want)
		}
	}
	// The hit reports the observed subject, not the extracted CN.
	h := get(t, "anydesk").MatchSigner("CN=AnyDesk Software GmbH, C=DE")
	if len(h) != 1 || h[0].Value != "CN=AnyDesk Software GmbH, C=DE" || h[0].Rule != "signers" {
		t.Errorf("signer hit = %+v", h)
	}
}

func TestPEMatching(t *testing.T) {
	ad := get(t, "anydesk")
	// Company alone only supports.
	if h := ad.MatchPE("", "AnyDesk Software GmbH", ""); len(h) > 0 {
		t.Errorf("company alone matched: %+v", h)
	}
	// Version strings padded with blanks or NULs still match.
	h := ad.MatchPE("AnyDesk.exe\x00\x00", "AnyDesk Software GmbH   ", " AnyDesk ")
	if len(h) != 3 {
		t.Errorf("padded PE strings: got %d hits, want 3 (%+v)", len(h), h)
	}
}

func TestPortRoles(t *testing.T) {
	ad := get(t, "anydesk")
	for _, c := range []struct {
		port  uint32
		proto string
		role  string
		ok    bool
	}{
		{6568, "tcp", signature.RoleRelay, true},
		{7070, "tcp", signature.RoleDirect, true},
		{7070, "TCP", signature.RoleDirect, true},
		{7070, "udp", "", false},
		{50002, "udp", signature.RoleListen, true},
		{50004, "udp", "", false},
	} {
		p, ok := ad.PortRole(c.port, c.proto)
		if ok != c.ok || p.Role != c.role {
			t.Errorf("anydesk PortRole(%d,%s) = %q,%v; want %q,%v", c.port, c.proto, p.Role, ok, c.role, c.ok)
		}
	}
	if p, ok := get(t, "x11vnc").PortRole(5905, "tcp"); !ok || p.Role != signature.RoleListen {
		t.Errorf("x11vnc 5905 = %+v %v", p, ok)
	}
}
