package logkit

import (
	"bytes"
	"time"
	"unsafe"
)

// Row-per-session formats (connection lists: every line a record) keep one
// small pointer-free row per record while they stream (its strings are
// Spans of a Text), and make the records once at the end: the records in
// one exact-size slice, their evidence, times and notes cut from Slabs, the
// strings shared with the Text (no allocation per string, no record copied
// from block to block, no slice regrown). While the file streams the heap
// holds nothing the GC must scan, so a collection then costs almost nothing.

// Text is an append-only byte store. Add copies bytes in and returns a Span,
// a pointer-free reference; Str makes a string of a Span without copying.
// Bytes once stored are never written again, so those strings stay
// immutable.
type Text struct{ chunks [][]byte }

// Span locates bytes stored in a Text. The zero Span is the empty string.
type Span struct{ c, off, n uint32 }

// TextChunk is the size of a Text chunk (longer items get their own).
const TextChunk = 64 << 10

// Len is the span's length in bytes.
func (s Span) Len() int { return int(s.n) }

// Sub is the part [a:b] of s.
func (s Span) Sub(a, b int) Span {
	if a >= b {
		return Span{}
	}
	return Span{s.c, s.off + uint32(a), uint32(b - a)}
}

// room returns the chunk with room for n more bytes, and its index.
func (t *Text) room(n int) (int, []byte) {
	k := len(t.chunks) - 1
	if k < 0 || cap(t.chunks[k])-len(t.chunks[k]) < n {
		t.chunks = append(t.chunks, make([]byte, 0, max(TextChunk, n)))
		k++
	}
	return k, t.chunks[k]
}

// Add stores b.
func (t *Text) Add(b []byte) Span {
	if len(b) == 0 {
		return Span{}
	}
	k, c := t.room(len(b))
	t.chunks[k] = append(c, b...)
	return Span{uint32(k), uint32(len(c)), uint32(len(b))}
}

// AddString stores s (s is not retained).
func (t *Text) AddString(s string) Span {
	if len(s) == 0 {
		return Span{}
	}
	k, c := t.room(len(s))
	t.chunks[k] = append(c, s...)
	return Span{uint32(k), uint32(len(c)), uint32(len(s))}
}

// Cat stores prefix followed by b.
func (t *Text) Cat(prefix string, b []byte) Span {
	n := len(prefix) + len(b)
	if n == 0 {
		return Span{}
	}
	k, c := t.room(n)
	t.chunks[k] = append(append(c, prefix...), b...)
	return Span{uint32(k), uint32(len(c)), uint32(n)}
}

// Str is the string of s; it shares the Text's memory.
func (t *Text) Str(s Span) string {
	if s.n == 0 {
		return ""
	}
	return unsafe.String(&t.chunks[s.c][s.off], int(s.n))
}

// Bytes is the stored bytes of s, read only.
func (t *Text) Bytes(s Span) []byte {
	if s.n == 0 {
		return nil
	}
	return t.chunks[s.c][s.off : s.off+s.n : s.off+s.n]
}

// Duration stores d.String() (the formatting of Record.Finish) without an
// allocation per record.
func (t *Text) Duration(d time.Duration) Span { return t.AddString(d.String()) }

// Rows holds rows in blocks that never move (16, 64, 256, 1024 rows, then
// RowBlock each): a small file does not pay for a whole block, a large one
// never regrows one huge slice, and At is O(1).
type Rows[T any] struct {
	blocks [][]T
	n      int
}

// RowBlock is the number of rows in a full Rows block.
const RowBlock = 4096

// rowHead is the number of rows in the first four (smaller) blocks.
const rowHead = 16 + 64 + 256 + 1024

// Add appends a zero row and returns it.
func (r *Rows[T]) Add() *T {
	k := len(r.blocks) - 1
	if k < 0 || len(r.blocks[k]) == cap(r.blocks[k]) {
		size := RowBlock
		if k < 3 {
			size = 16 << (2 * (k + 1))
		}
		r.blocks = append(r.blocks, make([]T, 0, size))
		k++
	}
	b := r.blocks[k]
	r.blocks[k] = b[:len(b)+1] // zero: fresh from make
	r.n++
	return &b[:len(b)+1][len(b)]
}

// Len is the number of rows.
func (r *Rows[T]) Len() int { return r.n }

// At is row i (0-based).
func (r *Rows[T]) At(i int) *T {
	if i >= rowHead {
		i -= rowHead
		return &r.blocks[4+i/RowBlock][i%RowBlock]
	}
	k := 0
	for i >= cap(r.blocks[k]) {
		i -= cap(r.blocks[k])
		k++
	}
	return &r.blocks[k][i]
}

// Slab hands out small exact-capacity slices cut from shared chunks (no
// allocation per slice; a chunk is never reallocated, so the slices stay
// valid, and an append to one copies it).
type Slab[T any] struct{ chunks [][]T }

// SlabChunk bounds the elements of one Slab chunk (the first chunks are
// smaller, so a small file does not pay for a whole one).
const SlabChunk = 1024

// Alloc returns a zeroed slice of k elements (nil for k == 0).
func (s *Slab[T]) Alloc(k int) []T {
	if k == 0 {
		return nil
	}
	n := len(s.chunks) - 1
	if n < 0 || len(s.chunks[n])+k > cap(s.chunks[n]) {
		size := SlabChunk
		if n < 0 {
			size = 8
		} else if c := cap(s.chunks[n]); c < SlabChunk {
			size = min(SlabChunk, 4*c)
		}
		s.chunks = append(s.chunks, make([]T, 0, max(size, k)))
		n++
	}
	c := s.chunks[n]
	i := len(c)
	s.chunks[n] = c[:i+k]
	return c[i : i+k : i+k]
}

// TrimIdx returns the bounds of bytes.TrimSpace(l[a:b]) within l (a == b
// when it is empty).
func TrimIdx(l []byte, a, b int) (int, int) {
	for a < b && asciiSpace(l[a]) {
		a++
	}
	for b > a && asciiSpace(l[b-1]) {
		b--
	}
	if a < b && (l[a] >= 0x80 || l[b-1] >= 0x80) {
		s := l[a:b]
		t := bytes.TrimSpace(s)
		if len(t) == 0 {
			return a, a
		}
		i := cap(s) - cap(t)
		return a + i, a + i + len(t)
	}
	return a, b
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// DaysOf is the number of days from 1970-01-01 to y-mo-d (proleptic
// Gregorian calendar, fields in range).
func DaysOf(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := mo + 9
	if mo > 2 {
		mp = mo - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// Stamp is a UTC time as Unix seconds and nanoseconds: a row field with no
// pointer (a time.Time holds its *Location).
type Stamp struct {
	Sec int64
	Ns  int32
}

// StampOf is t as a Stamp.
func StampOf(t time.Time) Stamp { return Stamp{t.Unix(), int32(t.Nanosecond())} }

// Time is s as a UTC time.Time.
func (s Stamp) Time() time.Time { return time.Unix(s.Sec, int64(s.Ns)).UTC() }

// Sub is s-u as Time.Sub computes it (saturating).
func (s Stamp) Sub(u Stamp) time.Duration {
	if d := s.Sec - u.Sec; d > -1<<32 && d < 1<<32 {
		return time.Duration(d)*time.Second + time.Duration(s.Ns-u.Ns)
	}
	return s.Time().Sub(u.Time())
}

// Before reports whether s is before u.
func (s Stamp) Before(u Stamp) bool { return s.Sec < u.Sec || s.Sec == u.Sec && s.Ns < u.Ns }

// ByteMask has the high bit set in each byte of x (little-endian) that
// equals c, and no other bit.
func ByteMask(x uint64, c byte) uint64 {
	const lo7 = 0x7f7f7f7f7f7f7f7f
	y := x ^ (0x0101010101010101 * uint64(c))
	return ^((y&lo7 + lo7) | y | lo7)
}
