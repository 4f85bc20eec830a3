package hive_test

import (
	"bytes"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
)

// Random corruption of a real hive: every read ends, without panic, fast.
func TestRandomCorruption(t *testing.T) {
	b, err := os.ReadFile(hivetest.BasePath(t))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	start := time.Now()
	for i := 0; i < 40; i++ {
		c := bytes.Clone(b)
		for j := 0; j < 200; j++ {
			c[0x1000+rng.Intn(len(c)-0x1000)] = byte(rng.Intn(256))
		}
		h, err := hive.Open(bytes.NewReader(c), int64(len(c)), "x")
		if err != nil {
			continue
		}
		walk(h.Root(), 0)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("40 corrupt hives took %s", d)
	}
}

// FuzzOpen: go test -fuzz FuzzOpen ./pkg/hive/
func FuzzOpen(f *testing.F) {
	f.Add([]byte("regf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		slow := time.AfterFunc(5*time.Second, func() { panic("input takes more than 5 s") })
		defer slow.Stop()
		h, err := hive.Open(bytes.NewReader(data), int64(len(data)), "f")
		if err == nil {
			walk(h.Root(), 0)
		}
	})
}
