package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// refuseEvidence returns an error when writing the report to file would
// write over what the scan inspected: a file or capture handed over, a file
// inside a folder handed over or inside --root, or a log the scan read. A
// scan never writes to what it inspects (a mistyped --file must not replace
// the evidence with the report).
func refuseEvidence(file string, r *report.Report) error {
	out, err := resolved(file)
	if err != nil {
		return nil // nothing there to compare: it is written where asked
	}
	refuse := func(what string) error {
		return fmt.Errorf("--file %s: refusing to write the report over evidence (%s); write it elsewhere", file, what)
	}
	within := func(in string) bool {
		if sameFile(in, out) {
			return true
		}
		rel, err := filepath.Rel(in, out)
		return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
	}
	for _, in := range r.Scan.Inputs {
		if p, err := resolved(in); err == nil && (p == out || within(p)) {
			return refuse(in + " was handed over")
		}
	}
	image := ""
	if r.Scan.Source.Kind == "directory" {
		image = r.Scan.Source.Root
	}
	if root := image; root != "" {
		if p, err := resolved(root); err == nil && (p == out || within(p)) {
			return refuse("it is inside the image " + root)
		}
	}
	for _, l := range r.Logs {
		p := l.Path
		if image != "" {
			p = filepath.Join(image, p)
		}
		if rp, err := resolved(p); err == nil && (rp == out || sameFile(rp, out)) {
			return refuse("the scan read " + l.Path)
		}
	}
	return nil
}

// resolved is p absolute, with links resolved as far as the path exists (a
// report file not yet written resolves through its folder).
func resolved(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// sameFile: a and b are one file (a hard link counts).
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
