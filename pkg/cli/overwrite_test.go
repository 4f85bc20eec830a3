package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// TestRefuseEvidenceLive: a live scan read /var/log-like logs; --file onto
// one of them (or through a link to it) is refused, next to them is not.
func TestRefuseEvidenceLive(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "xrdp.log")
	if err := os.WriteFile(log, []byte("[20261121-10:00:00] [INFO ] starting\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "via-link.log")
	if err := os.Symlink(log, sym); err != nil {
		t.Fatal(err)
	}
	r := &report.Report{Scan: report.ScanInfo{Source: report.SourceInfo{Kind: "live", Root: "/"}}, Logs: []inventory.LogFile{{Path: log}}}
	for _, f := range []string{log, sym} {
		if err := refuseEvidence(f, r); err == nil || !strings.Contains(err.Error(), "the scan read "+log) {
			t.Errorf("--file %s: %v", f, err)
		}
	}
	if err := refuseEvidence(filepath.Join(dir, "report.json"), r); err != nil {
		t.Errorf("--file next to the log: %v", err)
	}
}
