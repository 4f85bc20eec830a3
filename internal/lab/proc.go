package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Bounds used by the helpers.
const (
	// StopGrace is how long a process (and its process group) gets to exit
	// after SIGTERM before SIGKILL.
	StopGrace = 5 * time.Second
	// StartTimeout bounds waiting for a server to listen.
	StartTimeout = 15 * time.Second
	// MaxClientLifetime bounds how long a GUI client started by the lab may
	// run; it is stopped after that even if the test forgot to.
	MaxClientLifetime = 90 * time.Second
	pollInterval      = 25 * time.Millisecond
)

// Proc is a process started by the lab, leader of its own process group.
type Proc struct {
	Name    string // short name for messages
	PID     int
	LogPath string // stdout+stderr of the process, if captured

	cmd        *exec.Cmd
	done       chan struct{}
	waitErr    error
	stopSig    syscall.Signal
	grace      time.Duration // SIGTERM → SIGKILL wait; StopGrace if 0
	stopOnce   sync.Once
	stopErr    error
	stopCalled atomic.Bool
}

// startProc starts cmd in a new process group with stdout and stderr
// appended to logPath (when non-empty and cmd has no Stdout/Stderr yet),
// and registers Stop in t.Cleanup.
func startProc(t testing.TB, name string, cmd *exec.Cmd, logPath string) (*Proc, error) {
	t.Helper()
	acquireShared(t) // released in cleanup after the process is stopped
	return startProcUnlocked(t, name, cmd, logPath)
}

// startProcUnlocked is startProc without the shared host lock.
func startProcUnlocked(t testing.TB, name string, cmd *exec.Cmd, logPath string) (*Proc, error) {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// If the test binary dies (e.g. go test -timeout panic), take the child
	// with it instead of leaking a server.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	var logFile *os.File
	if logPath != "" && cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lab: %s: log file: %w", name, err)
		}
		logFile = f
		cmd.Stdout = f
		cmd.Stderr = f
	}
	// cmd.Stdin stays nil (/dev/null): no program can wait for an answer.
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, fmt.Errorf("lab: start %s (%s): %w", name, strings.Join(cmd.Args, " "), err)
	}
	if logFile != nil {
		// The child has its own copy of the descriptor.
		logFile.Close()
	}
	p := &Proc{Name: name, PID: cmd.Process.Pid, LogPath: logPath, cmd: cmd, done: make(chan struct{}), stopSig: syscall.SIGTERM}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.stopCalled.Load() {
			return // the test stopped it and saw the result
		}
		if err := p.Stop(); err != nil {
			t.Logf("lab: %v", err)
		}
	})
	return p, nil
}

// Exited reports whether the process has exited (and was reaped).
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to d for the process to exit. It returns the process's exit
// error (nil for status 0) or a timeout error.
func (p *Proc) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(d):
		return fmt.Errorf("lab: %s (pid %d) still running after %v", p.Name, p.PID, d)
	}
}

// ExitError is the result of the process's Wait, once it has exited.
func (p *Proc) ExitError() error {
	if !p.Exited() {
		return nil
	}
	return p.waitErr
}

// Stop stops the process and every process still in its process group:
// the stop signal (SIGTERM), a bounded wait, then SIGKILL. It is
// idempotent and safe to call from tests and cleanups.
func (p *Proc) Stop() error {
	p.stopCalled.Store(true)
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Proc) stop() error {
	pgid := p.PID // we created this group with Setpgid
	// Descendants that left the group (xrdp-sesman's session processes
	// call setsid) are stopped too, by their pids, noted before the
	// parent goes (after, they are reparented and cannot be told).
	escaped := descendantsOutside(p.PID, pgid)
	defer stopPIDs(escaped)
	groupGone := func() bool { return p.Exited() && len(groupMembers(pgid)) == 0 }
	if groupGone() {
		return nil
	}
	grace := p.grace
	if grace == 0 {
		grace = StopGrace
	}
	signalGroup(pgid, p.stopSig, p.Exited())
	if waitUntil(grace, groupGone) {
		return nil
	}
	left := describe(groupMembers(pgid))
	signalGroup(pgid, syscall.SIGKILL, p.Exited())
	if waitUntil(StopGrace, groupGone) {
		return fmt.Errorf("%s (pid %d) needed SIGKILL: still running %v after %v: %s; log ends:\n%s",
			p.Name, p.PID, grace, p.stopSig, left, tail(p.LogPath, 800))
	}
	return fmt.Errorf("%s (pid %d): process group still has members %v after SIGKILL", p.Name, p.PID, groupMembers(pgid))
}

// signalGroup signals our process group. Once the leader has been reaped,
// the group id stays valid only while members are left, so it then signals
// only if members were seen.
func signalGroup(pgid int, sig syscall.Signal, leaderReaped bool) {
	if leaderReaped && len(groupMembers(pgid)) == 0 {
		return
	}
	_ = syscall.Kill(-pgid, sig)
}

// groupMembers lists live (non-zombie) processes whose process group is pgid.
func groupMembers(pgid int) []int {
	var pids []int
	for _, pid := range allPIDs() {
		st, err := readStat(pid)
		if err != nil || st.state == 'Z' || st.state == 'X' {
			continue
		}
		if st.pgid == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// describe formats pids with comm, state and kernel wait channel, for
// messages about processes that did not stop.
func describe(pids []int) string {
	var parts []string
	for _, pid := range pids {
		st, err := readStat(pid)
		if err != nil {
			parts = append(parts, fmt.Sprintf("%d(gone)", pid))
			continue
		}
		wchan, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "wchan"))
		parts = append(parts, fmt.Sprintf("%d(%s state=%c wchan=%s)", pid, st.comm, st.state, wchan))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// threads lists the kernel wait channel of each thread of pid, to tell a
// hang (futex, read) from a busy process in timeout messages.
func threads(pid int) string {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for i, e := range ents {
		if i == 16 {
			parts = append(parts, "…")
			break
		}
		wchan, _ := os.ReadFile(filepath.Join(dir, e.Name(), "wchan"))
		comm, _ := os.ReadFile(filepath.Join(dir, e.Name(), "comm"))
		parts = append(parts, fmt.Sprintf("%s(%s):%s", e.Name(), strings.TrimSpace(string(comm)), wchan))
	}
	return strings.Join(parts, " ")
}

type procStat struct {
	pid, ppid, pgid int
	state           byte
	comm            string
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	// pid (comm) state ppid pgrp ...; comm may contain spaces and ')'.
	i := bytes.IndexByte(b, '(')
	j := bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return procStat{}, errors.New("bad stat")
	}
	f := strings.Fields(string(b[j+1:]))
	if len(f) < 3 {
		return procStat{}, errors.New("bad stat")
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return procStat{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0], comm: string(b[i+1 : j])}, nil
}

func allPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procUID returns the real uid of pid.
func procUID(pid int) (int, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return -1, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return -1, errors.New("no Uid line")
}

// Descendants returns the live descendants of pid (children, grandchildren…).
func Descendants(pid int) []int {
	children := map[int][]int{}
	for _, p := range allPIDs() {
		st, err := readStat(p)
		if err != nil || st.state == 'Z' {
			continue
		}
		children[st.ppid] = append(children[st.ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 10000 {
		cur := queue[0]
		queue = queue[1:]
		for _, c := range children[cur] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// waitUntil polls cond every pollInterval until it is true or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// tail returns the last n bytes of a file, for error messages.
func tail(path string, n int) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// descendantsOutside lists the live descendants of pid whose process group
// is not pgid.
func descendantsOutside(pid, pgid int) []int {
	var out []int
	for _, d := range Descendants(pid) {
		if st, err := readStat(d); err == nil && st.pgid != pgid {
			out = append(out, d)
		}
	}
	return out
}
