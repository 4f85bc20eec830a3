package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// BenchmarkLiveScan is a full scan of this host, in process (scripts/bench
// measures the binary against ps + ss + dpkg-query).
func BenchmarkLiveScan(b *testing.B) {
	set, err := signature.Builtin(signature.Options{ParserExists: parsers.Exists, SkipExamples: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Options{Command: "scan", Source: source.Live(), Signatures: set, Location: time.UTC}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadSignatures is the start-up cost of the built-in set.
func BenchmarkLoadSignatures(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := signature.LoadFS(signatureFS(), "signatures", signature.Options{ParserExists: parsers.Exists, SkipExamples: true}); err != nil {
			b.Fatal(err)
		}
	}
}
