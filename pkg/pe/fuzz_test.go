package pe_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/pe"
)

// FuzzParse: go test -fuzz FuzzParse ./pkg/pe/ (seeded with a real Wine PE).
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/conhost.exe"); err == nil && len(b) < 1<<20 {
		f.Add(b)
	}
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pe.Parse(bytes.NewReader(data), int64(len(data)))
	})
}
