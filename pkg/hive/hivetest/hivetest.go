// Package hivetest builds real binary registry hives for tests: it takes a
// real Windows hive (the NTUSER.DAT that regparser's module ships in its
// testdata, Apache-2.0) and adds keys with hivexsh (libhivex-bin), an
// independent regf writer. Wine cannot do this: its RegSaveKey writes Wine's
// text format, not regf.
package hivetest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/hive"
)

// Key is a key to create (with its parents) and the values to set on it.
// Values are hivexsh setval pairs: name, then "type:data" with type one of
// string, expandstring, dword (0x…), qword, hex:<type>:<bytes,…>, none.
type Key struct {
	Path   string
	Values [][2]string
}

var (
	baseOnce sync.Once
	basePath string
	baseErr  error
)

// BasePath returns the real NTUSER.DAT shipped in regparser's module.
func BasePath(t testing.TB) string {
	t.Helper()
	baseOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "www.velocidex.com/golang/regparser").Output()
		if err != nil {
			baseErr = fmt.Errorf("go list regparser: %v", err)
			return
		}
		basePath = filepath.Join(strings.TrimSpace(string(out)), "testdata", "NTUSER.DAT")
		if _, err := os.Stat(basePath); err != nil {
			baseErr = err
		}
	})
	if baseErr != nil {
		t.Fatalf("base hive: %v", baseErr)
	}
	return basePath
}

// Build writes a hive to out: the real base hive plus keys.
func Build(t testing.TB, out string, keys ...Key) {
	t.Helper()
	wine.NeedTools(t, "hivexsh")
	base, err := os.ReadFile(BasePath(t))
	if err != nil {
		t.Fatal(err)
	}
	work := out + ".work"
	if err := os.WriteFile(work, base, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(work)
	h, err := hive.Open(bytes.NewReader(base), int64(len(base)), "base")
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{}
	exists := func(p string) bool {
		if created[strings.ToLower(p)] {
			return true
		}
		_, err := h.Open(p)
		return err == nil
	}
	var sc strings.Builder
	for _, k := range keys {
		sc.WriteString("cd \\\n")
		var cur []string
		for _, comp := range strings.Split(strings.Trim(k.Path, `\`), `\`) {
			cur = append(cur, comp)
			p := strings.Join(cur, `\`)
			if !exists(p) {
				fmt.Fprintf(&sc, "add %s\n", comp)
				created[strings.ToLower(p)] = true
			}
			fmt.Fprintf(&sc, "cd %s\n", comp)
		}
		if len(k.Values) > 0 {
			fmt.Fprintf(&sc, "setval %d\n", len(k.Values))
			for _, v := range k.Values {
				fmt.Fprintf(&sc, "%s\n%s\n", v[0], v[1])
			}
		}
	}
	fmt.Fprintf(&sc, "commit %s\n", out)
	cmd := exec.Command("hivexsh", "-w", work)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(out)) // hivexsh keeps a history file in $HOME
	cmd.Stdin = strings.NewReader(sc.String())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hivexsh: %v\n%s\nscript:\n%s", err, b, sc.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("hivexsh wrote no hive: %v", errors.Join(err))
	}
}
