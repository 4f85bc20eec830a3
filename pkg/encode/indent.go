package encode

import (
	"bufio"
	"bytes"
	"strings"
)

const indentUnit = "  "

// indentCompact indents compact, valid JSON (as the json package writes it:
// no whitespace outside strings, a trailing newline kept as is), as a value
// that sits depth levels deep in the document, byte for byte as json.Encoder
// with SetIndent("", "  ") would write it.
//
// encoding/json indents by running its validating scanner over the
// marshalled document and building a second copy in memory; for the report
// of a 1 GB capture (15 MB of JSON) that was a fifth of `ratwatch pcap`'s
// time. The marshalled bytes are already valid and compact, so indenting
// them needs only to know whether it is inside a string.
func indentCompact(w *bufio.Writer, src []byte, depth int) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the string through its closing quote.
			end := stringEnd(src, i+1)
			_, _ = w.Write(src[i:end])
			i = end - 1
		case '{', '[':
			_ = w.WriteByte(c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				_ = w.WriteByte(src[i+1])
				i++
				continue
			}
			depth++
			newline(w, depth)
		case '}', ']':
			depth--
			newline(w, depth)
			_ = w.WriteByte(c)
		case ',':
			_ = w.WriteByte(c)
			newline(w, depth)
		case ':':
			_, _ = w.WriteString(": ")
		default:
			// Numbers, true/false/null and the final newline: copy the run.
			j := i + 1
			for j < len(src) && !isStructural(src[j]) {
				j++
			}
			_, _ = w.Write(src[i:j])
			i = j - 1
		}
	}
}

// stringEnd returns the index after the closing quote of the string whose
// content starts at j (len(src) if it is not closed). Most strings have no
// escapes: one IndexByte finds the quote, a second one checks that no
// backslash comes before it.
func stringEnd(src []byte, j int) int {
	for j < len(src) {
		q := bytes.IndexByte(src[j:], '"')
		if q < 0 {
			return len(src)
		}
		b := bytes.IndexByte(src[j:j+q], '\\')
		if b < 0 {
			return j + q + 1
		}
		j += b + 2 // skip the escaped byte (an escaped quote, too)
	}
	return len(src)
}

// indents is a newline and the indentation of the deepest levels written
// with one call.
var indents = "\n" + strings.Repeat(indentUnit, 32)

// newline ends the line and indents the next one depth levels.
func newline(w *bufio.Writer, depth int) {
	if n := 1 + len(indentUnit)*depth; n <= len(indents) {
		_, _ = w.WriteString(indents[:n])
		return
	}
	_ = w.WriteByte('\n')
	for range depth {
		_, _ = w.WriteString(indentUnit)
	}
}

func isStructural(c byte) bool {
	switch c {
	case '"', '{', '[', '}', ']', ',', ':':
		return true
	}
	return false
}
