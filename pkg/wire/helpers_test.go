package wire

import (
	"context"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

// pcapDir finds <repo root>/../shared/pcaps, walking up to the directory
// with go.mod. Without it the test is skipped, except in CI.
func pcapDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(shared.Path(t, "pcaps/SOURCES.md"))
}

var (
	testSigsOnce sync.Once
	testSigs     *signature.Set
	testSigsErr  error
)

// fixtureSignatures is a fixed signature set (testdata/signatures) so the
// tests do not depend on the built-in files being edited elsewhere.
func fixtureSignatures(t testing.TB) *signature.Set {
	t.Helper()
	testSigsOnce.Do(func() {
		testSigs, testSigsErr = signature.LoadPaths([]string{"testdata/signatures"}, signature.Options{})
	})
	if testSigsErr != nil {
		t.Fatal(testSigsErr)
	}
	return testSigs
}

func analyzeFile(t testing.TB, path string, opts Options) (*Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts.Signatures == nil {
		opts.Signatures = fixtureSignatures(t)
	}
	return Analyze(context.Background(), f, path, opts)
}
