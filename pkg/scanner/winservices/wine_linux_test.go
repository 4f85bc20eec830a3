package winservices_test

import (
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
)

// TestUnderWine reads Wine's Services key through the registry API and the
// states from Wine's service control manager.
func TestUnderWine(t *testing.T) {
	p := wine.New(t)
	p.RegImport(t, seedReg)
	p.Stop(t) // services.exe loads the service database when it starts
	exe := wine.BuildTest(t, ".")
	p.RunTests(t, exe, "^TestWine")
}
