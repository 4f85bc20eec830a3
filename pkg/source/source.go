// Package source abstracts the system being inspected: the live host, or a
// mounted image / triage copy under a directory. Scanners read files only
// through a Source, so one code path serves live, offline and fixtures.
package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// User is an account whose profile may hold tool logs.
type User struct {
	Name string `json:"name"`
	Home string `json:"home"` // path on the inspected system
}

// Source is the inspected system.
type Source struct {
	root string // host path of the inspected system's root ("/" when live)
	os   string // GOOS of the inspected system
	live bool
}

// Live returns the running host.
func Live() *Source { return &Source{root: liveRoot(), os: runtime.GOOS, live: true} }

// Dir returns an offline system mounted or copied under root. os is the
// inspected system's GOOS; "" guesses from the layout.
func Dir(root, osName string) *Source {
	if osName == "" {
		osName = guessOS(root)
	}
	return &Source{root: root, os: osName}
}

func guessOS(root string) string {
	for _, p := range []string{"Windows/System32", "windows/system32", "Users/Default"} {
		if st, err := os.Stat(filepath.Join(root, p)); err == nil && st.IsDir() {
			return "windows"
		}
	}
	for _, p := range []string{"System/Library", "Applications"} {
		if st, err := os.Stat(filepath.Join(root, p)); err == nil && st.IsDir() {
			return "darwin"
		}
	}
	return "linux"
}

// IsLive tells whether processes and sockets can be read.
func (s *Source) IsLive() bool { return s.live }

// OS is the inspected system's GOOS.
func (s *Source) OS() string { return s.os }

// Root is the host path of the inspected system's root.
func (s *Source) Root() string { return s.root }

// Kind is "live" or "directory".
func (s *Source) Kind() string {
	if s.live {
		return "live"
	}
	return "directory"
}

// HostPath maps a path of the inspected system to a path on this host.
func (s *Source) HostPath(p string) string {
	if s.live {
		return p
	}
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' { // drive letter of an image: C:/x -> root/x
		p = p[2:]
	}
	return confine(s.root, p)
}

// Open opens a file read-only without touching its access time where the OS
// allows it (a scan never writes to what it inspects).
func (s *Source) Open(p string) (*os.File, error) { return openNoATime(s.HostPath(p)) }

// Stat stats a file of the inspected system.
func (s *Source) Stat(p string) (fs.FileInfo, error) { return os.Stat(s.HostPath(p)) }

// ReadDir lists a directory of the inspected system.
func (s *Source) ReadDir(p string) ([]fs.DirEntry, error) { return os.ReadDir(s.HostPath(p)) }

// Glob expands a pattern (filepath.Match syntax per element, paths of the
// inspected system) and returns inspected-system paths, sorted.
//
// Offline (and live off Windows) the folders are listed through the
// source's own link resolution; a folder that cannot be listed comes back as
// an *UnlistedError, with the matches found elsewhere.
func (s *Source) Glob(pattern string) ([]string, error) {
	if !s.live || runtime.GOOS != "windows" {
		out, err := globConfined(s.root, strings.ReplaceAll(pattern, `\`, "/"), !s.live && s.os == "windows")
		sort.Strings(out)
		return out, err
	}
	hp := s.HostPath(pattern)
	matches, err := filepath.Glob(hp)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		out = append(out, s.targetPath(m))
	}
	sort.Strings(out)
	return out, nil
}

func (s *Source) targetPath(hostPath string) string {
	if s.live {
		return hostPath
	}
	rel, err := filepath.Rel(s.root, hostPath)
	if err != nil {
		return hostPath
	}
	return "/" + filepath.ToSlash(rel)
}

// OpenHost opens a path of this host read-only, without touching its access
// time where the OS allows it (for readers outside a Source, e.g. hashing a
// running process's executable).
func OpenHost(p string) (*os.File, error) { return openNoATime(p) }

// ErrNotRegular: the path is a FIFO, a device, a socket or a directory, not a
// file whose end a read reaches.
var ErrNotRegular = errors.New("not a regular file (FIFO, device or socket): not read")

// regularOnly returns f if it is a regular file, else closes it.
func regularOnly(f *os.File, p string) (*os.File, error) {
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &os.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
