package execution_test

import (
	"os"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
)

// TestUnderWine: the real prefetch sample in C:\windows\Prefetch, a BAM
// value in Wine's registry, and an Amcache.hve (hivex-built regf) read by
// the live scanner inside Wine.
func TestUnderWine(t *testing.T) {
	p := wine.New(t)
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	p.WriteFile(t, `C:\windows\Prefetch\CMD.EXE-4A81B364.pf`, raw)
	p.RegImport(t, seedReg)
	am := p.HostPath(`C:\windows\AppCompat\Programs\Amcache.hve`)
	if err := os.MkdirAll(am[:len(am)-len("/Amcache.hve")], 0o755); err != nil {
		t.Fatal(err)
	}
	amcacheHive(t, am)
	p.RunTests(t, wine.BuildTest(t, "."), "^TestWine")
}
