package encode

import (
	"bufio"
	"bytes"
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
	newline := func() {
		_ = w.WriteByte('\n')
		for range depth {
			_, _ = w.WriteString(indentUnit)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the string through its closing quote.
			j := i + 1
			for j < len(src) {
				k := bytes.IndexAny(src[j:], "\"\\")
				if k < 0 {
					j = len(src)
					break
				}
				j += k
				if src[j] == '\\' {
					j += 2
					continue
				}
				break
			}
			end := min(j+1, len(src))
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
			newline()
		case '}', ']':
			depth--
			newline()
			_ = w.WriteByte(c)
		case ',':
			_ = w.WriteByte(c)
			newline()
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

func isStructural(c byte) bool {
	switch c {
	case '"', '{', '[', '}', ']', ',', ':':
		return true
	}
	return false
}
