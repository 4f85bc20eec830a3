package hive

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/source"
)

// Resolve finds p on src, matching each path element case-insensitively
// when the exact name is absent (images copied or mounted on Linux keep
// Windows' mixed case: Windows/System32/config/SOFTWARE vs
// windows/system32/config/software). It returns the inspected-system path.
func Resolve(src *source.Source, p string) (string, bool) {
	if _, err := src.Stat(p); err == nil {
		return p, true
	}
	if src.IsLive() {
		return "", false
	}
	p = strings.ReplaceAll(p, `\`, "/")
	cur := "/"
	for _, el := range strings.Split(strings.Trim(p, "/"), "/") {
		if el == "" {
			continue
		}
		next := path.Join(cur, el)
		if _, err := src.Stat(next); err != nil {
			entries, err := src.ReadDir(cur)
			if err != nil {
				return "", false
			}
			found := false
			for _, e := range entries {
				if strings.EqualFold(e.Name(), el) {
					next, found = path.Join(cur, e.Name()), true
					break
				}
			}
			if !found {
				return "", false
			}
		}
		cur = next
	}
	return cur, true
}

// OpenSource opens the hive file at p (resolved with Resolve) read-only.
// It returns fs.ErrNotExist when there is no such file.
func OpenSource(src *source.Source, p string) (*Hive, error) {
	rp, ok := Resolve(src, p)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	f, err := src.Open(rp)
	if err != nil {
		return nil, err
	}
	return OpenFile(f, rp)
}

// CurrentControlSet resolves Select\Current of a SYSTEM hive to its
// ControlSet00N key name.
func CurrentControlSet(root Key) (string, error) {
	sel, err := root.Subkey("Select")
	if err != nil {
		return "", fmt.Errorf("no Select key: %w", err)
	}
	n, ok := sel.Integer("Current")
	if !ok || n == 0 || n > 999 {
		return "", fmt.Errorf("%s: no usable Current value", sel.Path())
	}
	return fmt.Sprintf("ControlSet%03d", n), nil
}

// SystemHive is where Windows keeps its SYSTEM hive (services, BAM, the
// time zone), as a source path pattern ({systemroot} expanded by the source).
const SystemHive = "{systemroot}/System32/config/SYSTEM"
