// Package macapps lists macOS application bundles (Info.plist: bundle id,
// name, version) and launchd jobs (LaunchDaemons / LaunchAgents: label and
// program), live or from a mounted image. Property lists are read with
// howett.net/plist, which accepts the XML, binary and OpenStep forms.
package macapps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"howett.net/plist"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Scanner names.
const (
	BundlesName = "macos-bundles"
	LaunchdName = "macos-launchd"
)

const maxPlist = 4 << 20

// Bundles is the application-bundle scanner.
type Bundles struct{}

// New returns the macOS application-bundle scanner.
func New() scanner.Scanner { return Bundles{} }

func (Bundles) Name() string   { return BundlesName }
func (Bundles) Tags() []string { return []string{"live", "offline", "darwin"} }

// bundleRoot is a folder searched for *.app, and how deep.
type bundleRoot struct {
	dir   string
	depth int
}

func bundleRoots(src *source.Source) []bundleRoot {
	roots := []bundleRoot{{"/Applications", 2}}
	for _, u := range src.Users() {
		h := strings.TrimRight(u.Home, "/")
		// Apps run from Downloads or the Desktop were never installed: the
		// scam case (AnyDesk.app straight out of the .dmg).
		roots = append(roots, bundleRoot{h + "/Applications", 2}, bundleRoot{h + "/Downloads", 2}, bundleRoot{h + "/Desktop", 1})
	}
	return roots
}

func (Bundles) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	src := env.Source
	if src.OS() != "darwin" {
		return scanner.Skipped(BundlesName, "not a macOS system")
	}
	st := inventory.ScannerStatus{Name: BundlesName, Status: inventory.StatusOK}
	var pkgs []inventory.Package
	seen := map[string]bool{}
	var visit func(dir string, depth int)
	visit = func(dir string, depth int) {
		if ctx.Err() != nil {
			return
		}
		entries, err := src.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", dir, err))
			}
			return
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name())
			if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
				continue
			}
			if strings.HasSuffix(strings.ToLower(e.Name()), ".app") {
				if seen[p] {
					continue
				}
				seen[p] = true
				pkg, err := ReadBundle(src, p)
				if err != nil {
					st.Errors = append(st.Errors, err.Error())
					st.Unreadable++
				}
				if pkg.Name != "" {
					pkgs = append(pkgs, pkg)
				}
				continue // nested apps (helpers) are part of the bundle
			}
			if depth > 1 {
				visit(p, depth-1)
			}
		}
	}
	for _, r := range bundleRoots(src) {
		visit(r.dir, r.depth)
	}
	if ctx.Err() != nil {
		st.Errors = append(st.Errors, "cancelled: "+ctx.Err().Error())
	}
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Location < pkgs[j].Location })
	st.Items = len(pkgs)
	if len(st.Errors) > 0 {
		st.Status, st.Reason = inventory.StatusPartial, fmt.Sprintf("%d problems while reading", len(st.Errors))
	}
	return inventory.Inventory{Packages: pkgs, Statuses: []inventory.ScannerStatus{st}}
}

// ReadBundle reads bundle/Contents/Info.plist. On a parse error the package
// still carries the bundle's folder name and location.
func ReadBundle(src *source.Source, bundle string) (inventory.Package, error) {
	base := path.Base(bundle)
	pkg := inventory.Package{
		Manager:  "macos-bundle",
		Name:     strings.TrimSuffix(base, path.Ext(base)),
		Location: bundle,
		Source:   path.Join(bundle, "Contents", "Info.plist"),
	}
	m, err := ReadPlist(src, pkg.Source)
	if err != nil {
		return pkg, err
	}
	pkg.BundleID = str(m, "CFBundleIdentifier")
	if n := first(str(m, "CFBundleDisplayName"), str(m, "CFBundleName")); n != "" {
		pkg.Name = n
	}
	pkg.Version = first(str(m, "CFBundleShortVersionString"), str(m, "CFBundleVersion"))
	return pkg, nil
}

// ReadPlist reads a property list file of any format into a dictionary.
func ReadPlist(src *source.Source, p string) (m map[string]any, err error) {
	f, err := src.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPlist+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	if len(b) > maxPlist {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxPlist)
	}
	return ParsePlist(b, p)
}

// ParsePlist decodes a property list whose top level is a dictionary.
func ParsePlist(b []byte, name string) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: corrupt property list: %v", name, r)
		}
	}()
	if _, err := plist.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %d bytes, %s: %v", name, len(b), describe(b), err)
	}
	return m, nil
}

// describe says which format the data looked like, for error messages.
func describe(b []byte) string {
	head := strings.TrimSpace(string(b[:min(len(b), 64)]))
	switch {
	case strings.HasPrefix(head, "bplist"):
		return "binary plist"
	case strings.HasPrefix(head, "<"):
		return "XML plist"
	}
	return "not a recognised plist"
}

func str(m map[string]any, k string) string {
	if s, ok := m[k].(string); ok {
		return strings.TrimSpace(s)
	}
	return ""
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
