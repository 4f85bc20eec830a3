package toollog

import "fmt"

// binaryCheck watches the bytes of a text log as the parser streams them and
// notes lines that hold binary data: C0 control bytes that no text encoding
// a log is written in (UTF-8, Windows code pages, Shift-JIS) uses, as left
// by a corrupted or overwritten region. Parsers skip lines they do not
// recognise, so without this such a region read as "no session in it".
// NUL bytes are not counted: AnyDesk pads its traces with them. A file that
// looks UTF-16 (its NULs on odd offsets) is not checked: its code units
// hold such bytes as text.
type binaryCheck struct {
	line, bad, firstLine, lastLine int
	off, lineOff, firstOff         int64
	badLine                        bool
	head                           []byte
	utf16, decided                 bool
}

const binaryHead = 512

func isControl(c byte) bool {
	return (c >= 0x01 && c <= 0x08) || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f)
}

func (b *binaryCheck) Write(p []byte) (int, error) {
	if !b.decided {
		b.head = append(b.head, p[:min(len(p), binaryHead-len(b.head))]...)
		if len(b.head) < binaryHead && len(p) > 0 {
			b.off += int64(len(p))
			b.scan(p, b.off-int64(len(p)))
			return len(p), nil
		}
		b.decided, b.utf16 = true, looksUTF16(b.head)
	}
	if !b.utf16 {
		b.scan(p, b.off)
	}
	b.off += int64(len(p))
	return len(p), nil
}

func (b *binaryCheck) scan(p []byte, base int64) {
	if b.line == 0 {
		b.line = 1
	}
	for i, c := range p {
		switch {
		case c == '\n':
			b.endLine()
			b.line++
			b.lineOff = base + int64(i) + 1
		case isControl(c):
			b.badLine = true
		}
	}
}

func (b *binaryCheck) endLine() {
	if !b.badLine {
		return
	}
	b.badLine = false
	if b.bad == 0 {
		b.firstLine, b.firstOff = b.line, b.lineOff
	}
	b.bad++
	b.lastLine = b.line
}

// result is the error to report ("" when the log is text throughout).
func (b *binaryCheck) result() string {
	if !b.decided {
		b.utf16 = looksUTF16(b.head)
	}
	if b.utf16 {
		return ""
	}
	b.endLine()
	if b.bad == 0 {
		return ""
	}
	return fmt.Sprintf("line %d (offset %d): binary data in a text log (%d such lines, the last at line %d): not read",
		b.firstLine, b.firstOff, b.bad, b.lastLine)
}

// looksUTF16: most odd bytes NUL while the even ones are not (UTF-16LE text
// with or without its byte-order mark).
func looksUTF16(h []byte) bool {
	if len(h) >= 2 && ((h[0] == 0xff && h[1] == 0xfe) || (h[0] == 0xfe && h[1] == 0xff)) {
		return true
	}
	odd, even := 0, 0
	for i := 0; i+1 < len(h); i += 2 {
		if h[i+1] == 0 && h[i] != 0 {
			odd++
		}
		if h[i] == 0 && h[i+1] != 0 {
			even++
		}
	}
	n := len(h) / 2
	return n > 0 && (odd*10 > n*6 || even*10 > n*6)
}
