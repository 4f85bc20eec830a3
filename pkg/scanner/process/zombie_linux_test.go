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
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil && strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never became a zombie: %s", pid, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	entries, err := list(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if int(e.rec.PID) == pid {
			t.Errorf("zombie pid %d listed: %+v", pid, e.rec)
		}
	}
	if len(entries) == 0 {
		t.Error("no process listed at all")
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil && strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Skipf("main thread of pid %d did not exit alone: %s", pid, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	entries, err := list(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if int(e.rec.PID) == pid {
			return
		}
	}
	t.Errorf("pid %d (main thread exited, a thread running) not listed", pid)
}
