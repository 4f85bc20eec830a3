// Package winsoftware lists installed Windows software: the Uninstall keys of
// HKLM (64-bit view and WOW6432Node) and of every user, and MSIX / Store
// packages. Live on Windows it reads the registry API for HKLM and the loaded
// user hives (HKEY_USERS\<SID>) and the NTUSER.DAT of users who are not
// logged in offline; on a directory source (a mounted Windows image) it reads
// the SOFTWARE hive, each profile's NTUSER.DAT and UsrClass.dat offline. A
// hive is never loaded into the registry (no `reg load`) and never written.
package winsoftware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Name is the scanner's name.
const Name = "windows-software"

// Registry paths, relative to their hive.
const (
	UninstallPath      = `Microsoft\Windows\CurrentVersion\Uninstall`
	UninstallWOW64Path = `WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
	UserUninstallPath  = `Software\Microsoft\Windows\CurrentVersion\Uninstall`
	// AppModelPath is below the user's Classes root (UsrClass.dat,
	// HKEY_USERS\<SID>_Classes).
	AppModelPath    = `Local Settings\Software\Microsoft\Windows\CurrentVersion\AppModel\Repository\Packages`
	ProfileListPath = `Microsoft\Windows NT\CurrentVersion\ProfileList`
)

// Scanner is the Windows installed-software scanner.
type Scanner struct{}

// New returns the Windows installed-software scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return Name }
func (Scanner) Tags() []string { return []string{"live", "offline", "windows"} }

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	if env.Source.OS() != "windows" {
		return scanner.Skipped(Name, "not a Windows system")
	}
	var c collector
	if env.Source.IsLive() {
		if !scanLive(ctx, env, &c) {
			return scanner.Skipped(Name, "the live Windows registry can only be read on Windows")
		}
	} else {
		scanOffline(ctx, env.Source, &c)
	}
	c.windowsApps(env.Source)
	return c.result()
}

// collector accumulates packages and problems.
type collector struct {
	pkgs     []inventory.Package
	errs     []string
	read     int // hives / views read
	failed   int // main sources that could not be read
	seenMSIX map[string]bool
}

func (c *collector) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *collector) result() inventory.Inventory {
	st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusOK, Items: len(c.pkgs), Errors: c.errs}
	switch {
	case c.read == 0:
		st.Status, st.Reason = inventory.StatusFailed, "no installed-software record could be read"
	case len(c.errs) > 0:
		st.Status, st.Reason = inventory.StatusPartial, fmt.Sprintf("%d problems while reading", len(c.errs))
	}
	st.Unreadable = c.failed
	sort.SliceStable(c.pkgs, func(i, j int) bool { return c.pkgs[i].Source < c.pkgs[j].Source })
	return inventory.Inventory{Packages: c.pkgs, Statuses: []inventory.ScannerStatus{st}}
}

// Uninstall reads every subkey of an Uninstall key.
func Uninstall(k hive.Key) ([]inventory.Package, []string) {
	names, err := k.SubkeyNames()
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", k.Path(), err)}
	}
	var out []inventory.Package
	var errs []string
	for _, n := range names {
		sk, err := k.Subkey(n)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s\\%s: %v", k.Path(), n, err))
			continue
		}
		if p, ok := UninstallEntry(sk); ok {
			out = append(out, p)
		}
		sk.Close()
	}
	return out, errs
}

// UninstallEntry turns one Uninstall subkey into a package. Entries without
// DisplayName (patches, components) are not software a user sees and are
// skipped, as Programs and Features does.
func UninstallEntry(k hive.Key) (inventory.Package, bool) {
	name, _ := k.String("DisplayName")
	name = strings.TrimSpace(name)
	if name == "" {
		return inventory.Package{}, false
	}
	p := inventory.Package{Manager: "windows-uninstall", Name: name, Source: k.Path()}
	p.Version, _ = k.String("DisplayVersion")
	p.Publisher, _ = k.String("Publisher")
	p.Location, _ = k.String("InstallLocation")
	p.Version = strings.TrimSpace(p.Version)
	p.Publisher = strings.TrimSpace(p.Publisher)
	p.Location = strings.Trim(strings.TrimSpace(p.Location), `"`)
	if d, ok := k.String("InstallDate"); ok {
		if t, ok := ParseInstallDate(d); ok {
			p.InstallDate = &t
		}
	}
	return p, true
}

// ParseInstallDate reads an Uninstall InstallDate: YYYYMMDD as Windows
// Installer writes it, and a few forms seen from other installers.
func ParseInstallDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"20060102", "2006-01-02", "2006/01/02", "1/2/2006", "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1990 && t.Year() <= 2200 {
			return t, true
		}
	}
	return time.Time{}, false
}

// AppModelPackages reads a user's AppModel\Repository\Packages key: one
// subkey per MSIX package full name.
func AppModelPackages(k hive.Key) ([]inventory.Package, []string) {
	names, err := k.SubkeyNames()
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", k.Path(), err)}
	}
	var out []inventory.Package
	for _, n := range names {
		p, ok := MSIXPackage(n)
		if !ok {
			continue
		}
		p.Source = k.Path() + `\` + n
		if sk, err := k.Subkey(n); err == nil {
			if root, ok := sk.String("PackageRootFolder"); ok {
				p.Location = root
			}
			sk.Close()
		}
		out = append(out, p)
	}
	return out, nil
}

// MSIXPackage parses a package full name
// (Name_Version_Architecture_ResourceId_PublisherId) into a package whose
// Name is the package family name (Name_PublisherId), as signatures list.
func MSIXPackage(fullName string) (inventory.Package, bool) {
	parts := strings.Split(fullName, "_")
	if len(parts) != 5 || parts[0] == "" || parts[4] == "" {
		return inventory.Package{}, false
	}
	return inventory.Package{
		Manager: "msix",
		Name:    parts[0] + "_" + parts[4],
		Version: parts[1],
	}, true
}

func (c *collector) addMSIX(ps []inventory.Package) {
	if c.seenMSIX == nil {
		c.seenMSIX = map[string]bool{}
	}
	for _, p := range ps {
		key := p.Name + "\x00" + p.Version
		if c.seenMSIX[key] {
			continue
		}
		c.seenMSIX[key] = true
		c.pkgs = append(c.pkgs, p)
	}
}

// windowsApps lists Program Files\WindowsApps (machine-wide MSIX store).
// Listing it live needs administrator rights; a refusal is recorded.
func (c *collector) windowsApps(src *source.Source) {
	dirs := src.Expand("{programfiles}/WindowsApps")
	for _, d := range dirs {
		rd, ok := hive.Resolve(src, d)
		if !ok {
			continue
		}
		entries, err := src.ReadDir(rd)
		if err != nil {
			c.errorf("%s: %v", rd, err)
			continue
		}
		var ps []inventory.Package
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if p, ok := MSIXPackage(e.Name()); ok {
				p.Source = path.Join(rd, e.Name())
				p.Location = p.Source
				ps = append(ps, p)
			}
		}
		c.addMSIX(ps)
	}
}

// readUninstall reads one Uninstall key into c.
func (c *collector) readUninstall(k hive.Key) {
	ps, errs := Uninstall(k)
	c.pkgs = append(c.pkgs, ps...)
	c.errs = append(c.errs, errs...)
	c.read++
}

// openSub opens a key below k; a missing key is not an error.
func (c *collector) openSub(k hive.Key, p string) hive.Key {
	sk, err := k.Subkey(p)
	if err != nil {
		if !isNotFound(err) {
			c.errorf("%v", err)
		}
		return nil
	}
	return sk
}

func isNotFound(err error) bool { return errors.Is(err, hive.ErrNotFound) }

// scanOffline reads the hives of a mounted Windows image.
func scanOffline(ctx context.Context, src *source.Source, c *collector) {
	const softwareHive = "/Windows/System32/config/SOFTWARE"
	if h, err := hive.OpenSource(src, softwareHive); err != nil {
		c.errorf("%s: %v", softwareHive, err)
		c.failed++
	} else {
		for _, p := range []string{UninstallPath, UninstallWOW64Path} {
			if k := c.openSub(h.Root(), p); k != nil {
				c.readUninstall(k)
			}
		}
		c.read++
		c.errs = append(c.errs, h.Errors()...)
		h.Close()
	}
	for _, u := range src.Users() {
		if ctx.Err() != nil {
			c.errorf("cancelled: %v", ctx.Err())
			return
		}
		c.userHives(src, u.Home)
	}
}

// userHives reads a profile's NTUSER.DAT and UsrClass.dat offline.
func (c *collector) userHives(src *source.Source, home string) {
	join := func(rel string) string {
		if src.IsLive() {
			return strings.TrimRight(home, `\/`) + `\` + strings.ReplaceAll(rel, "/", `\`)
		}
		return strings.TrimRight(strings.ReplaceAll(home, `\`, "/"), "/") + "/" + rel
	}
	nt := join("NTUSER.DAT")
	if h, err := hive.OpenSource(src, nt); err == nil {
		if k := c.openSub(h.Root(), UserUninstallPath); k != nil {
			c.readUninstall(k)
		}
		c.read++
		c.errs = append(c.errs, h.Errors()...)
		h.Close()
	} else if !isNotExist(err) {
		c.errorf("%s: %v", nt, err)
		c.failed++
	}
	uc := join("AppData/Local/Microsoft/Windows/UsrClass.dat")
	if h, err := hive.OpenSource(src, uc); err == nil {
		if k := c.openSub(h.Root(), AppModelPath); k != nil {
			ps, errs := AppModelPackages(k)
			c.addMSIX(ps)
			c.errs = append(c.errs, errs...)
		}
		c.read++
		c.errs = append(c.errs, h.Errors()...)
		h.Close()
	} else if !isNotExist(err) {
		c.errorf("%s: %v", uc, err)
	}
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
