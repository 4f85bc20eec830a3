package teamviewer

import (
	"math/rand"
	"testing"
	"time"
)

// TestConnTimeMatchesTimeParse: the hand-read row dates (with their
// same-day cache) agree with time.Parse(connLayout) on random near-dates.
func TestConnTimeMatchesTimeParse(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var dc dateCache
	al := "0123456789012345678901234567890123456789- : +.x"
	for i := 0; i < 300000; i++ {
		b := []byte("16-02-2024 14:16:32")
		for n := rng.Intn(4); n > 0; n-- {
			b[rng.Intn(len(b))] = al[rng.Intn(len(al))]
		}
		if rng.Intn(20) == 0 {
			b = append(b, ".5"...)
		}
		if rng.Intn(2) == 0 {
			dc = dateCache{}
		}
		got, ok := dc.parse(b)
		want, err := time.Parse(connLayout, string(b))
		if ok != (err == nil) || ok && (got.Time() != want.UTC()) {
			t.Fatalf("%q: %v %v, time.Parse %v %v", b, got.Time(), ok, want, err)
		}
	}
}
