package xrdp

import (
	"bytes"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func bench(b *testing.B, p sessionlog.Parser, file string) {
	_, unit := readSample(b, file)
	var big []byte
	for len(big) < 32<<20 {
		big = append(big, unit...)
	}
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := p.Parse(sessionlog.Input{Path: "big.log", R: bytes.NewReader(big), Location: time.UTC})
		if err != nil || len(res.Sessions) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse: ~32 MiB of the real xrdp.log repeated.
func BenchmarkParse(b *testing.B) { bench(b, New(), sampleXrdp) }

// BenchmarkSesman: ~32 MiB of the real xrdp-sesman.log repeated.
func BenchmarkSesman(b *testing.B) { bench(b, NewSesman(), sampleSesman) }
