// Package paths looks for each signature's install, portable and config
// paths on the inspected system (live or image).
package paths

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// Scanner globs signature paths.
type Scanner struct{}

// New returns the signature-path scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return "signature-paths" }
func (Scanner) Tags() []string { return []string{"live", "offline", "any"} }

// maxHash bounds hashing of found files.
const maxHash = 256 << 20

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "signature-paths", Status: inventory.StatusOK}
	os := env.Source.OS()
	seen := map[string]bool{}
	var out []inventory.File
	for _, sig := range env.Signatures.Signatures {
		for _, kind := range []struct {
			name string
			list signature.PerOS
		}{{"install", sig.Paths.Install}, {"portable", sig.Paths.Portable}, {"config", sig.Paths.Config}} {
			for _, pat := range kind.list.For(os) {
				for _, p := range env.Source.Expand(pat) {
					matches, err := env.Source.Glob(p)
					if err != nil {
						st.Errors = append(st.Errors, fmt.Sprintf("%s: bad pattern %q: %v", sig.File, pat, err))
						continue
					}
					for _, m := range matches {
						if seen[sig.ID+"\x00"+m] {
							continue
						}
						seen[sig.ID+"\x00"+m] = true
						// Installed binaries are vouched for by the package
						// database and hashed by the process scanner when they
						// run; portable copies and config files are hashed here.
						f, ok := describe(env, m, kind.name != "install")
						if !ok {
							st.Unreadable++
						}
						f.Tool, f.Rule, f.Reason = sig.ID, "paths."+kind.name+"."+os, "matches "+pat
						out = append(out, f)
					}
				}
			}
		}
	}
	st.Items = len(out)
	if st.Unreadable > 0 {
		st.Status = inventory.StatusPartial
		st.Reason = fmt.Sprintf("%d files found but not readable", st.Unreadable)
	}
	return inventory.Inventory{Files: out, Statuses: []inventory.ScannerStatus{st}}
}

func describe(env *scanner.Env, p string, hash bool) (inventory.File, bool) {
	f := inventory.File{Path: p}
	fi, err := env.Source.Stat(p)
	if err != nil {
		return f, false
	}
	f.Size = fi.Size()
	mt := fi.ModTime().UTC()
	f.Modified = &mt
	if !fi.Mode().IsRegular() || !hash {
		return f, true
	}
	fh, err := env.Source.Open(p)
	if err != nil {
		return f, false
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(fh, maxHash)); err == nil && f.Size <= maxHash {
		f.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return f, true
}
