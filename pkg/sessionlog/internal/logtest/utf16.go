package logtest

import "unicode/utf16"

// UTF16LE encodes s as UTF-16 little-endian, with the FF FE byte-order mark
// when bom is set (how Windows tools write their logs).
func UTF16LE(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}
