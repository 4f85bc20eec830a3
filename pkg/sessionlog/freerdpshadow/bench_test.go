package freerdpshadow

import (
	"bytes"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// BenchmarkParse parses ~32 MiB made of the real sample repeated.
func BenchmarkParse(b *testing.B) {
	_, unit := readSample(b, sampleLog)
	var big []byte
	for len(big) < 32<<20 {
		big = append(big, unit...)
	}
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := New().Parse(sessionlog.Input{Path: "big.log", R: bytes.NewReader(big), Location: time.UTC, Modified: sampleMod})
		if err != nil || len(res.Sessions) == 0 {
			b.Fatal(err)
		}
	}
}
