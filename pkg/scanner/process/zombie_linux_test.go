package process

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// showsZ waits (at most d) until pid's stat shows state Z; it returns the
// last stat read and whether it did.
func showsZ(pid int, d time.Duration) (string, bool) {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil && strings.Contains(string(b), ") Z ") {
			return string(b), true
		}
		if time.Now().After(deadline) {
			return string(b), false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// listed lists the processes and tells whether pid is among them.
func listed(t *testing.T, pid int) bool {
	t.Helper()
	entries, err := list(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no process listed at all")
	}
	for _, e := range entries {
		if int(e.rec.PID) == pid {
			return true
		}
	}
	return false
}

// A zombie has exited and waits to be reaped: it is not a running process
// (xrdp-sesman's session child lingers so, and was reported as xrdp
// running). The child below exits at once and is not waited for until the
// listing is done.
func TestZombieNotListed(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait() // reap it, by its pid
	pid := cmd.Process.Pid
	if st, ok := showsZ(pid, 5*time.Second); !ok {
		t.Fatalf("pid %d never became a zombie: %s", pid, st)
	}
	if listed(t, pid) {
		t.Errorf("zombie pid %d listed", pid)
	}
}

// A process whose main thread exited while another thread runs shows Z in
// its stat, yet it runs: it stays in the list (hiding from ps-like
// listings must not hide it from a scan).
func TestMainThreadExitedStillListed(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	cmd := exec.Command(py, "-c", "import threading,time,ctypes\nthreading.Thread(target=time.sleep,args=(30,)).start()\nctypes.CDLL(None).pthread_exit(None)")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }() // by its pid
	pid := cmd.Process.Pid
	if st, ok := showsZ(pid, 10*time.Second); !ok {
		t.Skipf("main thread of pid %d did not exit alone: %s", pid, st)
	}
	if !listed(t, pid) {
		t.Errorf("pid %d (main thread exited, a thread running) not listed", pid)
	}
}
