// Package units lists systemd unit files (Linux services), live or offline.
package units

import (
	"context"
	"path"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
)

// Scanner lists systemd units.
type Scanner struct{}

// New returns the systemd unit scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return "systemd-units" }
func (Scanner) Tags() []string { return []string{"live", "offline", "linux"} }

var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system", "/usr/local/lib/systemd/system"}

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "systemd-units", Status: inventory.StatusOK}
	seen := map[string]bool{}
	var out []inventory.Service
	for _, d := range unitDirs {
		entries, err := env.Source.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasSuffix(n, ".service") || seen[n] {
				continue
			}
			seen[n] = true
			out = append(out, inventory.Service{Manager: "systemd", Name: n, Source: path.Join(d, n)})
		}
	}
	st.Items = len(out)
	return inventory.Inventory{Services: out, Statuses: []inventory.ScannerStatus{st}}
}
