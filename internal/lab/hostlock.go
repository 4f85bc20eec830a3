package lab

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The host lock lets a test see the machine with no other lab process
// running, e.g. an end-to-end test that scans the whole host and expects to
// find only the servers it started itself.
//
// Every process the lab starts holds the host lock shared (per test binary:
// the lock file is taken once while any lab process of this binary runs).
// HostLock takes it exclusively: it waits until no other test binary runs
// lab processes and keeps new ones from starting until its test ends.
// A waiting HostLock has priority over new shared users (writer preference
// through a second "intent" lock), so a busy package cannot starve it. In
// turn, a new HostLock first lets shared users that are already waiting in
// (they hold a third "waiting" lock shared, for at most hostYield), so a
// package of many HostLock tests cannot starve the other binaries either.
//
// Processes started outside the lab (by hand, by another tool) are not
// covered.
const (
	hostLockPath   = "/tmp/ratwatch-lab-host.lock"
	hostIntentPath = "/tmp/ratwatch-lab-host.intent"
	hostWaitPath   = "/tmp/ratwatch-lab-host.waiting"
	hostYield      = 10 * time.Second
	// HostLockWait bounds every wait for the host lock, shared or exclusive.
	HostLockWait = 5 * time.Minute
	lockPoll     = 50 * time.Millisecond
)

type hostState struct {
	mu      sync.Mutex
	shared  int            // lab processes of this binary holding the shared lock
	byTest  map[string]int // the same, per test name
	sharedF *os.File       // flock LOCK_SH while shared > 0
	holder  string         // test holding HostLock in this binary
	exclF   *os.File       // flock LOCK_EX while holder != ""
}

var host = hostState{byTest: map[string]int{}}

// coveredBy reports whether test name is holder or one of its subtests.
func coveredBy(name, holder string) bool {
	return holder != "" && (name == holder || strings.HasPrefix(name, holder+"/"))
}

// tryFlock opens path and tries a non-blocking flock; on success the file
// holds the lock until closed.
func tryFlock(path string, how int) (*os.File, bool) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// acquireShared registers one lab process of test t under the shared host
// lock, waiting (bounded) while another binary or another test of this
// binary holds HostLock. The release is registered in t.Cleanup, so it runs
// after the process's own stop (cleanups run last-in first-out).
// Shared holds the host lock shared until t ends, like a lab process: for
// tests that start processes outside the lab (Wine programs), so a test
// holding HostLock never sees them.
func Shared(t testing.TB) { acquireShared(t) }

func acquireShared(t testing.TB) {
	t.Helper()
	name := t.Name()
	deadline := time.Now().Add(HostLockWait)
	var waiting *os.File // shared "waiting" lock while we wait for the file lock
	defer func() {
		if waiting != nil {
			waiting.Close()
		}
	}()
	for {
		host.mu.Lock()
		switch {
		case coveredBy(name, host.holder):
			// Covered by this test's own exclusive lock.
			host.mu.Unlock()
			return
		case host.holder == "" && host.shared > 0:
			host.addShared(name)
			host.mu.Unlock()
			t.Cleanup(func() { releaseShared(name) })
			return
		case host.holder == "":
			if waiting == nil {
				waiting, _ = tryFlock(hostWaitPath, syscall.LOCK_SH)
			}
			if intent, ok := tryFlock(hostIntentPath, syscall.LOCK_SH); ok {
				f, ok := tryFlock(hostLockPath, syscall.LOCK_SH)
				intent.Close()
				if ok {
					host.sharedF = f
					host.addShared(name)
					host.mu.Unlock()
					t.Cleanup(func() { releaseShared(name) })
					return
				}
			}
		}
		holder := host.holder
		host.mu.Unlock()
		if time.Now().After(deadline) {
			if holder != "" {
				t.Fatalf("lab: test %s of this binary held the host lock for more than %v", holder, HostLockWait)
			}
			t.Fatalf("lab: another test process held the host lock (%s) for more than %v", hostLockPath, HostLockWait)
		}
		time.Sleep(lockPoll)
	}
}

// addShared counts one more shared user; h.mu must be held.
func (h *hostState) addShared(name string) {
	h.shared++
	h.byTest[name]++
}

func releaseShared(name string) {
	host.mu.Lock()
	defer host.mu.Unlock()
	host.shared--
	host.byTest[name]--
	if host.byTest[name] <= 0 {
		delete(host.byTest, name)
	}
	if host.shared == 0 && host.sharedF != nil {
		host.sharedF.Close() // releases the flock
		host.sharedF = nil
	}
}

// HostLock gives test t exclusive use of the lab on this machine until it
// ends: it waits (at most HostLockWait) until no other test binary and no
// other test of this binary runs lab processes, and blocks new ones until
// t's cleanup. Call it before starting any lab process in t. The lab
// processes t (and its subtests) starts afterwards are allowed.
func HostLock(t testing.TB) {
	t.Helper()
	name := t.Name()
	deadline := time.Now().Add(HostLockWait)
	// Let shared users that already wait go first (bounded).
	waitUntilEvery(hostYield, lockPoll, func() bool {
		f, ok := tryFlock(hostWaitPath, syscall.LOCK_EX)
		if ok {
			f.Close()
		}
		return ok
	})
	var intent *os.File
	defer func() {
		if intent != nil {
			intent.Close()
		}
	}()
	for {
		host.mu.Lock()
		for n := range host.byTest {
			if coveredBy(n, name) {
				host.mu.Unlock()
				t.Fatalf("lab: HostLock must be called before test %s starts lab processes", name)
			}
		}
		if host.holder == "" {
			if intent == nil {
				// Announce the wait: new shared users now queue behind us.
				intent, _ = tryFlock(hostIntentPath, syscall.LOCK_EX)
			}
			if intent != nil && host.shared == 0 {
				if f, ok := tryFlock(hostLockPath, syscall.LOCK_EX); ok {
					host.exclF = f
					host.holder = name
					host.mu.Unlock()
					t.Cleanup(func() {
						host.mu.Lock()
						defer host.mu.Unlock()
						host.exclF.Close()
						host.exclF = nil
						host.holder = ""
					})
					return
				}
			}
		}
		state := fmt.Sprintf("holder in this binary %q, %d lab processes of this binary", host.holder, host.shared)
		host.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("lab: host lock not free after %v (%s; or another test binary holds %s)", HostLockWait, state, hostLockPath)
		}
		time.Sleep(lockPoll)
	}
}
