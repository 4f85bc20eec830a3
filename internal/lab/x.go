package lab

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Display is a running X server started by the lab (Xvfb or Xtigervnc).
type Display struct {
	Num     int    // display number: DISPLAY=:Num
	PID     int    // X server pid
	LogPath string // X server stderr
	proc    *Proc
}

// String returns ":Num".
func (d Display) String() string { return fmt.Sprintf(":%d", d.Num) }

// Env returns "DISPLAY=:Num".
func (d Display) Env() string { return "DISPLAY=" + d.String() }

// Stop stops the X server now (it is stopped in cleanup anyway).
func (d Display) Stop() error {
	if d.proc == nil {
		return nil
	}
	return d.proc.Stop()
}

// Display numbers are drawn from [displayMin, displayMax): high enough to
// stay clear of :0–:99 that people and xrdp (:10+) use by default.
const (
	displayMin = 200
	displayMax = 900
	xReadyWait = 10 * time.Second
)

// displayInUse checks the X socket and lock files of display n.
func displayInUse(n int) bool {
	for _, p := range []string{
		fmt.Sprintf("/tmp/.X11-unix/X%d", n),
		fmt.Sprintf("/tmp/.X%d-lock", n),
	} {
		if _, err := os.Lstat(p); err == nil || !os.IsNotExist(err) {
			return true
		}
	}
	// An abstract-namespace listener without files (another X server in a
	// different mount namespace).
	if c, err := net.DialTimeout("unix", fmt.Sprintf("@/tmp/.X11-unix/X%d", n), 200*time.Millisecond); err == nil {
		c.Close()
		return true
	}
	return false
}

// FreeDisplay returns a random display number with no X socket or lock
// file. Starting an X server on it can still race; startX retries.
func FreeDisplay(t testing.TB) int {
	t.Helper()
	n, err := freeDisplay()
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return n
}

func freeDisplay() (int, error) {
	for i := 0; i < 200; i++ {
		n := displayMin + rand.IntN(displayMax-displayMin)
		if !displayInUse(n) {
			return n, nil
		}
	}
	return 0, errors.New("no free X display number found in 200 tries")
}

// xReady reports whether display n accepts connections on its socket.
func xReady(n int) bool {
	c, err := net.DialTimeout("unix", fmt.Sprintf("/tmp/.X11-unix/X%d", n), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startX starts an X server built by mk for a free display number and
// waits for its socket (and extraReady, if set). When the number was taken
// meanwhile (the server says so), it retries with another one, at most 5
// times. Output of every attempt is appended to logPath.
func startX(t testing.TB, name string, logPath string, mk func(n int) *exec.Cmd, extraReady func(p *Proc) error) (Display, error) {
	t.Helper()
	var lastErr error
	for attempt := 1; attempt <= 5; attempt++ {
		n, err := freeDisplay()
		if err != nil {
			return Display{}, err
		}
		before := fileSize(logPath)
		p, err := startProc(t, name, mk(n), logPath)
		if err != nil {
			return Display{}, err
		}
		ready := waitUntil(xReadyWait, func() bool { return p.Exited() || xReady(n) })
		if ready && !p.Exited() {
			if extraReady != nil {
				if err := extraReady(p); err != nil {
					p.Stop()
					return Display{}, err
				}
			}
			return Display{Num: n, PID: p.PID, LogPath: logPath, proc: p}, nil
		}
		p.Stop()
		log := tailFrom(logPath, before, 3000)
		lastErr = fmt.Errorf("%s on :%d did not come up in %v (exit: %v); log:\n%s", name, n, xReadyWait, p.ExitError(), log)
		if !strings.Contains(log, "already active") && !strings.Contains(log, "Address already in use") &&
			!strings.Contains(log, "Cannot establish any listening sockets") {
			break
		}
	}
	return Display{}, lastErr
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// tailFrom returns at most n bytes of path written after offset.
func tailFrom(path string, offset int64, n int) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return tail(path, n)
	}
	b = b[offset:]
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Xvfb starts a virtual X server (1024x768x24, no TCP) on a free display
// and stops it in cleanup.
func Xvfb(t testing.TB) Display {
	t.Helper()
	Require(t, "Xvfb")
	bin, _ := binPath("Xvfb")
	d, err := startX(t, "Xvfb", filepath.Join(t.TempDir(), "Xvfb.log"), func(n int) *exec.Cmd {
		return exec.Command(bin, fmt.Sprintf(":%d", n), "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset")
	}, nil)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return d
}
