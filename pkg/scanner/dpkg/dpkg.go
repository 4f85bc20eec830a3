// Package dpkg reads Debian's package database (var/lib/dpkg/status and
// status.d/*) directly, live or from an image.
package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
)

// Scanner reads dpkg's status database.
type Scanner struct{}

// New returns the dpkg scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return "dpkg" }
func (Scanner) Tags() []string { return []string{"live", "offline", "linux"} }

const statusFile = "/var/lib/dpkg/status"

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "dpkg", Status: inventory.StatusOK}
	files := []string{statusFile}
	extra, _ := env.Source.Glob("/var/lib/dpkg/status.d/*")
	files = append(files, extra...)
	var pkgs []inventory.Package
	found := false
	for _, f := range files {
		fh, err := env.Source.Open(f)
		if err != nil {
			if f == statusFile && !isNotExist(err) {
				st.Status, st.Reason = inventory.StatusFailed, err.Error()
			}
			continue
		}
		found = true
		ps, perr := Parse(fh, f)
		fh.Close()
		pkgs = append(pkgs, ps...)
		if perr != nil {
			st.Status = inventory.StatusPartial
			st.Errors = append(st.Errors, perr.Error())
		}
	}
	if !found && st.Status == inventory.StatusOK {
		return scanner.Skipped("dpkg", "no dpkg database on this system")
	}
	st.Items = len(pkgs)
	return inventory.Inventory{Packages: pkgs, Statuses: []inventory.ScannerStatus{st}}
}

// Parse reads dpkg status stanzas and returns installed packages. Lines are
// read as bytes and only the kept fields become strings (the status file has
// tens of thousands of lines).
func Parse(r io.Reader, name string) ([]inventory.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	out := make([]inventory.Package, 0, 1024)
	var cur inventory.Package
	installed := true
	line, start := 0, 0
	flush := func() {
		if cur.Name != "" && installed {
			cur.Manager, cur.Source, cur.Line = "dpkg", name, start
			out = append(out, cur)
		}
		cur, installed = inventory.Package{}, true
	}
	for sc.Scan() {
		line++
		l := sc.Bytes()
		if len(l) == 0 {
			flush()
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue // continuation (descriptions, conffiles)
		}
		k, v, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			continue
		}
		switch string(k) { // no allocation: the compiler compares in place
		case "Package":
			cur.Name, start = string(bytes.TrimSpace(v)), line
		case "Status":
			installed = bytes.HasSuffix(bytes.TrimSpace(v), []byte(" installed"))
		case "Version":
			cur.Version = string(bytes.TrimSpace(v))
		case "Maintainer":
			cur.Publisher = string(bytes.TrimSpace(v))
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	return out, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
