// Package execution collects records that a program ran on Windows:
//
//   - Prefetch ({systemroot}\Prefetch\*.pf): executable name, path, run count
//     and up to eight last run times (www.velocidex.com/golang/go-prefetch).
//   - BAM (Background Activity Moderator, Windows 10 1709+):
//     SYSTEM\…\Services\bam\State\UserSettings\<SID>, one value per program
//     path holding its last execution time, per user.
//   - Amcache (Windows\AppCompat\Programs\Amcache.hve,
//     Root\InventoryApplicationFile): programs Windows inventoried, with path,
//     publisher and the key's write time (presence, not proof of a run).
//
// Live on Windows, BAM is read through the registry API; Prefetch needs
// administrator rights and Amcache.hve is locked by the system while it runs
// (both are then reported, not worked around). On a directory source all
// three are read offline.
package execution

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Name is the scanner's name.
const Name = "windows-execution"

// Scanner collects execution records.
type Scanner struct{}

// New returns the Windows execution-history scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return Name }
func (Scanner) Tags() []string { return []string{"live", "offline", "windows"} }

// Paths on the inspected system.
const (
	PrefetchDir = "{systemroot}/Prefetch"
	AmcacheHive = "{systemroot}/AppCompat/Programs/Amcache.hve"
	SystemHive  = hive.SystemHive
)

type collector struct {
	ex      []inventory.Execution
	errs    []string
	unread  int
	sources int // sources that could be read
	notes   []string
}

func (c *collector) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	src := env.Source
	if src.OS() != "windows" {
		return scanner.Skipped(Name, "not a Windows system")
	}
	var c collector
	c.prefetch(ctx, src)
	if src.IsLive() {
		if !c.bamLive() {
			c.errorf("BAM: the live registry can only be read on Windows")
		}
	} else {
		c.bamOffline(src)
	}
	c.amcache(src)
	st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusOK, Errors: c.errs, Unreadable: c.unread, Notes: c.notes}
	sort.SliceStable(c.ex, func(i, j int) bool { return c.ex[i].Source < c.ex[j].Source })
	st.Items = len(c.ex)
	switch {
	case c.sources == 0 && len(c.errs) > 0:
		st.Status, st.Reason = inventory.StatusFailed, "no execution record could be read"
	case c.sources == 0:
		st.Reason = "no Prefetch, BAM or Amcache records on this system"
	case len(c.errs) > 0 || c.unread > 0:
		st.Status, st.Reason = inventory.StatusPartial, fmt.Sprintf("%d problems while reading", len(c.errs))
	}
	return inventory.Inventory{Executions: c.ex, Statuses: []inventory.ScannerStatus{st}}
}

func first(src *source.Source, pattern string) string {
	ps := src.Expand(pattern)
	if len(ps) == 0 {
		ps = []string{pattern}
	}
	if src.IsLive() {
		return filepath.FromSlash(ps[0]) // host-native on the live system
	}
	return ps[0]
}

func (c *collector) prefetch(ctx context.Context, src *source.Source) {
	want := first(src, PrefetchDir)
	dir, ok := hive.Resolve(src, want)
	if !ok {
		return // Prefetch disabled (servers, SSD tweaks) or absent
	}
	entries, err := src.ReadDir(dir)
	if err != nil {
		c.errorf("%s: %v", dir, err)
		return
	}
	c.sources++
	for _, e := range entries {
		if ctx.Err() != nil {
			c.errorf("cancelled: %v", ctx.Err())
			return
		}
		if !e.Type().IsRegular() || !strings.EqualFold(path.Ext(e.Name()), ".pf") {
			continue
		}
		p := path.Join(dir, e.Name())
		if src.IsLive() {
			p = filepath.Join(dir, e.Name())
		}
		f, err := src.Open(p)
		if err != nil {
			c.errorf("%s: %v", p, err)
			c.unread++
			continue
		}
		ex, err := ParsePrefetch(f, p)
		f.Close()
		if err != nil {
			c.errs = append(c.errs, err.Error())
			c.unread++
			// Its name still says which program ran (Windows names the
			// file <EXE>-<hash of its path>.pf); no run times without the
			// content.
			if name := prefetchExe(e.Name()); name != "" {
				c.ex = append(c.ex, inventory.Execution{Name: name, Source: p + " (file name only: its content could not be read)", Kind: inventory.ExecPrefetch})
			}
			continue
		}
		c.ex = append(c.ex, ex)
	}
}

// BAM reads the UserSettings key of bam (or dam): one subkey per SID, one
// value per program whose first 8 bytes are a FILETIME.
func BAM(k hive.Key) ([]inventory.Execution, []string) {
	sids, err := k.SubkeyNames()
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", k.Path(), err)}
	}
	var out []inventory.Execution
	var errs []string
	for _, sid := range sids {
		sk, err := k.Subkey(sid)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s\\%s: %v", k.Path(), sid, err))
			continue
		}
		names, _ := sk.ValueNames()
		for _, n := range names {
			if n == "" || strings.EqualFold(n, "Version") || strings.EqualFold(n, "SequenceNumber") {
				continue
			}
			b, ok := sk.Binary(n)
			if !ok || len(b) < 8 {
				continue
			}
			t := hive.Filetime(binary.LittleEndian.Uint64(b))
			ex := inventory.Execution{Name: baseName(n), Path: n, Source: sk.Path(), Kind: inventory.ExecBAM}
			if !t.IsZero() {
				ex.Times = []time.Time{t}
			}
			out = append(out, ex)
		}
		sk.Close()
	}
	return out, errs
}

func baseName(p string) string {
	p = strings.ReplaceAll(p, "/", `\`)
	return p[strings.LastIndexByte(p, '\\')+1:]
}

var bamPaths = []string{`Services\bam\State\UserSettings`, `Services\bam\UserSettings`, `Services\dam\State\UserSettings`, `Services\dam\UserSettings`}

func (c *collector) bamOffline(src *source.Source) {
	p := first(src, SystemHive)
	h, err := hive.OpenSource(src, p)
	if err != nil {
		// Every Windows has a SYSTEM hive: an image without one is an
		// incomplete collection, and its BAM records were not read.
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%s: no SYSTEM hive in the image: BAM's execution records not read", p)
		}
		c.errorf("%v", err)
		c.unread++
		return
	}
	defer h.Close()
	c.sources++
	cs, err := hive.CurrentControlSet(h.Root())
	if err != nil {
		cs = "ControlSet001"
	}
	for _, bp := range bamPaths {
		k, err := h.Open(cs + `\` + bp)
		if err != nil {
			continue
		}
		ex, errs := BAM(k)
		c.ex = append(c.ex, ex...)
		c.errs = append(c.errs, errs...)
	}
	c.errs = append(c.errs, h.Errors()...)
}

// Amcache reads Root\InventoryApplicationFile of an Amcache.hve.
func Amcache(root hive.Key) ([]inventory.Execution, []string) {
	k, err := root.Subkey(`Root\InventoryApplicationFile`)
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return nil, nil // pre-Windows 10 layout (Root\File): not read
		}
		return nil, []string{err.Error()}
	}
	names, err := k.SubkeyNames()
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", k.Path(), err)}
	}
	var out []inventory.Execution
	for _, n := range names {
		sk, err := k.Subkey(n)
		if err != nil {
			continue
		}
		p, _ := sk.String("LowerCaseLongPath")
		name, _ := sk.String("Name")
		if name == "" {
			name = baseName(p)
		}
		if name == "" {
			sk.Close()
			continue
		}
		ex := inventory.Execution{Name: name, Path: p, Source: sk.Path(), Kind: inventory.ExecAmcache}
		if t := sk.Modified(); !t.IsZero() {
			ex.Times = append(ex.Times, t)
		}
		out = append(out, ex)
		sk.Close()
	}
	return out, nil
}

func (c *collector) amcache(src *source.Source) {
	p := first(src, AmcacheHive)
	h, err := hive.OpenSource(src, p)
	if err != nil {
		c.amcacheUnread(src.IsLive(), err)
		return
	}
	defer h.Close()
	c.sources++
	ex, errs := Amcache(h.Root())
	c.ex = append(c.ex, ex...)
	c.errs = append(c.errs, errs...)
	c.errs = append(c.errs, h.Errors()...)
}

// amcacheUnread records why Amcache.hve could not be opened. A running
// Windows holds it open for itself: on a live system it is never readable
// here, and its times are not runs (Prefetch and BAM are), so that is a
// note, not an unread source — else every live scan would count one.
func (c *collector) amcacheUnread(live bool, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case live:
		c.notes = append(c.notes, fmt.Sprintf("%v: a running Windows locks Amcache.hve; read it from a copy or an image", err))
	default:
		c.errorf("%v", err)
		c.unread++
	}
}

// prefetchExe is the executable a Prefetch file is named after
// ("TEAMVIEWER.EXE-1A2B3C4D.pf" → "TEAMVIEWER.EXE"), or "".
func prefetchExe(file string) string {
	base := strings.TrimSuffix(file, path.Ext(file))
	i := strings.LastIndexByte(base, '-')
	if i <= 0 || len(base)-i-1 != 8 {
		return ""
	}
	for _, c := range base[i+1:] {
		if !strings.ContainsRune("0123456789ABCDEFabcdef", c) {
			return ""
		}
	}
	return base[:i]
}
