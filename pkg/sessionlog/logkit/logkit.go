// Package logkit is the shared toolkit of the line-oriented server-log
// parsers (x11vnc, TigerVNC, xrdp, freerdp-shadow): bounded error lists, text
// checks, and allocation-light storage for records and their evidence.
package logkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// MaxErrors bounds Result.Errors so a corrupted file cannot bloat the report.
const MaxErrors = 100

type ErrList struct {
	list       []sessionlog.ParseError
	suppressed int
}

func (e *ErrList) Add(line int, off int64, format string, args ...any) {
	if len(e.list) >= MaxErrors {
		e.suppressed++
		return
	}
	e.list = append(e.list, sessionlog.ParseError{Line: line, Offset: off, Msg: fmt.Sprintf(format, args...)})
}

func (e *ErrList) Result() []sessionlog.ParseError {
	if e.suppressed > 0 {
		e.list = append(e.list, sessionlog.ParseError{Msg: fmt.Sprintf("%d further errors not listed", e.suppressed)})
	}
	return e.list
}

// zone returns the location for zone-less timestamps and its name for TimeRule.
func Zone(loc *time.Location) (*time.Location, string) {
	if loc == nil {
		return time.Local, "the machine's local zone (" + time.Local.String() + ")"
	}
	return loc, loc.String()
}

// ctlIndex returns the index of the first control byte that has no place in a
// text log line, or -1.
func CtlIndex(b []byte) int {
	for i, c := range b {
		if c < 0x20 && c != '\t' && c != 0x1b && c != '\f' {
			return i
		}
		if c == 0x7f {
			return i
		}
	}
	return -1
}

// textHead returns the head of a file as plain bytes: UTF-8 BOM dropped,
// UTF-16LE (with or without BOM) reduced to its ASCII bytes.
func TextHead(head []byte) []byte {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	utf16 := bytes.HasPrefix(head, []byte{0xFF, 0xFE})
	if !utf16 && len(head) >= 8 {
		zeros := 0
		for i := 1; i < len(head) && i < 512; i += 2 {
			if head[i] == 0 {
				zeros++
			}
		}
		n := min(len(head), 512) / 2
		utf16 = n > 0 && zeros*10 >= n*8
	}
	if !utf16 {
		return head
	}
	out := make([]byte, 0, len(head)/2)
	for _, c := range head {
		if c != 0 && c != 0xFF && c != 0xFE {
			out = append(out, c)
		}
	}
	return out
}

func Atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// openText wraps r for lineio after checking that its head is text. A
// rejected head is reported with the offset of its first non-text byte.
func OpenText(r io.Reader) (*lineio.Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(4096)
	lr := lineio.NewReader(br)
	if err := lr.Check(); err != nil {
		if !strings.Contains(err.Error(), "offset") {
			return nil, fmt.Errorf("%w (first non-text byte at offset %d)", err, FirstNonText(head))
		}
		return nil, err
	}
	return lr, nil
}

// firstNonText is the offset of the first control byte or invalid UTF-8
// sequence in b (NUL padding allowed).
func FirstNonText(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if c < 0x20 && c != 0 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				return len(b) // a rune cut by the head's end
			}
			return i
		}
		i += n
	}
	return len(b)
}

// Store keeps finished records in connection order without re-growing one
// big slice, and gives each record exact-size evidence and notes slices cut
// from shared arenas. Work buffers for records being built are recycled.
type Store struct {
	chunks [][]session.Record
	evA    []evidence.Evidence
	noteA  []string
	evPool [][]evidence.Evidence
	ntPool [][]string
}

// StoreChunk is how many records a Store block holds.
const StoreChunk = 256

// buffers returns empty evidence and notes slices to build a record in.
func (st *Store) Buffers() ([]evidence.Evidence, []string) {
	var ev []evidence.Evidence
	var nt []string
	if n := len(st.evPool); n > 0 {
		ev, st.evPool = st.evPool[n-1], st.evPool[:n-1]
	} else {
		ev = make([]evidence.Evidence, 0, 16)
	}
	if n := len(st.ntPool); n > 0 {
		nt, st.ntPool = st.ntPool[n-1], st.ntPool[:n-1]
	} else {
		nt = make([]string, 0, 8)
	}
	return ev, nt
}

// put stores rec as record number seq (1-based); its Evidence and Notes
// buffers are copied out and recycled.
func (st *Store) Put(seq int, rec session.Record) {
	ev, nt := rec.Evidence, rec.Notes
	rec.Evidence = st.copyEv(ev)
	rec.Notes = st.copyNotes(nt)
	if cap(ev) > 0 && cap(ev) <= 64 {
		st.evPool = append(st.evPool, ev[:0])
	}
	if cap(nt) > 0 && cap(nt) <= 64 {
		st.ntPool = append(st.ntPool, nt[:0])
	}
	k := (seq - 1) / StoreChunk
	for len(st.chunks) <= k {
		st.chunks = append(st.chunks, make([]session.Record, StoreChunk))
	}
	st.chunks[k][(seq-1)%StoreChunk] = rec
}

// records returns records 1..n in order.
func (st *Store) Records(n int) []session.Record {
	if n == 0 {
		return nil
	}
	out := make([]session.Record, n)
	for i := range out {
		out[i] = st.chunks[i/StoreChunk][i%StoreChunk]
	}
	return out
}

func (st *Store) copyEv(src []evidence.Evidence) []evidence.Evidence {
	if len(src) == 0 {
		return nil
	}
	if len(st.evA)+len(src) > cap(st.evA) {
		st.evA = make([]evidence.Evidence, 0, max(512, len(src)))
	}
	i := len(st.evA)
	st.evA = append(st.evA, src...)
	return st.evA[i:len(st.evA):len(st.evA)]
}

func (st *Store) copyNotes(src []string) []string {
	if len(src) == 0 {
		return nil
	}
	if len(st.noteA)+len(src) > cap(st.noteA) {
		st.noteA = make([]string, 0, max(1024, len(src)))
	}
	i := len(st.noteA)
	st.noteA = append(st.noteA, src...)
	return st.noteA[i:len(st.noteA):len(st.noteA)]
}

// LineEvidence makes the log-line evidence of a streaming parser: where the
// reader's current line is, its text (copied into a shared arena), the
// fields it supports (shared lists) and its time (one pointer per distinct
// time). Scanner and Path are set once per file; the zero arenas are ready.
type LineEvidence struct {
	Scanner, Path string
	tc            TimeCache
	ra            RawArena
	fa            FieldArena
}

// Time is a shared pointer to t; nil when ok is false (the line has no time).
func (l *LineEvidence) Time(t time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	return l.tc.Get(t)
}

// Of is the evidence of r's current line, whose bytes are raw and whose
// time is t (from Time; nil: none).
func (l *LineEvidence) Of(r *lineio.Reader, raw []byte, t *time.Time, summary string, fields []string) evidence.Evidence {
	return evidence.Evidence{
		Kind:    evidence.KindLogLine,
		Scanner: l.Scanner,
		Summary: summary,
		Path:    l.Path,
		Line:    r.N(),
		Offset:  r.Offset(),
		Raw:     l.ra.Str(raw),
		Fields:  l.fa.Of(fields),
		Time:    t,
	}
}

// Append is append(dst, l.Of(…)) with the evidence built in place (the
// parsers' hot path: no 200-byte copy per line).
func (l *LineEvidence) Append(dst []evidence.Evidence, r *lineio.Reader, raw []byte, t *time.Time, summary string, fields []string) []evidence.Evidence {
	dst = append(dst, evidence.Evidence{})
	e := &dst[len(dst)-1]
	e.Kind, e.Scanner, e.Summary, e.Path = evidence.KindLogLine, l.Scanner, summary, l.Path
	e.Line, e.Offset, e.Raw, e.Fields, e.Time = r.N(), r.Offset(), l.ra.Str(raw), l.fa.Of(fields), t
	return dst
}

// TimeCache hands out one shared *time.Time per distinct time, so records
// and evidence of the same second do not each allocate. Nothing writes
// through these pointers.
type TimeCache struct {
	t   time.Time
	ptr *time.Time
}

func (c *TimeCache) Get(t time.Time) *time.Time {
	if c.ptr != nil && c.t.Equal(t) {
		return c.ptr
	}
	p := new(time.Time)
	*p = t
	c.t, c.ptr = t, p
	return p
}

// FieldArena copies evidence field lists into shared storage.
type FieldArena []string

func (a *FieldArena) Of(f []string) []string {
	if len(*a)+len(f) > cap(*a) {
		*a = make([]string, 0, max(1024, len(f)))
	}
	i := len(*a)
	*a = append(*a, f...)
	return (*a)[i:len(*a):len(*a)]
}

// RawArena makes evidence Raw strings from log lines by copying them into
// large append-only byte chunks (no per-line allocation; the chunks hold no
// pointers, so the GC does not scan them). Bytes once handed out are never
// written again, which keeps the strings immutable.
type RawArena struct{ buf []byte }

func (a *RawArena) Str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > evidence.MaxRaw {
		return evidence.Clip(string(b))
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, 64<<10)
	}
	i := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[i], len(b))
}

// Interner returns prefix+v, reusing the string when the same pair was seen
// (close reasons, security types and the like repeat across connections).
type Interner map[string]map[string]string

func (in Interner) Cat(prefix string, v []byte) string {
	m := in[prefix]
	if m == nil {
		m = map[string]string{}
		in[prefix] = m
	}
	if s, ok := m[string(v)]; ok {
		return s
	}
	s := prefix + string(v)
	if len(m) < 1024 {
		m[string(v)] = s
	}
	return s
}
