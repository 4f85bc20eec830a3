// Package encode writes a report in one of several formats behind one
// interface: json (the evidence document), table (for people), ndjson (one
// event per line, for log pipelines).
package encode

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// Encoder writes a report.
type Encoder interface {
	Name() string
	Encode(w io.Writer, r *report.Report) error
}

var encoders = map[string]Encoder{}

func register(e Encoder) { encoders[e.Name()] = e }

func init() {
	register(JSON{})
	register(Table{})
	register(NDJSON{})
}

// Get returns an encoder by name.
func Get(name string) (Encoder, error) {
	if e, ok := encoders[name]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("unknown output format %q (one of %s)", name, strings.Join(Names(), ", "))
}

// Register adds an encoder defined elsewhere (e.g. ECS for audits).
func Register(e Encoder) { register(e) }

// Names lists the formats.
func Names() []string {
	var out []string
	for n := range encoders {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// WriteFileAtomic writes the encoded report to path through a temporary file
// in the same folder and a rename, so a reader never sees half a report. The
// encoder writes straight into the temporary file: a report of hundreds of
// thousands of sessions is never held whole in memory (it was: an 850 MB
// report of a 52 MB connections log took 2.5 GB).
func WriteFileAtomic(path string, e Encoder, r *report.Report) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 256<<10)
	if err = e.Encode(w, r); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
