package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// LockFile is the lock's name in the state directory.
const LockFile = "audit.lock"

// DefaultLockMaxAge: a lock older than this is stale even if its pid is
// alive (a hung audit, or the pid reused by another program).
const DefaultLockMaxAge = 3 * time.Hour

// LockInfo is what the lock file holds.
type LockInfo struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	Hostname  string    `json:"hostname"`
	Command   string    `json:"command,omitempty"`
}

func (h LockInfo) String() string {
	return fmt.Sprintf("pid %d on %s, started %s", h.PID, h.Hostname, h.StartedAt.UTC().Format(time.RFC3339))
}

// Lock is a held audit lock.
type Lock struct {
	Path string
	Info LockInfo
	raw  []byte
}

// LockedError says another audit holds the lock.
type LockedError struct {
	Path   string
	Holder LockInfo
	// Unknown is true when the lock file is being written (or unreadable).
	Unknown bool
}

func (e *LockedError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("another audit holds the lock %s (its content is not written yet); not starting a second one", e.Path)
	}
	return fmt.Sprintf("another audit is running (%s; lock %s); not starting a second one. If that process is gone, the lock is taken over automatically once its pid is dead or it is older than the maximum age", e.Holder, e.Path)
}

// LockOptions tune AcquireLock.
type LockOptions struct {
	MaxAge  time.Duration // 0 = DefaultLockMaxAge
	Command string
	Now     func() time.Time
	// Alive tells whether a pid of this host is a live process started at
	// or before t (default: gopsutil). Tests replace it only to simulate.
	Alive func(pid int, t time.Time) bool
}

// AcquireLock takes the audit lock in dir: a file created with O_EXCL holding
// pid, start time and hostname. When another audit holds it, it returns a
// *LockedError. A stale lock — its pid is not alive on this host, or it is
// older than MaxAge — is taken over; the returned note says so.
func AcquireLock(dir string, o LockOptions) (*Lock, string, error) {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultLockMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Alive == nil {
		o.Alive = pidAlive
	}
	host, _ := os.Hostname()
	path := filepath.Join(dir, LockFile)
	info := LockInfo{PID: os.Getpid(), StartedAt: o.Now().UTC(), Hostname: host, Command: o.Command}
	raw, _ := json.Marshal(info)
	raw = append(raw, '\n')
	note := ""
	for attempt := 0; attempt < 5; attempt++ {
		err := createExcl(path, raw)
		if err == nil {
			return &Lock{Path: path, Info: info, raw: raw}, note, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("audit lock %s: %w", path, err)
		}
		held, heldRaw, err := readLock(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile: try again
		}
		why := ""
		if err != nil {
			// Empty or garbled: the holder may be between create and write.
			st, serr := os.Stat(path)
			if serr != nil {
				continue
			}
			if age := o.Now().Sub(st.ModTime()); age < time.Minute {
				return nil, "", &LockedError{Path: path, Unknown: true}
			}
			why = fmt.Sprintf("its content is unreadable (%v) and it is older than a minute", err)
		} else {
			why = staleReason(held, host, o)
			if why == "" {
				return nil, "", &LockedError{Path: path, Holder: held}
			}
		}
		taken, err := takeOver(path, heldRaw)
		if err != nil {
			return nil, "", fmt.Errorf("audit lock %s: taking over a stale lock: %w", path, err)
		}
		if taken {
			desc := "an unreadable lock"
			if held.PID != 0 {
				desc = "the lock of " + held.String()
			}
			note = fmt.Sprintf("took over %s: %s", desc, why)
		}
	}
	return nil, "", fmt.Errorf("audit lock %s: could not take it after 5 attempts (lock changing hands)", path)
}

func staleReason(h LockInfo, host string, o LockOptions) string {
	age := o.Now().Sub(h.StartedAt)
	if age > o.MaxAge {
		return fmt.Sprintf("it is %s old, more than the maximum %s", age.Round(time.Second), o.MaxAge)
	}
	if age < -o.MaxAge {
		// Dated beyond the maximum age in the future (a clock set wrong, a
		// forged lock): it would block every audit until then.
		return fmt.Sprintf("it is dated %s in the future, more than the maximum age %s", (-age).Round(time.Second), o.MaxAge)
	}
	if h.Hostname == host && h.PID > 0 && !o.Alive(h.PID, h.StartedAt) {
		return fmt.Sprintf("pid %d is no longer running", h.PID)
	}
	return ""
}

// takeOver removes a stale lock, but only if it is still the one judged
// stale. A guard file (created with O_EXCL) serialises takers, so two audits
// that both found the same stale lock cannot both remove a lock: the second
// sees the content changed and re-evaluates.
func takeOver(path string, staleRaw []byte) (bool, error) {
	guard := path + ".takeover"
	if err := createExcl(guard, []byte(fmt.Sprintf("%d\n", os.Getpid()))); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// A taker crashed while holding the guard: clear it when old.
			if st, serr := os.Stat(guard); serr == nil && time.Since(st.ModTime()) > 30*time.Second {
				os.Remove(guard)
			}
			time.Sleep(50 * time.Millisecond)
			return false, nil
		}
		return false, err
	}
	defer os.Remove(guard)
	cur, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if string(cur) != string(staleRaw) {
		return false, nil // someone else took it over
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

func createExcl(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

func readLock(path string) (LockInfo, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LockInfo{}, nil, err
	}
	var h LockInfo
	if err := json.Unmarshal(b, &h); err != nil {
		return LockInfo{}, b, fmt.Errorf("not a lock: %v", err)
	}
	if h.PID <= 0 || h.StartedAt.IsZero() {
		return LockInfo{}, b, fmt.Errorf("not a lock: no pid or start time")
	}
	return h, b, nil
}

// pidAlive: the pid runs and was started no later than the lock (else the
// pid was reused by a later process).
func pidAlive(pid int, lockedAt time.Time) bool {
	ok, err := process.PidExists(int32(pid))
	if err != nil || !ok {
		return err != nil // unsure: treat as alive
	}
	if p, err := process.NewProcess(int32(pid)); err == nil {
		if ms, err := p.CreateTime(); err == nil && ms > 0 {
			if time.UnixMilli(ms).After(lockedAt.Add(2 * time.Second)) {
				return false
			}
		}
	}
	return true
}

// Release removes the lock if it is still ours.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	cur, err := os.ReadFile(l.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if string(cur) != string(l.raw) {
		return fmt.Errorf("audit lock %s was taken over by another audit; left in place", l.Path)
	}
	return os.Remove(l.Path)
}
