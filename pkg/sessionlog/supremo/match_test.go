package supremo

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

// The hand-written matchers against the regexps they stand for, on random
// text made of the pieces that matter to each.

func TestIDIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	al := []string{"1", "2", "3", "0", "9", " ", "x", "é", "\xff", "/", "  "}
	for i := 0; i < 300000; i++ {
		var b strings.Builder
		for n := rng.Intn(20); n > 0; n-- {
			b.WriteString(al[rng.Intn(len(al))])
		}
		s := b.String()
		want := ""
		if m := idRE.FindStringSubmatch(s); m != nil {
			want = strings.ReplaceAll(m[1], " ", "")
		}
		var txt logkit.Text
		if got := remoteID(s, &txt); got != want {
			t.Fatalf("%q: %q want %q", s, got, want)
		}
	}
}

func TestSessionAndHost(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	al := []string{"session", "SESSION", "ſession", "Session", " ", "  ", "\t", "started", "start", "begin", "opened", "ended", "closed", "x", "_", "é", "1", "from", "host", "name", "hostname", "pc", ":", "=", "\"", "'", ",", "(", "PC-1", "ſ", "K", "hoſt", "HOST", "computer", "COMPUTERNAME", "ſtopped", "STOPPED", "terminated", "ended2", "\u212a", "nAme", "[", "|", ";", "\n", "\r", "\f", "\v"}
	for i := 0; i < 300000; i++ {
		var b strings.Builder
		for n := rng.Intn(8); n > 0; n-- {
			b.WriteString(al[rng.Intn(len(al))])
		}
		s := b.String()
		if sessionWord([]byte(s), startWords) != startRE.MatchString(s) || sessionWord(s, endWords) != endRE.MatchString(s) {
			t.Fatalf("session %q", s)
		}
		want := ""
		if m := hostRE.FindStringSubmatch(s); m != nil {
			want = m[1]
		}
		got := ""
		if a, b, ok := hostMatch(s); ok {
			got = s[a:b]
		}
		if got != want {
			t.Fatalf("host %q: %q want %q", s, got, want)
		}
	}
}

func TestSizeIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	al := []string{"(", ")", " ", "  ", "\t", "size", "SIZE", "ſize", "siZe", ":", "=", "1", "20", "345", "bytes", "BYTES", "byteſ", "byte", "b", "x", "é", "ſ", "K", "s", "e", "\xc5"}
	for i := 0; i < 400000; i++ {
		var b strings.Builder
		for n := rng.Intn(10); n > 0; n-- {
			b.WriteString(al[rng.Intn(len(al))])
		}
		s := b.String()
		var got []int
		if m, ok := sizeIndex(s); ok {
			got = m[:]
		}
		if want := sizeRE.FindStringSubmatchIndex(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %v want %v", s, got, want)
		}
	}
}

func TestScanSize(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for i := 0; i < 300000; i++ {
		n := 1 + rng.Intn(25)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('0' + rng.Intn(10))
			if rng.Intn(3) == 0 {
				b[j] = '0'
			}
		}
		var want int64
		fmt.Sscan(string(b), &want)
		if got := scanSize(string(b)); got != want {
			t.Fatalf("%s: %d want %d", b, got, want)
		}
	}
}
