// Package rpm lists RPM packages on a live host. RPM's database is SQLite
// (or Berkeley DB on old systems); reading it without cgo would need a
// database engine, so on a live host we ask rpm(8) itself, read-only.
package rpm

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
)

// Scanner queries rpm.
type Scanner struct{}

// New returns the rpm scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return "rpm" }
func (Scanner) Tags() []string { return []string{"live", "offline", "linux"} }

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	if _, err := env.Source.Stat("/var/lib/rpm"); err != nil {
		return scanner.Skipped("rpm", "no rpm database on this system")
	}
	st := inventory.ScannerStatus{Name: "rpm", Status: inventory.StatusOK}
	if !env.Source.IsLive() {
		st.Status, st.Reason = inventory.StatusFailed, "rpm database found in the image but reading it offline is not supported (needs an SQLite/BDB reader); packages unknown"
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	bin, err := exec.LookPath("rpm")
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, "rpm database present but rpm(8) not found; packages unknown"
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\t%{INSTALLTIME}\n").Output()
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, "rpm -qa: "+err.Error()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	var pkgs []inventory.Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 || f[0] == "" {
			continue
		}
		p := inventory.Package{Manager: "rpm", Name: f[0], Version: f[1], Source: "rpm -qa"}
		if len(f) > 2 && f[2] != "(none)" {
			p.Publisher = f[2]
		}
		pkgs = append(pkgs, p)
	}
	st.Items = len(pkgs)
	return inventory.Inventory{Packages: pkgs, Statuses: []inventory.ScannerStatus{st}}
}
