package signature_test

import (
	"bytes"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/signatures"
)

// The generated builtin.json must be exactly what the YAML files give.
func TestBuiltinCacheFresh(t *testing.T) {
	set, err := signature.LoadFS(signatures.FS, "signatures", signature.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := signature.CacheJSON(set)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, signatures.Cache) {
		t.Fatal("signatures/builtin.json is stale: run `go generate ./signatures`")
	}
	fast, err := signature.Builtin(signature.Options{SkipExamples: true})
	if err != nil {
		t.Fatal(err)
	}
	if fast.Version != set.Version || len(fast.Signatures) != len(set.Signatures) {
		t.Fatalf("cache set %s (%d) vs YAML set %s (%d)", fast.Version, len(fast.Signatures), set.Version, len(set.Signatures))
	}
	// Both forms match the same observations.
	for _, s := range set.Signatures {
		c := fast.Get(s.ID)
		for _, ex := range s.Examples.TruePositives {
			hits, err := c.MatchExample(ex)
			if err != nil || len(hits) == 0 {
				t.Errorf("%s: cached signature misses a true positive (%v)", s.ID, err)
			}
		}
	}
}
