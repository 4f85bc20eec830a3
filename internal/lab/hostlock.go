package lab

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// HostLockPath is the lock every lab user takes: a live scan sees the whole
// host, so tests that start servers or scan the host must not overlap, even
// across test binaries (go test runs packages in parallel).
var HostLockPath = filepath.Join(os.TempDir(), "ratwatch-lab.lock")

var (
	hostMu    sync.Mutex
	hostHeld  = map[testing.TB]bool{}
	hostCount int
	hostFile  *os.File
)

// HostLock takes the host-wide lab lock for the rest of the test (released in
// cleanup). Taking it twice in one test is a no-op; parallel tests of one
// binary share the process's lock.
func HostLock(t testing.TB) {
	t.Helper()
	hostMu.Lock()
	defer hostMu.Unlock()
	if hostHeld[t] {
		return
	}
	if hostCount == 0 {
		f, err := os.OpenFile(HostLockPath, os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			t.Fatalf("lab: host lock: %v", err)
		}
		// Blocks until other test binaries are done; they release on exit
		// at the latest (the kernel drops flocks of dead processes).
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			t.Fatalf("lab: host lock: %v", err)
		}
		hostFile = f
	}
	hostCount++
	hostHeld[t] = true
	t.Cleanup(func() {
		hostMu.Lock()
		defer hostMu.Unlock()
		delete(hostHeld, t)
		hostCount--
		if hostCount == 0 {
			syscall.Flock(int(hostFile.Fd()), syscall.LOCK_UN)
			hostFile.Close()
			hostFile = nil
		}
	})
}
