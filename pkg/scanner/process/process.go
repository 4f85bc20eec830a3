// Package process lists running processes (gopsutil), with the executable's
// sha256 for processes that a signature could match.
package process

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime"
	"strings"
	"time"

	ps "github.com/shirou/gopsutil/v4/process"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/winproc"
)

// Scanner is the process scanner.
type Scanner struct{}

// New returns the process scanner.
func New() scanner.Scanner {
	// Process start times are relative to boot; read the boot time once, not
	// once per process.
	ps.EnableBootTimeCache(true)
	return Scanner{}
}

func (Scanner) Name() string   { return "processes" }
func (Scanner) Tags() []string { return []string{"live", "any"} }

// maxHash bounds hashing so a huge binary cannot stall the scan.
const maxHash = 512 << 20

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "processes", Status: inventory.StatusOK}
	procs, err := ps.ProcessesWithContext(ctx)
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	self := int32(os.Getpid())
	hashes := map[string]string{}
	users := map[uint32]string{}
	var out []inventory.Process
	unreadable := map[string]int{}
	for _, p := range procs {
		if p.Pid == self {
			continue
		}
		name, err := p.NameWithContext(ctx)
		if err != nil {
			if gone(p.Pid) {
				continue // exited mid-scan: nothing to report
			}
			unreadable["name"]++
			name = "?"
		}
		rec := inventory.Process{PID: p.Pid, Name: name}
		rec.PPID, _ = p.PpidWithContext(ctx)
		if kernelThread(rec.PID, rec.PPID) {
			continue
		}
		if args, err := p.CmdlineSliceWithContext(ctx); err == nil {
			rec.Args = args
			rec.Cmdline = strings.Join(args, " ")
		} else if !gone(p.Pid) {
			rec.Errors = append(rec.Errors, "cmdline: "+short(err))
		}
		if exe, err := p.ExeWithContext(ctx); err == nil {
			rec.Exe = exe
		} else if !gone(p.Pid) {
			rec.Errors = append(rec.Errors, "exe: "+short(err))
			unreadable["exe"]++
			if len(st.Errors) < 10 {
				st.Errors = append(st.Errors, fmt.Sprintf("pid %d (%s): executable: %s", p.Pid, name, short(err)))
			}
		}
		rec.User = userOf(ctx, p, users)
		// Windows terminal session: 0 is services, an interactive or RDP
		// session has its own number.
		if sid, err := winproc.SessionID(uint32(p.Pid)); err == nil {
			rec.SessionID = &sid
		}
		if ms, err := p.CreateTimeWithContext(ctx); err == nil && ms > 0 {
			t := time.UnixMilli(ms).UTC()
			rec.Started = &t
		}
		if rec.Exe != "" && interesting(env, rec) {
			rec.SHA256 = hashExe(rec, hashes)
		}
		out = append(out, rec)
	}
	st.Items = len(out)
	if n := unreadable["exe"] + unreadable["name"]; n > 0 {
		st.Unreadable = n
		st.Status = inventory.StatusPartial
		st.Reason = fmt.Sprintf("the executable of %d process(es) could not be read (names and command lines were)", unreadable["exe"])
		if runtime.GOOS != "windows" && os.Geteuid() != 0 {
			st.Reason += " (not root: other users' processes are only partly visible)"
		}
	}
	return inventory.Inventory{Processes: out, Statuses: []inventory.ScannerStatus{st}}
}

// interesting reports whether any signature matches the process, so only
// those executables are hashed.
func interesting(env *scanner.Env, p inventory.Process) bool {
	if env.Signatures == nil {
		return false
	}
	for _, s := range env.Signatures.Signatures {
		if len(s.MatchProcess(env.Source.OS(), p.Name, p.Exe, p.Cmdline).Hits) > 0 {
			return true
		}
	}
	return false
}

func hashExe(p inventory.Process, cache map[string]string) string {
	if h, ok := cache[p.Exe]; ok {
		return h
	}
	// /proc/PID/exe still reads a binary that was replaced or deleted on disk.
	path := p.Exe
	if runtime.GOOS == "linux" {
		path = fmt.Sprintf("/proc/%d/exe", p.PID)
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxHash)); err != nil {
		return ""
	}
	sum := hex.EncodeToString(h.Sum(nil))
	cache[p.Exe] = sum
	return sum
}

// userOf names a process's owner, looking each uid up once: without cgo a
// lookup parses /etc/passwd, too slow to repeat for every process.
func userOf(ctx context.Context, p *ps.Process, cache map[uint32]string) string {
	if runtime.GOOS != "linux" {
		u, _ := p.UsernameWithContext(ctx)
		return u
	}
	uids, err := p.UidsWithContext(ctx)
	if err != nil || len(uids) == 0 {
		return ""
	}
	uid := uids[0]
	if n, ok := cache[uid]; ok {
		return n
	}
	n := fmt.Sprint(uid)
	if u, err := user.LookupId(n); err == nil {
		n = u.Username
	}
	cache[uid] = n
	return n
}

func gone(pid int32) bool {
	ok, err := ps.PidExists(pid)
	return err == nil && !ok
}

// kernelThread: on Linux, kthreadd (pid 2) and its children have no
// executable and are not programs a remote-access tool could be.
func kernelThread(pid, ppid int32) bool {
	return runtime.GOOS == "linux" && (pid == 2 || ppid == 2)
}

func short(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
