// Package shared locates the project's shared research data (samples and
// captures) in ../shared next to the repository. Tests use those files by
// path — several are GPL/LGPL/AGPL and must not be copied into the repo.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns <repository root>/../shared, found by walking up from the
// working directory to go.mod; ok is false when it is absent.
func Dir() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared")
	_, err = os.Stat(d)
	return d, err == nil
}

// File returns the path of rel under the shared folder and whether it exists.
func File(rel string) (string, bool) {
	d, ok := Dir()
	p := filepath.Join(d, filepath.FromSlash(rel))
	if !ok {
		return p, false
	}
	_, err := os.Stat(p)
	return p, err == nil
}

// Path returns the path of rel. A missing file skips the test outside CI and
// fails it in CI (CI must have the shared data).
func Path(t testing.TB, rel string) string {
	t.Helper()
	p, ok := File(rel)
	if !ok {
		if os.Getenv("CI") == "" {
			t.Skipf("shared data not available (%s)", p)
		}
		t.Fatalf("shared data missing in CI: %s", p)
	}
	return p
}

// Read returns the path and contents of rel.
func Read(t testing.TB, rel string) (string, []byte) {
	t.Helper()
	p := Path(t, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}
