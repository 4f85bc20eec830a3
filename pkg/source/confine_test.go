//go:build unix

package source

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// A chain of more links than confine follows, ending in an absolute link to
// this machine's file: never read (the OS must not follow the rest).
func TestImageLinkChainTooLong(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "host.trace")
	if err := os.WriteFile(outside, []byte("HOST"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(root, "var/log")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	n := maxLinks + 2
	for i := 0; i < n; i++ {
		target := "l" + strconv.Itoa(i+1)
		if i == n-1 {
			target = outside
		}
		if err := os.Symlink(target, filepath.Join(logs, "l"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("l0", filepath.Join(logs, "anydesk.trace")); err != nil {
		t.Fatal(err)
	}
	src := Dir(root, "linux")
	if f, err := src.Open("/var/log/anydesk.trace"); err == nil {
		b := make([]byte, 8)
		k, _ := f.Read(b)
		f.Close()
		t.Fatalf("read %q through %d links", b[:k], n)
	}
	if _, err := src.Stat("/var/log/anydesk.trace"); err == nil {
		t.Error("stat succeeded")
	}
	// A chain of exactly the bound (anydesk.trace, l0 … l38) resolves,
	// inside the image.
	if err := os.WriteFile(filepath.Join(root, "ok.trace"), []byte("IMAGE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(logs, "l"+strconv.Itoa(maxLinks-2))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/ok.trace", filepath.Join(logs, "l"+strconv.Itoa(maxLinks-2))); err != nil {
		t.Fatal(err)
	}
	f, err := src.Open("/var/log/anydesk.trace")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	k, _ := f.Read(b)
	f.Close()
	if string(b[:k]) != "IMAGE" {
		t.Errorf("read %q", b[:k])
	}
}

// TestGlobFoldsCaseOnWindowsImages: Windows ignores case, a Linux mount
// of its disk does not. On a Windows image a signature's "Atera Networks"
// finds the disk's "ATERA Networks" (the match is the name on disk), for
// literal and wildcard parts; on a Linux image case counts.
func TestGlobFoldsCaseOnWindowsImages(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "Program Files (x86)", "ATERA Networks", "AteraAgent", "AteraAgent.EXE")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "/Program Files (x86)/ATERA Networks/AteraAgent/AteraAgent.EXE"
	for _, pat := range []string{`C:\Program Files (x86)\Atera Networks\AteraAgent\AteraAgent.exe`, "/program files (x86)/Atera Networks/*/*.exe"} {
		got, err := Dir(root, "windows").Glob(pat)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("windows %s: %v %v", pat, got, err)
		}
		if got, _ := Dir(root, "linux").Glob(pat); len(got) != 0 {
			t.Errorf("linux %s: %v", pat, got)
		}
	}
}
