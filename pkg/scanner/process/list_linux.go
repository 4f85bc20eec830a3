package process

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/inventory"
)

// On Linux the process table is read straight from /proc in one pass — stat,
// cmdline, status and the exe link, as ps does — instead of gopsutil's eight
// or so reads per process: it keeps a full scan as fast as `ps`.

// userHZ is the unit of /proc/PID/stat times (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// pfKthread marks kernel threads in /proc/PID/stat's flags.
const pfKthread = 0x00200000

func list(ctx context.Context) ([]entry, error) {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	boot := bootTime()
	users := map[string]string{}
	out := make([]entry, 0, len(dir))
	var buf []byte
	for _, d := range dir {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		pid, err := strconv.Atoi(d.Name())
		if err != nil || !d.IsDir() {
			continue
		}
		base := "/proc/" + d.Name()
		buf, err = readInto(buf, base+"/stat")
		if err != nil {
			continue // exited mid-scan: nothing to report
		}
		e, kthread, ok := parseStat(buf, pid, boot)
		if !ok || kthread {
			continue
		}
		if b, err := os.ReadFile(base + "/cmdline"); err == nil {
			e.rec.Args = splitArgs(b)
			e.rec.Cmdline = strings.Join(e.rec.Args, " ")
			// comm is cut at 15 bytes: take the full name from argv[0].
			if len(e.rec.Name) == 15 && len(e.rec.Args) > 0 {
				if b := filepath.Base(e.rec.Args[0]); strings.HasPrefix(b, e.rec.Name) {
					e.rec.Name = b
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			e.rec.Errors = append(e.rec.Errors, "cmdline: "+short(err))
		}
		if exe, err := os.Readlink(base + "/exe"); err == nil {
			e.rec.Exe = strings.TrimSuffix(exe, " (deleted)")
		} else if _, serr := os.Stat(base); serr == nil {
			e.exeErr = err
		} else {
			continue // exited mid-scan
		}
		if buf, err = readInto(buf, base+"/status"); err == nil {
			e.rec.User = userName(uidOf(buf), users)
		}
		out = append(out, e)
	}
	return out, nil
}

// parseStat reads name, ppid, flags and start time from /proc/PID/stat:
// "pid (comm) state ppid … flags … starttime …"; comm may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func parseStat(b []byte, pid int, boot time.Time) (entry, bool, bool) {
	l, r := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if l < 0 || r < l {
		return entry{}, false, false
	}
	f := bytes.Fields(b[r+1:])
	if len(f) < 20 {
		return entry{}, false, false
	}
	e := entry{rec: inventory.Process{PID: int32(pid), Name: string(b[l+1 : r])}}
	ppid, _ := strconv.Atoi(string(f[1]))
	e.rec.PPID = int32(ppid)
	flags, _ := strconv.ParseUint(string(f[6]), 10, 64)
	if ticks, err := strconv.ParseUint(string(f[19]), 10, 64); err == nil && !boot.IsZero() {
		t := boot.Add(time.Duration(ticks) * time.Second / userHZ).UTC()
		e.rec.Started = &t
	}
	// A zombie (Z) has exited and only waits to be reaped: it runs nothing,
	// and is no sign the tool runs (xrdp-sesman's session child lingers so).
	// A main thread that exited while other threads run shows Z too: that
	// process still runs (a way to hide from ps-like listings), so it stays.
	zombie := len(f[0]) > 0 && (f[0][0] == 'Z' || f[0][0] == 'X') && !liveThreads(pid)
	return e, flags&pfKthread != 0 || pid == 2 || ppid == 2 || zombie, true
}

// liveThreads: the process has a thread other than its (exited) main one.
func liveThreads(pid int) bool {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	return err == nil && len(ents) > 1
}

func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// uidOf returns the real uid from /proc/PID/status ("Uid:\t0\t0\t0\t0").
func uidOf(status []byte) string {
	i := bytes.Index(status, []byte("\nUid:"))
	if i < 0 {
		return ""
	}
	f := bytes.Fields(status[i+5:])
	if len(f) == 0 {
		return ""
	}
	return string(f[0])
}

// userName looks each uid up once (without cgo a lookup parses /etc/passwd).
func userName(uid string, cache map[string]string) string {
	if uid == "" {
		return ""
	}
	if n, ok := cache[uid]; ok {
		return n
	}
	n := uid
	if u, err := user.LookupId(uid); err == nil {
		n = u.Username
	}
	cache[uid] = n
	return n
}

// bootTime reads btime from /proc/stat.
func bootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	i := bytes.Index(b, []byte("\nbtime "))
	if i < 0 {
		return time.Time{}
	}
	f := bytes.Fields(b[i+7:])
	if len(f) == 0 {
		return time.Time{}
	}
	s, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// readInto reads a small /proc file into buf, reusing its storage.
func readInto(buf []byte, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4096)
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
