package wire

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/wire/internal/benchgen"
)

// BenchmarkAnalyze runs the analyzer on every shared capture and on a
// ≥ 200 MB capture made of them (shifted copies; built once in a temp dir).
// scripts/bench-pcap measures the ≥ 1 GB target against tshark and nDPI.
func BenchmarkAnalyze(b *testing.B) {
	dir := pcapDir(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	sigs := fixtureSignatures(b)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		b.Run(rel, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(context.Background(), bytes.NewReader(data), rel, Options{Signatures: sigs}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("large-200MB", func(b *testing.B) {
		big := filepath.Join(b.TempDir(), "large.pcap")
		f, err := os.Create(big)
		if err != nil {
			b.Fatal(err)
		}
		n, _, err := benchgen.Build(f, files, 200<<20)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
		b.ResetTimer()
		for b.Loop() {
			f, err := os.Open(big)
			if err != nil {
				b.Fatal(err)
			}
			rep, err := Analyze(context.Background(), f, big, Options{Signatures: sigs})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if rep.Tool(ToolTeamViewer) == nil {
				b.Fatal("teamviewer not found in the large capture")
			}
		}
	})
}
