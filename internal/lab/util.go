package lab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// packageOf maps the binaries the lab runs to their Debian package, for the
// skip/fail message.
var packageOf = map[string]string{
	"Xvfb":               "xvfb",
	"x11vnc":             "x11vnc",
	"Xtigervnc":          "tigervnc-standalone-server",
	"vncpasswd":          "tigervnc-tools",
	"tigervncpasswd":     "tigervnc-tools",
	"xrdp":               "xrdp",
	"xrdp-sesman":        "xrdp",
	"Xorg":               "xserver-xorg-core",
	"xfreerdp":           "freerdp2-x11",
	"freerdp-shadow-cli": "freerdp2-shadow-x11",
	"tcpdump":            "tcpdump",
	"tshark":             "tshark",
	"ndpiReader":         "libndpi-bin",
	"wine":               "wine",
	"useradd":            "passwd",
	"userdel":            "passwd",
	"chpasswd":           "passwd",
}

// extraBinDirs are searched after $PATH, so tests find /usr/sbin programs
// even when run with a user's PATH.
var extraBinDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// binPath finds a program in $PATH or the usual system directories.
func binPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range extraBinDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in $PATH or %v", name, extraBinDirs)
}

// Require checks that every binary exists. If one is missing it fails the
// test when $CI is set (CI must have installed them) and skips it otherwise,
// naming the install command.
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	var missing []string
	pkgs := map[string]bool{}
	for _, b := range binaries {
		if _, err := binPath(b); err != nil {
			missing = append(missing, b)
			if p, ok := packageOf[b]; ok {
				pkgs[p] = true
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	var pl []string
	for p := range pkgs {
		pl = append(pl, p)
	}
	sort.Strings(pl)
	msg := fmt.Sprintf("lab: missing %s; install with: sudo scripts/install-test-deps", strings.Join(missing, ", "))
	if len(pl) > 0 {
		msg += fmt.Sprintf(" (or: sudo apt-get install --no-install-recommends %s)", strings.Join(pl, " "))
	}
	failOrSkip(t, msg)
}

// RequireRoot needs uid 0 (xrdp's throwaway user, tcpdump): fail in CI,
// skip elsewhere.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		failOrSkip(t, "lab: this test must run as root (it creates users / captures packets)")
	}
}

func failOrSkip(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " [CI is set, so this is a failure]")
	}
	t.Skip(msg)
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago
// (bind :0, close). Servers started on it are checked to really own it.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("lab: free port: %v", err)
	}
	return p
}

func freePort() (int, error) {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// Also want [::1]:port free: several servers bind both.
		if l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port)); err == nil {
			l6.Close()
			return port, nil
		} else if !ipv6Loopback() {
			return port, nil
		}
	}
	return 0, errors.New("no port free on both 127.0.0.1 and [::1] after 20 tries")
}

func ipv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// randHex returns n random bytes as hex.
func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// scratchDir makes a temp dir that other users (xrdp, the throwaway user)
// can traverse, removed in cleanup. t.TempDir's parents are 0700.
func scratchDir(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ratwatch-lab-"+prefix+"-")
	if err != nil {
		t.Fatalf("lab: temp dir: %v", err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatalf("lab: chmod temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// WaitForLog waits up to d for path to contain substr. It returns nil when
// found, otherwise an error that quotes the end of the file.
func WaitForLog(path, substr string, d time.Duration) error {
	found := waitUntil(d, func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), substr)
	})
	if found {
		return nil
	}
	return fmt.Errorf("lab: %q not in %s after %v; log ends with:\n%s", substr, path, d, tail(path, 2000))
}

// LogContains reports whether the file at path contains substr now.
func LogContains(path, substr string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), substr)
}
