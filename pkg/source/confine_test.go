//go:build unix

package source

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// An offline image's links resolve inside the image: an absolute target is
// the image's own path, ".." stops at its root, a loop ends. The same path
// on this machine is never read.
func TestImageLinksStayInside(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir() // this machine's file, which must not be read
	w := func(p, s string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		p = filepath.Join(root, p)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "ad.trace"), []byte("HOST"), 0o644); err != nil {
		t.Fatal(err)
	}
	w(filepath.Join(outside, "ad.trace"), "IMAGE") // the image's file of the same absolute path
	ln(filepath.Join(outside, "ad.trace"), "var/log/anydesk.trace")
	w("Users/alice-old/AppData/Roaming/AnyDesk/ad.trace", "ALICE")
	ln("/Users/alice-old", "Users/alice")
	ln("../../../../../../etc/passwd", "var/log/up.log")
	w("etc/passwd", "IMAGE PASSWD")
	ln("loop2", "var/log/loop1")
	ln("loop1", "var/log/loop2")

	src := Dir(root, "windows")
	read := func(p string) string {
		f, err := src.Open(p)
		if err != nil {
			return "error: " + err.Error()
		}
		defer f.Close()
		b := make([]byte, 64)
		n, _ := f.Read(b)
		return string(b[:n])
	}
	for p, want := range map[string]string{
		"/var/log/anydesk.trace":                          "IMAGE",
		"/Users/alice/AppData/Roaming/AnyDesk/ad.trace":   "ALICE",
		`C:\Users\alice\AppData\Roaming\AnyDesk\ad.trace`: "ALICE",
		"/var/log/up.log":                                 "IMAGE PASSWD",
	} {
		if got := read(p); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
	if got := read("/var/log/loop1"); got[:6] != "error:" {
		t.Errorf("loop: %q", got)
	}
	m, err := src.Glob("/Users/*/AppData/Roaming/AnyDesk/*.trace")
	if err != nil || !slices.Equal(m, []string{"/Users/alice-old/AppData/Roaming/AnyDesk/ad.trace", "/Users/alice/AppData/Roaming/AnyDesk/ad.trace"}) {
		t.Errorf("glob %v %v", m, err)
	}
}
