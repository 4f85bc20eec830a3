package encode_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// failing writes part of a report, then fails (a full disk, a bug).
type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Encode(w io.Writer, r *report.Report) error {
	io.WriteString(w, `{"half":`)
	return errors.New("encoder broke")
}

// TestWriteFileAtomic: a failed encoding leaves the previous report as it
// was and no temporary file; a good one replaces it, mode 0640.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := encode.WriteFileAtomic(path, failing{}, &report.Report{}); err == nil || err.Error() != "encoder broke" {
		t.Fatalf("err = %v, want the encoder's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries left in the folder, want only report.json", len(ents))
	}
	if err := encode.WriteFileAtomic(path, encode.JSON{}, &report.Report{SchemaVersion: "x.y"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if len(b) == 0 || b[0] != '{' || !strings.Contains(string(b), `"schema_version": "x.y"`) {
		t.Fatalf("report written: %.200q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries in the folder after writing, want 1", len(ents))
	}
}
