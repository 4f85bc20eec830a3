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
	"runtime"

	ps "github.com/shirou/gopsutil/v4/process"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
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
	entries, err := list(ctx)
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	self := int32(os.Getpid())
	hashes := map[string]string{}
	out := make([]inventory.Process, 0, len(entries))
	unreadable := 0
	for _, e := range entries {
		rec := e.rec
		if rec.PID == self {
			continue
		}
		if e.exeErr != nil {
			rec.Errors = append(rec.Errors, "exe: "+short(e.exeErr))
			unreadable++
			if len(st.Errors) < 10 {
				st.Errors = append(st.Errors, fmt.Sprintf("pid %d (%s): executable: %s", rec.PID, rec.Name, short(e.exeErr)))
			}
		}
		if rec.Exe != "" && interesting(env, rec) {
			rec.SHA256 = hashExe(rec, hashes)
		}
		out = append(out, rec)
	}
	st.Items = len(out)
	if unreadable > 0 {
		st.Unreadable = unreadable
		st.Status = inventory.StatusPartial
		st.Reason = fmt.Sprintf("the executable of %d process(es) could not be read (names and command lines were)", unreadable)
		if runtime.GOOS != "windows" && os.Geteuid() != 0 {
			st.Reason += " (not root: other users' processes are only partly visible)"
		}
	}
	return inventory.Inventory{Processes: out, Statuses: []inventory.ScannerStatus{st}}
}

// entry is one process as listed, with the error that kept its executable
// path unknown, if any.
type entry struct {
	rec    inventory.Process
	exeErr error
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
	f, err := source.OpenHost(path)
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

func short(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
