//go:build !linux

package process

import (
	"context"
	"slices"
	"strings"
	"time"

	ps "github.com/shirou/gopsutil/v4/process"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/winproc"
)

// list reads the process table through gopsutil (Windows, macOS…).
func list(ctx context.Context) ([]entry, error) {
	procs, err := ps.ProcessesWithContext(ctx)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, p := range procs {
		name, err := p.NameWithContext(ctx)
		if err != nil {
			if gone(p.Pid) {
				continue // exited mid-scan: nothing to report
			}
			name = "?"
		}
		if st, err := p.StatusWithContext(ctx); err == nil && slices.Contains(st, ps.Zombie) {
			continue // exited, waiting to be reaped: runs nothing
		}
		e := entry{rec: inventory.Process{PID: p.Pid, Name: name}}
		e.rec.PPID, _ = p.PpidWithContext(ctx)
		if args, err := p.CmdlineSliceWithContext(ctx); err == nil {
			e.rec.Args = args
			e.rec.Cmdline = strings.Join(args, " ")
		} else if !gone(p.Pid) {
			e.rec.Errors = append(e.rec.Errors, "cmdline: "+short(err))
		}
		if exe, err := p.ExeWithContext(ctx); err == nil {
			e.rec.Exe = exe
		} else if !gone(p.Pid) {
			e.exeErr = err
		}
		e.rec.User, _ = p.UsernameWithContext(ctx)
		// Windows terminal session: 0 is services, an interactive or RDP
		// session has its own number.
		if sid, err := winproc.SessionID(uint32(p.Pid)); err == nil {
			e.rec.SessionID = &sid
		}
		if ms, err := p.CreateTimeWithContext(ctx); err == nil && ms > 0 {
			t := time.UnixMilli(ms).UTC()
			e.rec.Started = &t
		}
		out = append(out, e)
	}
	return out, nil
}

func gone(pid int32) bool {
	ok, err := ps.PidExists(pid)
	return err == nil && !ok
}
