// Package lineio streams the lines of a tool log in constant memory, whatever
// its encoding: UTF-8 (with or without BOM), UTF-16LE (with or without BOM, as
// AnyDesk's connection_trace.txt), UTF-16BE with its BOM, NUL-padded (AnyDesk
// traces), CRLF or LF, and a last line without a newline. Each line keeps its 1-based number and
// the byte offset where it starts in the file, for evidence.
package lineio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxLine bounds a line; longer lines are cut there and flagged Truncated.
const MaxLine = 1 << 20

// Encodings detected.
const (
	UTF8    = "utf-8"
	UTF16LE = "utf-16le"
	UTF16BE = "utf-16be" // only with its byte-order mark (FE FF)
)

// ErrBinary is returned by Check when the head of a file is not text.
var ErrBinary = errors.New("not a text log")

// Reader yields lines.
type Reader struct {
	br        *bufio.Reader
	enc       string
	off       int64 // offset of the next unread byte
	n         int
	line      []byte
	buf       []byte // line storage when a line cannot be handed out in place
	clean     int64  // the input up to this offset has no NUL
	lineOff   int64
	truncated bool
	err       error
	u16       []uint16
	raw       []byte // UTF-16 bytes of the current line
	rawLen    int    // bytes of the current line read so far (incl. cut ones)
	prev      byte   // the byte before the last one read in the line
	last      byte   // the last byte read in the line
	head      []byte
}

// NewReader sniffs the encoding from the first bytes and returns a reader.
func NewReader(r io.Reader) *Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	rd := &Reader{br: br, enc: UTF8}
	head, _ := br.Peek(4096)
	rd.head = append([]byte(nil), head...)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		rd.off = 3
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		br.Discard(2)
		rd.off = 2
		rd.enc = UTF16LE
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		br.Discard(2)
		rd.off = 2
		rd.enc = UTF16BE
	case looksUTF16LE(head):
		rd.enc = UTF16LE
	}
	return rd
}

// Encoding is the detected encoding.
func (r *Reader) Encoding() string { return r.enc }

// Check reports ErrBinary (with the offset of the first offending byte) when
// the start of the file is not text in any supported encoding.
func (r *Reader) Check() error {
	if r.enc != UTF8 {
		return nil
	}
	h := r.head
	ctl, nonNUL := 0, 0
	first := -1
	for i, b := range h {
		if b == 0 {
			continue // NUL padding is legitimate in AnyDesk traces
		}
		nonNUL++
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != 0x1b && b != '\f' {
			ctl++
			if first < 0 {
				first = i
			}
		}
	}
	if nonNUL > 0 && ctl*10 > nonNUL {
		return fmt.Errorf("%w: control bytes from offset %d", ErrBinary, first)
	}
	if nonNUL > 64 && !utf8.Valid(trimPartialRune(bytes.ReplaceAll(h, []byte{0}, nil))) {
		// Latin-1 logs exist; only a very high share of invalid bytes is binary.
		bad := 0
		for _, b := range h {
			if b >= 0x80 {
				bad++
			}
		}
		if bad*3 > nonNUL {
			return fmt.Errorf("%w: mostly non-text bytes in the first %d bytes", ErrBinary, len(h))
		}
	}
	return nil
}

func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// looksUTF16LE: most even bytes printable ASCII and odd bytes zero.
func looksUTF16LE(h []byte) bool {
	// Skip leading NUL pairs (padding) before judging.
	i := 0
	for i+1 < len(h) && h[i] == 0 && h[i+1] == 0 {
		i += 2
	}
	pairs, hits := 0, 0
	for ; i+1 < len(h) && pairs < 512; i += 2 {
		pairs++
		if h[i] != 0 && h[i+1] == 0 {
			hits++
		}
	}
	return pairs >= 4 && hits*10 >= pairs*8
}

// Next advances to the next line.
func (r *Reader) Next() bool {
	if r.err != nil {
		return false
	}
	if r.enc != UTF8 {
		return r.next16()
	}
	return r.next8()
}

func (r *Reader) next8() bool {
	r.truncated = false
	r.lineOff = r.off
	chunk, err := r.br.ReadSlice('\n')
	if err == nil && r.nulFree(chunk) {
		// The whole line is in the buffer and has no NUL: hand it out
		// in place (capacity capped, so an append by the caller copies).
		r.off += int64(len(chunk))
		r.n++
		b := chunk[:len(chunk)-1]
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
		r.line = b[:len(b):len(b)]
		return true
	}
	r.buf = r.buf[:0]
	for {
		r.off += int64(len(chunk))
		if len(r.buf)+len(chunk) <= MaxLine {
			r.buf = append(r.buf, chunk...)
		} else if !r.truncated {
			r.buf = append(r.buf, chunk[:MaxLine-len(r.buf)]...)
			r.truncated = true
		}
		if err == bufio.ErrBufferFull {
			chunk, err = r.br.ReadSlice('\n')
			continue
		}
		if err != nil {
			if err != io.EOF {
				r.err = err
			} else {
				r.err = io.EOF
			}
			if len(r.buf) == 0 {
				r.line = r.buf
				return false
			}
		}
		break
	}
	r.n++
	r.buf = clean(r.buf)
	r.line = r.buf
	return true
}

// nulFree tells whether chunk, the bytes just read by ReadSlice, has no
// NUL. The buffered bytes after it are checked in the same pass, so most
// lines cost no scan of their own.
func (r *Reader) nulFree(chunk []byte) bool {
	end := r.off + int64(len(chunk))
	if end <= r.clean {
		return true
	}
	if bytes.IndexByte(chunk, 0) >= 0 {
		return false
	}
	rest, _ := r.br.Peek(r.br.Buffered())
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		i = len(rest)
	}
	r.clean = end + int64(i)
	return true
}

// next16 reads one UTF-16LE line. It scans with ReadSlice('\n') and accepts
// a 0x0A byte as the line end only when it is the low byte of a code unit
// (even offset in the line) followed by 0x00: bulk reads, no per-unit calls.
func (r *Reader) next16() bool {
	r.raw = r.raw[:0]
	r.truncated = false
	r.lineOff = r.off
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		r.appendRaw(chunk)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			r.err = err
			if len(r.raw) == 0 {
				return false
			}
			break
		}
		if r.enc == UTF16BE {
			// 0x0A ends a line as the low byte of a unit (odd offset),
			// the 0x00 before it already read.
			if (r.rawLen-1)%2 == 1 && r.prev == 0 {
				r.raw = r.raw[:max(0, len(r.raw)-2)]
				break
			}
			continue
		}
		// chunk ends with 0x0A: a line end only at an even line offset,
		// followed by 0x00.
		if (r.rawLen-1)%2 != 0 {
			continue
		}
		b, err := r.br.ReadByte()
		if err != nil {
			r.err = err
			break
		}
		r.off++
		r.appendRaw([]byte{b})
		if b == 0 {
			r.raw = r.raw[:max(0, len(r.raw)-2)] // drop the "\n\x00" unit
			break
		}
	}
	r.n++
	r.u16 = r.u16[:0]
	for i := 0; i+1 < len(r.raw); i += 2 {
		if r.enc == UTF16BE {
			r.u16 = append(r.u16, uint16(r.raw[i])<<8|uint16(r.raw[i+1]))
		} else {
			r.u16 = append(r.u16, uint16(r.raw[i])|uint16(r.raw[i+1])<<8)
		}
	}
	r.line = r.line[:0]
	for _, ru := range utf16.Decode(r.u16) {
		r.line = utf8.AppendRune(r.line, ru)
	}
	r.line = clean(r.line)
	r.rawLen = 0
	return true
}

// appendRaw keeps at most MaxLine bytes of a line, counting all of them.
func (r *Reader) appendRaw(b []byte) {
	if n := len(b); n >= 2 {
		r.prev = b[n-2] // the byte before the last one read (UTF-16BE line ends)
	} else if n == 1 && r.rawLen > 0 {
		r.prev = r.last
	}
	if len(b) > 0 {
		r.last = b[len(b)-1]
	}
	r.rawLen += len(b)
	if room := MaxLine - len(r.raw); room > 0 {
		if len(b) > room {
			b = b[:room-room%2]
			r.truncated = true
		}
		r.raw = append(r.raw, b...)
	} else if len(b) > 0 {
		r.truncated = true
	}
}

// clean drops NULs, the line end and a trailing CR.
func clean(b []byte) []byte {
	if bytes.IndexByte(b, 0) >= 0 {
		out := b[:0]
		for _, c := range b {
			if c != 0 {
				out = append(out, c)
			}
		}
		b = out
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b
}

// Bytes is the current line without its end; valid until the next call.
func (r *Reader) Bytes() []byte { return r.line }

// Text is the current line as a string.
func (r *Reader) Text() string { return string(r.line) }

// N is the current line's 1-based number.
func (r *Reader) N() int { return r.n }

// Offset is the byte offset of the current line's start in the file.
func (r *Reader) Offset() int64 { return r.lineOff }

// Truncated tells whether the current line was cut at MaxLine.
func (r *Reader) Truncated() bool { return r.truncated }

// Err is the first read error other than EOF.
func (r *Reader) Err() error {
	if r.err == io.EOF {
		return nil
	}
	return r.err
}
