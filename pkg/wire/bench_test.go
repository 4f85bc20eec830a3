package wire

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
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
	big := filepath.Join(b.TempDir(), "large.pcap")
	b.Run("large-200MB", func(b *testing.B) { benchLarge(b, big, files, sigs) })
	usePipeline = false
	b.Run("large-200MB-serial", func(b *testing.B) { benchLarge(b, big, files, sigs) })
	usePipeline = true
}

// benchLarge analyses a ≥ 200 MB capture built (once) at big.
func benchLarge(b *testing.B, big string, files []string, sigs *signature.Set) {
	if _, err := os.Stat(big); err != nil {
		f, err := os.Create(big)
		if err != nil {
			b.Fatal(err)
		}
		_, _, err = benchgen.Build(f, files, 200<<20)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(big)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
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
}
