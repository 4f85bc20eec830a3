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
