// Package dpkg reads Debian's package database (var/lib/dpkg/status and
// status.d/*) directly, live or from an image.
package dpkg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

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

// Parse reads dpkg status stanzas and returns installed packages.
func Parse(r io.Reader, name string) ([]inventory.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out []inventory.Package
	var cur inventory.Package
	status := ""
	line, start := 0, 0
	flush := func() {
		if cur.Name != "" && (status == "" || strings.HasSuffix(status, " installed")) {
			cur.Manager, cur.Source, cur.Line = "dpkg", name, start
			out = append(out, cur)
		}
		cur, status = inventory.Package{}, ""
	}
	for sc.Scan() {
		line++
		l := sc.Text()
		if l == "" {
			flush()
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue // continuation (descriptions, conffiles)
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Name, start = v, line
		case "Status":
			status = v
		case "Version":
			cur.Version = v
		case "Maintainer":
			cur.Publisher = v
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	return out, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
