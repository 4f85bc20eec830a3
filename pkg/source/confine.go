package source

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds the symbolic links followed for one path (a loop ends).
const maxLinks = 40

// tooManyLinks is the path confine gives (under the root) for a path with
// more than maxLinks links: a name no file system allows in a folder (NUL),
// so every open or stat of it fails, inside the image.
const tooManyLinks = "too many symbolic links\x00"

// confine maps a path of the inspected system to a host path under root,
// resolving symbolic links as the inspected system would: an absolute
// target is taken from the image's root, ".." stops at it. An image's
// /var/log/anydesk.trace that links to /data/x is read from <root>/data/x,
// never from this machine's /data/x. Components that do not exist (or a
// pattern's wildcards) are kept as they are.
func confine(root, p string) string {
	rest := strings.Split(filepath.ToSlash(p), "/")
	var done []string // resolved components below root
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		host := filepath.Join(root, filepath.Join(done...), c)
		fi, err := os.Lstat(host)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		if links >= maxLinks {
			// Left unresolved, the link would be followed by the OS, out
			// of the image: name a place inside it that cannot exist.
			return filepath.Join(root, tooManyLinks)
		}
		target, err := os.Readlink(host)
		if err != nil {
			done = append(done, c)
			continue
		}
		links++
		ts := filepath.ToSlash(target)
		if len(ts) >= 2 && ts[1] == ':' { // C:/x in a Windows image: its root
			ts = "/" + strings.TrimPrefix(ts[2:], "/")
		}
		t := strings.Split(ts, "/")
		if strings.HasPrefix(ts, "/") {
			done = nil // from the image's root
		}
		rest = append(t, rest...)
	}
	return filepath.Join(root, filepath.Join(done...))
}

// globConfined expands pattern (paths of the inspected system, filepath.Match
// syntax per component) by listing folders through confine, so a link in
// the image is followed inside it, never out to this machine.
//
// A folder that exists but cannot be listed (permission, I/O) is returned as
// an error (one per folder, joined) with the matches found elsewhere: what
// it holds is unknown, not absent.
//
// fold matches names case-insensitively (a Windows image: Windows ignores
// case, but a Linux mount of its disk does not — "ATERA Networks" on disk,
// "Atera Networks" in a signature).
func globConfined(root, pattern string, fold bool) ([]string, error) {
	var unlisted []error
	p := filepath.ToSlash(pattern)
	if len(p) >= 2 && p[1] == ':' {
		p = p[2:]
	}
	paths := []string{"/"}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." {
			continue
		}
		var next []string
		for _, d := range paths {
			if !hasMeta(c) {
				if _, err := os.Lstat(confine(root, path.Join(d, c))); !fold || err == nil {
					next = append(next, path.Join(d, c))
					continue
				}
			}
			ents, err := os.ReadDir(confine(root, d))
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
					// Name the highest folder that cannot be listed (a locked
					// profile, not each tool's folder in it).
					top, topErr := d, err
					for p := path.Dir(top); p != top && p != "/"; p = path.Dir(top) {
						_, e := os.ReadDir(confine(root, p))
						if e == nil || errors.Is(e, fs.ErrNotExist) {
							break
						}
						top, topErr = p, e
					}
					if pe, ok := topErr.(*fs.PathError); ok {
						topErr = pe.Err // the path is said once, as the image's
					}
					unlisted = append(unlisted, &UnlistedError{Path: top, Err: topErr})
				}
				continue
			}
			for _, e := range ents {
				var ok bool
				var err error
				switch {
				case !hasMeta(c): // fold: the exact name is not there
					ok = strings.EqualFold(c, e.Name())
				case fold:
					ok, err = path.Match(strings.ToLower(c), strings.ToLower(e.Name()))
				default:
					ok, err = path.Match(c, e.Name())
				}
				if err != nil {
					return nil, err
				}
				if ok {
					next = append(next, path.Join(d, e.Name()))
				}
			}
		}
		paths = next
	}
	out := paths[:0]
	for _, x := range paths {
		if _, err := os.Lstat(confine(root, x)); err == nil {
			out = append(out, x)
		}
	}
	return out, errors.Join(unlisted...)
}

// UnlistedError: a folder of the inspected system exists but could not be
// listed, so files in it may have been missed.
type UnlistedError struct {
	Path string // path of the inspected system
	Err  error
}

func (e *UnlistedError) Error() string { return "cannot list " + e.Path + ": " + e.Err.Error() }
func (e *UnlistedError) Unwrap() error { return e.Err }

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }
