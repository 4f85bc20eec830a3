// Package portable finds Windows executables that were never installed —
// the tech-support-scam case: AnyDesk.exe run straight from Downloads — and
// describes each one: size, times, SHA-256, PE version resource and
// Authenticode signer subject (pkg/pe). It walks each user's Downloads,
// Desktop, temp folder and AppData (bounded depth, .exe/.msi only, files
// over 200 MB skipped) plus the public and Windows temp folders, and adds the
// image of every running process the process scanner saw. It only collects:
// the matcher decides what a file is (PE metadata and signer first, the file
// name only as a fallback).
package portable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/pe"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Name is the scanner's name.
const Name = "windows-portable"

// Limits.
const (
	MaxDepth    = 3         // directory levels below a walk root
	MaxFileSize = 200 << 20 // larger files are not described
	maxEntries  = 300000    // directory entries visited per scan
	hashBudget  = 4 << 30   // bytes hashed per scan
)

// Scanner finds portable executables.
type Scanner struct{}

// New returns the portable-executable scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return Name }
func (Scanner) Tags() []string { return []string{"live", "offline", "windows"} }

// root is a folder to walk and why.
type root struct{ dir, reason string }

// Roots lists the folders walked on src.
func Roots(src *source.Source) []root {
	var out []root
	for _, u := range src.Users() {
		out = append(out,
			root{joinPath(src, u.Home, "Downloads"), "in " + u.Name + "'s Downloads"},
			root{joinPath(src, u.Home, "Desktop"), "on " + u.Name + "'s Desktop"},
			root{joinPath(src, u.Home, "AppData"), "in " + u.Name + "'s AppData"},
			// Wine and some old profiles keep temp outside AppData.
			root{joinPath(src, u.Home, "Temp"), "in " + u.Name + "'s temp folder"},
		)
	}
	for _, p := range src.Expand("{systemroot}/Temp") {
		out = append(out, root{native(src, p), "in the Windows temp folder"})
	}
	public := "/Users/Public"
	if src.IsLive() {
		public = joinPath(src, src.Root(), "Users/Public")
	}
	out = append(out,
		root{joinPath(src, public, "Downloads"), "in the public Downloads"},
		root{joinPath(src, public, "Desktop"), "on the public Desktop"},
	)
	if src.IsLive() {
		for _, v := range []string{"TEMP", "TMP"} {
			if d := os.Getenv(v); d != "" {
				out = append(out, root{native(src, d), "in the temp folder (%" + v + "%)"})
			}
		}
	}
	return out
}

// native puts a path in the inspected system's form: host-native when
// live, slash-separated inside an image.
func native(src *source.Source, p string) string {
	if src.IsLive() {
		return filepath.Clean(filepath.FromSlash(p))
	}
	return path.Clean(strings.ReplaceAll(p, `\`, "/"))
}

func joinPath(src *source.Source, dir, name string) string {
	if src.IsLive() {
		return filepath.Join(native(src, dir), filepath.FromSlash(name))
	}
	return path.Join(native(src, dir), name)
}

type walker struct {
	ctx      context.Context
	src      *source.Source
	files    map[string]*inventory.File
	order    []string
	errs     []string
	entries  int
	hashed   int64
	unread   int
	overflow bool
}

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	src := env.Source
	if src.OS() != "windows" {
		return scanner.Skipped(Name, "not a Windows system")
	}
	w := &walker{ctx: ctx, src: src, files: map[string]*inventory.File{}}
	seenRoot := map[string]bool{}
	for _, r := range Roots(src) {
		dir, ok := hive.Resolve(src, r.dir)
		if ok && src.IsLive() {
			dir = native(src, dir)
		}
		if !ok || seenRoot[strings.ToLower(dir)] {
			continue
		}
		seenRoot[strings.ToLower(dir)] = true
		w.walk(dir, 0, r.reason)
	}
	if env.Prior != nil {
		for _, p := range env.Prior.Processes {
			if p.Exe == "" {
				continue
			}
			w.add(p.Exe, fmt.Sprintf("image of running process %s (pid %d)", p.Name, p.PID))
		}
	}
	return w.result()
}

func (w *walker) result() inventory.Inventory {
	st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusOK, Errors: w.errs, Unreadable: w.unread}
	var out []inventory.File
	for _, k := range w.order {
		out = append(out, *w.files[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	st.Items = len(out)
	if len(w.errs) > 0 || w.unread > 0 || w.overflow {
		st.Status = inventory.StatusPartial
		st.Reason = fmt.Sprintf("%d problems, %d files not fully read", len(w.errs), w.unread)
		if w.overflow {
			st.Reason += fmt.Sprintf("; stopped after %d directory entries", maxEntries)
		}
	}
	return inventory.Inventory{Files: out, Statuses: []inventory.ScannerStatus{st}}
}

// Interesting tells whether a file name is one the walk describes.
func Interesting(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".exe" || ext == ".msi"
}

func (w *walker) walk(dir string, depth int, reason string) {
	if w.ctx.Err() != nil || w.overflow {
		return
	}
	entries, err := w.src.ReadDir(dir)
	if err != nil {
		if depth == 0 && isNotExist(err) {
			return
		}
		w.errs = append(w.errs, fmt.Sprintf("%s: %v", dir, err))
		return
	}
	for _, e := range entries {
		w.entries++
		if w.entries > maxEntries {
			w.overflow = true
			return
		}
		p := joinPath(w.src, dir, e.Name())
		switch {
		case e.Type()&(fs.ModeSymlink|fs.ModeIrregular) != 0:
			// Links and junctions are not followed.
		case e.IsDir():
			if depth < MaxDepth {
				w.walk(p, depth+1, reason)
			}
		case e.Type().IsRegular() && Interesting(e.Name()):
			w.add(p, reason)
		}
	}
}

func (w *walker) add(p, reason string) {
	key := strings.ToLower(strings.ReplaceAll(p, `\`, "/"))
	if f, ok := w.files[key]; ok {
		if !strings.Contains(f.Reason, reason) {
			f.Reason += "; " + reason
		}
		return
	}
	budget := hashBudget - w.hashed
	f, read, err := Describe(w.src, p, reason, budget)
	w.hashed += read
	if err != nil {
		if f.Path == "" {
			// Gone or unreadable before stat: note it only for processes.
			w.errs = append(w.errs, fmt.Sprintf("%s: %v", p, err))
			return
		}
		w.errs = append(w.errs, fmt.Sprintf("%s: %v", p, err))
		if f.SHA256 == "" {
			w.unread++
		}
	}
	w.files[key] = &f
	w.order = append(w.order, key)
}

// Describe stats, hashes and (for PE images) parses the file at p of src.
// reason is stored in File.Reason; budget bounds the bytes read for the
// hash (0 or less: no hash). It returns the bytes read. A non-nil error with
// a File that has a Path means the file was seen but not fully read.
func Describe(src *source.Source, p, reason string, budget int64) (inventory.File, int64, error) {
	f := inventory.File{Path: p, Reason: reason}
	fi, err := src.Stat(p)
	if err != nil {
		return inventory.File{}, 0, err
	}
	f.Size = fi.Size()
	mt := fi.ModTime().UTC()
	f.Modified = &mt
	if ct, ok := created(fi); ok {
		f.Created = &ct
	}
	if !fi.Mode().IsRegular() {
		return f, 0, nil
	}
	if f.Size > MaxFileSize {
		return f, 0, fmt.Errorf("%d bytes: larger than %d, not read", f.Size, MaxFileSize)
	}
	fh, err := src.Open(p)
	if err != nil {
		return f, 0, err
	}
	defer fh.Close()
	var read int64
	if f.Size <= budget {
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(fh, MaxFileSize+1))
		read = n
		if err != nil {
			return f, read, fmt.Errorf("reading at offset %d: %w", n, err)
		}
		f.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	info, err := pe.Parse(fh, f.Size)
	if err != nil {
		if strings.EqualFold(path.Ext(p), ".msi") && errors.Is(err, pe.ErrNotPE) {
			return f, read, nil // MSI packages are OLE files, not PE
		}
		return f, read, fmt.Errorf("PE: %w", err)
	}
	f.OriginalFilename = info.OriginalFilename
	f.CompanyName = info.CompanyName
	f.ProductName = info.ProductName
	f.FileVersion = info.FileVersion
	f.Signer = info.Signer
	if len(info.Errors) > 0 {
		return f, read, fmt.Errorf("PE: %s", strings.Join(info.Errors, "; "))
	}
	if f.SHA256 == "" {
		return f, read, fmt.Errorf("not hashed: the scan's %d-byte hashing budget is spent", int64(hashBudget))
	}
	return f, read, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// NeedsPrior: the running processes' images are scanned too.
func (Scanner) NeedsPrior() bool { return true }
