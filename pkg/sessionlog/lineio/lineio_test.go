package lineio

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
)

func utf16le(s string, bom bool) []byte { return logtest.UTF16LE(s, bom) }

type line struct {
	n   int
	off int64
	s   string
}

func readAll(t *testing.T, data []byte) ([]line, string) {
	t.Helper()
	r := NewReader(strings.NewReader(string(data)))
	var out []line
	for r.Next() {
		out = append(out, line{r.N(), r.Offset(), r.Text()})
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out, r.Encoding()
}

func TestEncodings(t *testing.T) {
	want := []string{"2023-10-05 12:00:00 User 123 456 ü", "second line", "last without newline"}
	text := strings.Join(want, "\r\n")
	cases := map[string]struct {
		data []byte
		enc  string
		offs []int64
	}{
		"utf8 crlf":     {[]byte(text), UTF8, []int64{0, 37, 50}},
		"utf8 bom":      {append([]byte{0xEF, 0xBB, 0xBF}, text...), UTF8, []int64{3, 40, 53}},
		"utf16le bom":   {utf16le(text, true), UTF16LE, []int64{2, 74, 100}},
		"utf16le plain": {utf16le(text, false), UTF16LE, []int64{0, 72, 98}},
	}
	for name, c := range cases {
		got, enc := readAll(t, c.data)
		if enc != c.enc {
			t.Errorf("%s: encoding %s, want %s", name, enc, c.enc)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d lines, want %d: %+v", name, len(got), len(want), got)
		}
		for i := range want {
			if got[i].s != want[i] || got[i].n != i+1 || got[i].off != c.offs[i] {
				t.Errorf("%s line %d: got %+v, want %q at offset %d", name, i+1, got[i], want[i], c.offs[i])
			}
		}
	}
}

func TestNULPadding(t *testing.T) {
	data := []byte("first\n" + strings.Repeat("\x00", 300) + "after padding\n\x00\x00tail")
	got, enc := readAll(t, data)
	if enc != UTF8 {
		t.Fatalf("encoding %s", enc)
	}
	if len(got) != 3 || got[1].s != "after padding" || got[2].s != "tail" || got[1].off != 6 {
		t.Fatalf("got %+v", got)
	}
}

func TestLongLineTruncated(t *testing.T) {
	data := strings.Repeat("x", MaxLine+10) + "\nnext\n"
	r := NewReader(strings.NewReader(data))
	if !r.Next() || !r.Truncated() || len(r.Bytes()) != MaxLine {
		t.Fatalf("first line: truncated=%v len=%d", r.Truncated(), len(r.Bytes()))
	}
	if !r.Next() || r.Text() != "next" || r.Offset() != int64(MaxLine+11) {
		t.Fatalf("second line %q at %d", r.Text(), r.Offset())
	}
}

func TestBinary(t *testing.T) {
	bin := make([]byte, 2048)
	for i := range bin {
		bin[i] = byte(i*7 + 3)
	}
	r := NewReader(strings.NewReader(string(bin)))
	if err := r.Check(); !errors.Is(err, ErrBinary) {
		t.Fatalf("binary not detected: %v", err)
	}
	r = NewReader(strings.NewReader("21/11/2026 11:13:20 Got connection from client 127.0.0.1\n"))
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
}

// A 0x0A byte that is the high byte of a code unit (U+0A41) or the low byte
// of one (U+010A) is not a line end.
func TestUTF16EmbeddedNewlineBytes(t *testing.T) {
	text := "a\u0a41b\u010ac\r\nnext"
	got, enc := readAll(t, utf16le(text, false))
	if enc != UTF16LE || len(got) != 2 || got[0].s != "a\u0a41b\u010ac" || got[1].s != "next" || got[1].off != 14 { // 7 code units × 2 bytes
		t.Fatalf("%s %+v", enc, got)
	}
}

func BenchmarkUTF16(b *testing.B) {
	line := utf16le("2024-02-16, 20:29\tUser\t123456789\t987654321\tAnyDesk\r\n", false)
	data := []byte{}
	for len(data) < 8<<20 {
		data = append(data, line...)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		r := NewReader(strings.NewReader(string(data)))
		for r.Next() {
		}
	}
}

// UTF-16BE with its byte-order mark (a Connections_incoming.txt saved so):
// lines end at a 00 0A unit only; a unit whose low byte is 0A (U+010A Ċ)
// or whose high byte is 0A (U+0A41) is text.
func TestUTF16BE(t *testing.T) {
	var b []byte
	b = append(b, 0xFE, 0xFF)
	for _, r := range "1660360496\tTestUser\u010a\r\nsecond \u0a41 line\r\nlast" {
		b = append(b, byte(r>>8), byte(r))
	}
	rd := NewReader(bytes.NewReader(b))
	if rd.Encoding() != UTF16BE || rd.Check() != nil {
		t.Fatalf("encoding %s, check %v", rd.Encoding(), rd.Check())
	}
	var got []string
	var offs []int64
	for rd.Next() {
		got = append(got, string(rd.Bytes()))
		offs = append(offs, rd.Offset())
	}
	want := []string{"1660360496\tTestUser\u010a", "second \u0a41 line", "last"}
	// Offsets: the BOM (2), then 2 bytes per unit: 20 units + CR LF = 22.
	if strings.Join(got, "|") != strings.Join(want, "|") || len(offs) != 3 || offs[0] != 2 || offs[1] != 2+2*22 {
		t.Errorf("lines %q offsets %v", got, offs)
	}
}
