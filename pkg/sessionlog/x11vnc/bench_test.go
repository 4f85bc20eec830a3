package x11vnc

import (
	"bytes"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// BenchmarkParse parses ~32 MiB made of the two real samples repeated.
func BenchmarkParse(b *testing.B) {
	_, a := readSample(b, sampleNoAuth)
	_, p := readSample(b, samplePasswd)
	unit := append(append([]byte{}, a...), p...)
	var big []byte
	for len(big) < 32<<20 {
		big = append(big, unit...)
	}
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := New().Parse(sessionlog.Input{Path: "big.log", R: bytes.NewReader(big), Location: time.UTC})
		if err != nil || len(res.Sessions) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkLineReaderBaseline is the cost of only reading the same input's
// lines with lineio, for comparison.
func BenchmarkLineReaderBaseline(b *testing.B) {
	_, a := readSample(b, sampleNoAuth)
	_, p := readSample(b, samplePasswd)
	unit := append(append([]byte{}, a...), p...)
	var big []byte
	for len(big) < 32<<20 {
		big = append(big, unit...)
	}
	b.SetBytes(int64(len(big)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := lineio.NewReader(bytes.NewReader(big))
		for r.Next() {
		}
	}
}
