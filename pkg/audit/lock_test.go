package audit_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
)

// Many audits racing for the lock: exactly one gets it, the others get a
// LockedError naming the holder.
func TestLockExactlyOne(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	var held []*audit.Lock
	var locked []error
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			l, _, err := audit.AcquireLock(dir, audit.LockOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				held = append(held, l)
			} else {
				locked = append(locked, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(held) != 1 {
		t.Fatalf("%d goroutines hold the lock", len(held))
	}
	for _, err := range locked {
		var le *audit.LockedError
		if !errors.As(err, &le) {
			t.Fatalf("not a LockedError: %v", err)
		}
		if !le.Unknown && (le.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), "another audit is running (pid ")) {
			t.Errorf("message does not name the holder: %v", err)
		}
	}
	h := held[0]
	b, _ := os.ReadFile(filepath.Join(dir, audit.LockFile))
	var info audit.LockInfo
	if err := json.Unmarshal(b, &info); err != nil || info.PID != os.Getpid() || info.Hostname == "" || info.StartedAt.IsZero() {
		t.Errorf("lock content %s: %v", b, err)
	}
	if err := h.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("lock not removed on release")
	}
	l, note, err := audit.AcquireLock(dir, audit.LockOptions{})
	if err != nil || note != "" {
		t.Fatalf("after release: %v %q", err, note)
	}
	l.Release()
}

func writeLock(t *testing.T, dir string, info audit.LockInfo) {
	t.Helper()
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, audit.LockFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// deadPID starts a real process, waits for it to exit and returns its pid.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A killed audit's lock (its pid is dead) is taken over, and the note says so.
func TestLockStaleDeadPID(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	pid := deadPID(t)
	writeLock(t, dir, audit.LockInfo{PID: pid, StartedAt: time.Now().Add(-time.Minute), Hostname: host})
	l, note, err := audit.AcquireLock(dir, audit.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if !strings.Contains(note, "took over the lock of pid") || !strings.Contains(note, "is no longer running") {
		t.Errorf("note %q", note)
	}
	if l.Info.PID != os.Getpid() {
		t.Errorf("lock holds %+v", l.Info)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.LockFile+".takeover")); !errors.Is(err, os.ErrNotExist) {
		t.Error("takeover guard left behind")
	}
}

func TestLockStaleByAgeAndLiveHolder(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	// A live holder (the parent process, started before the lock): locked.
	writeLock(t, dir, audit.LockInfo{PID: os.Getppid(), StartedAt: time.Now(), Hostname: host})
	_, _, err := audit.AcquireLock(dir, audit.LockOptions{})
	var le *audit.LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getppid() {
		t.Fatalf("live holder: %v", err)
	}
	if !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), host) {
		t.Errorf("message %q does not name pid and host", err)
	}
	// The same holder, but older than the maximum age: taken over.
	writeLock(t, dir, audit.LockInfo{PID: os.Getppid(), StartedAt: time.Now().Add(-5 * time.Hour), Hostname: host})
	l, note, err := audit.AcquireLock(dir, audit.LockOptions{MaxAge: 3 * time.Hour})
	if err != nil || !strings.Contains(note, "more than the maximum 3h0m0s") {
		t.Fatalf("old lock: %v %q", err, note)
	}
	l.Release()
	// A lock of another host is judged by age only (its pid means nothing here).
	writeLock(t, dir, audit.LockInfo{PID: deadPID(t), StartedAt: time.Now(), Hostname: "other-host"})
	if _, _, err := audit.AcquireLock(dir, audit.LockOptions{}); !errors.As(err, &le) {
		t.Errorf("other host's fresh lock: %v", err)
	}
	// Dated more than the maximum age in the future (a clock set wrong, a
	// forged lock): it would block every audit until then; taken over. One
	// a little ahead (clock skew) still holds.
	writeLock(t, dir, audit.LockInfo{PID: deadPID(t), StartedAt: time.Now().Add(30 * time.Minute), Hostname: "other-host"})
	if _, _, err := audit.AcquireLock(dir, audit.LockOptions{MaxAge: 3 * time.Hour}); !errors.As(err, &le) {
		t.Errorf("lock 30 minutes ahead: %v", err)
	}
	writeLock(t, dir, audit.LockInfo{PID: deadPID(t), StartedAt: time.Now().Add(400 * 24 * time.Hour), Hostname: "other-host"})
	l, note, err = audit.AcquireLock(dir, audit.LockOptions{MaxAge: 3 * time.Hour})
	if err != nil || !strings.Contains(note, "in the future, more than the maximum age 3h0m0s") {
		t.Fatalf("lock a year ahead: %v %q", err, note)
	}
	l.Release()
}

// The pid of the lock is alive but started after the lock was written: the
// pid was reused, the holder is gone.
func TestLockReusedPID(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	writeLock(t, dir, audit.LockInfo{PID: os.Getpid(), StartedAt: time.Now().Add(-2 * time.Hour), Hostname: host})
	l, note, err := audit.AcquireLock(dir, audit.LockOptions{})
	if err != nil || !strings.Contains(note, "no longer running") {
		t.Fatalf("reused pid: %v %q", err, note)
	}
	l.Release()
}

// An empty lock file (a holder between create and write) blocks while
// fresh, and is taken over once old.
func TestLockEmptyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, audit.LockFile)
	os.WriteFile(p, nil, 0o644)
	_, _, err := audit.AcquireLock(dir, audit.LockOptions{})
	var le *audit.LockedError
	if !errors.As(err, &le) || !le.Unknown {
		t.Fatalf("fresh empty lock: %v", err)
	}
	old := time.Now().Add(-10 * time.Minute)
	os.Chtimes(p, old, old)
	l, note, err := audit.AcquireLock(dir, audit.LockOptions{})
	if err != nil || !strings.Contains(note, "took over an unreadable lock") {
		t.Fatalf("old empty lock: %v %q", err, note)
	}
	l.Release()
}

// Release leaves a lock that another audit has taken over.
func TestReleaseKeepsOthersLock(t *testing.T) {
	dir := t.TempDir()
	l, _, err := audit.AcquireLock(dir, audit.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writeLock(t, dir, audit.LockInfo{PID: 1, StartedAt: time.Now(), Hostname: "x"})
	if err := l.Release(); err == nil || !strings.Contains(err.Error(), "taken over") {
		t.Errorf("release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.LockFile)); err != nil {
		t.Error("the other audit's lock was removed")
	}
}
