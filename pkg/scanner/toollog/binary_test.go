package toollog

import (
	"strings"
	"testing"
)

func check(chunks ...[]byte) string {
	var b binaryCheck
	for _, c := range chunks {
		_, _ = b.Write(c)
	}
	return b.result()
}

func TestBinaryCheck(t *testing.T) {
	text := []byte(strings.Repeat("2024-02-16 20:29:04.298 info anydesk - Incoming session request\n", 20))
	sjis := []byte("2024/02/16 06:05:19.548 S0 \x83\x65\x83\x58\x83\x67 \x93\xfa\x96\x7b\x8c\xea\n") // テスト 日本語 in Shift-JIS
	garbage := []byte("ok line\n\x01\x02\x7f\xff binary\nmore \x10\n")
	u16 := []byte{}
	for _, c := range "2024-02-16, 20:29  User  1001025310  \u0411\u0414\n" { // Cyrillic code units hold 0x11, 0x14
		u16 = append(u16, byte(c), byte(c>>8))
	}
	u16 = []byte(strings.Repeat(string(u16), 20))
	pad := append(append([]byte{}, text...), make([]byte, 4096)...) // NUL padding
	cases := []struct {
		name string
		in   [][]byte
		want string
	}{
		{"text", [][]byte{text}, ""},
		{"Shift-JIS text", [][]byte{sjis, text}, ""},
		{"NUL padding", [][]byte{pad}, ""},
		{"UTF-16LE without BOM", [][]byte{u16}, ""},
		// text is 20 lines of 64 bytes: the garbage starts at line 22
		// (offset 20*64 + len("ok line\n")) and ends at line 23.
		{"garbage after text, in two writes", [][]byte{text[:700], text[700:], garbage},
			"line 22 (offset 1288): binary data in a text log (2 such lines, the last at line 23): not read"},
	}
	for _, c := range cases {
		if got := check(c.in...); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
