package anydesk

import (
	"math/rand"
	"testing"
)

// TestMinuteCacheMatchesParseDateMinute: connection_trace's hand-read
// minutes (with their same-day cache) agree with parseDateMinute, which
// time.Date normalises (a day past the month's end runs on).
func TestMinuteCacheMatchesParseDateMinute(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var c minuteCache
	al := "0123456789012345678901234567890123456789-, :x"
	for i := 0; i < 300000; i++ {
		b := []byte("2024-02-16, 20:29")
		for n := rng.Intn(4); n > 0; n-- {
			b[rng.Intn(len(b))] = al[rng.Intn(len(al))]
		}
		if rng.Intn(2) == 0 {
			c = minuteCache{}
		}
		got, ok := c.parse(b)
		want, wok := parseDateMinute(b)
		if ok != wok || ok && got != want.Unix() {
			t.Fatalf("%q: %d %v, parseDateMinute %v %v", b, got, ok, want, wok)
		}
	}
}
