package dpkg

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	// Stanzas as dpkg writes them: installed, removed with config left,
	// one with a multi-line description, and one without a Status field
	// (status.d of distroless images).
	db := `Package: x11vnc
Status: install ok installed
Priority: optional
Maintainer: Debian QA Group <packages@qa.debian.org>
Version: 0.9.16-9
Description: VNC server to allow remote access to an existing X session
 x11vnc allows one to view remotely and interact with real X displays.

Package: anydesk
Status: deinstall ok config-files
Version: 6.3.0

Package: tigervnc-standalone-server
Status: install ok installed
Version: 1.12.0+dfsg-8

Package: rustdesk
Version: 1.2.3
`
	got, err := Parse(strings.NewReader(db), "/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d packages, want 3 (anydesk is removed): %+v", len(got), got)
	}
	want := []struct {
		name, version string
		line          int
	}{{"x11vnc", "0.9.16-9", 1}, {"tigervnc-standalone-server", "1.12.0+dfsg-8", 13}, {"rustdesk", "1.2.3", 17}}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Version != w.version || g.Line != w.line || g.Manager != "dpkg" || g.Source != "/var/lib/dpkg/status" {
			t.Errorf("#%d: %+v, want %+v", i, g, w)
		}
	}
	if got[0].Publisher != "Debian QA Group <packages@qa.debian.org>" {
		t.Errorf("publisher %q", got[0].Publisher)
	}
}
