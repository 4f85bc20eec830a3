package wine

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTools skips the test when one of the named programs is not on PATH —
// unless the CI environment variable is set, where a missing tool is a
// failure (CI installs them: see docs/platforms.md).
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, name := range tools {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %v is not installed", missing)
	}
	t.Skipf("%v not installed (apt-get install wine wine64 gcc-mingw-w64-x86-64-win32 osslsigncode libhivex-bin libplist-utils)", missing)
}
