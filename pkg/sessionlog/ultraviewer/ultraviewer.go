// Package ultraviewer reads UltraViewer's connection logs
// (session-artifacts.md §9):
//
//	%AppData%\UltraViewer\Connection_IN_Log.txt            incoming: time, partner ID, partner computer name
//	C:\Program Files (x86)\UltraViewer\ConnectionLog.Log   service level: time, direction, ID
//
// The layout is second-hand (Ruler, KAPE): pipe-delimited, time as
// "MM/DD/YYYY hh:mm:ss AM/PM" in local time, no IPs. No sample exists, so
// the order of the fields is not known and the parser is tolerant: it splits
// a line on '|', takes the field holding a date as the time, the field made
// only of digits (6–12 of them, spaces allowed: "123 456 789") as the
// partner ID, a field naming a direction (IN/OUT, incoming/outgoing) as the
// direction, and the first other non-empty field as the partner's computer
// name. A line without '|' is read the same way from its text.
//
// Each line with a time and an ID is one connection: it is a connection log,
// so the record is established, with the line's time as its start. The log
// writes no end. Direction: the line's own, else incoming for
// Connection_IN_Log*, else unknown.
package ultraviewer

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

const (
	tool       = "ultraviewer"
	name       = "ultraviewer"
	layoutNote = "UltraViewer log layout from second-hand documentation (Ruler, KAPE): field order assumed, no sample verified"
	endNote    = "the log records the connection time only: end unknown"
)

var (
	notesKnown   = []string{layoutNote, endNote}
	notesUnknown = []string{layoutNote, endNote, "direction not written on the line: unknown"}
)

// Parser is the "ultraviewer" parser.
type Parser struct{}

func New() Parser { return Parser{} }

func (Parser) Name() string { return name }
func (Parser) Tool() string { return tool }

// Sniff: a pipe-delimited line with an UltraViewer time and an ID field.
func (Parser) Sniff(head []byte, _ string) bool {
	head = logkit.TextHead(head)
	for len(head) > 0 {
		var l []byte
		l, head, _ = bytes.Cut(head, []byte{'\n'})
		if bytes.IndexByte(l, '|') < 0 {
			continue
		}
		if f, ok := fields(string(bytes.TrimRight(l, "\r"))); ok && f.id != "" {
			return true
		}
	}
	return false
}

var (
	idRE = regexp.MustCompile(`(?:^|[^0-9/:])(\d{3} \d{3} \d{3}|\d{6,12})(?:[^0-9/:]|$)`)
)

type wall struct{ y, mo, d, h, mi, s int }

type parsed struct {
	t    wall
	id   string
	name string
	dir  session.Direction
	tsOK bool
}

func digitsOnly(s string) (string, bool) {
	d := strings.ReplaceAll(s, " ", "")
	if len(d) < 6 || len(d) > 12 {
		return "", false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return d, true
}

// text is a line as a string or as bytes.
type text interface{ ~string | ~[]byte }

// digits reads 1..max digits at s[i:]; it returns the value and the index after.
func digits[S text](s S, i, minN, maxN int) (int, int, bool) {
	n, j := 0, i
	for j < len(s) && j-i < maxN && s[j] >= '0' && s[j] <= '9' {
		n = n*10 + int(s[j]-'0')
		j++
	}
	return n, j, j-i >= minN
}

// parseTS finds "M/D/YYYY h:mm[:ss][.fff] [AM|PM]" in s (hand-written: it
// runs on every line); a and b bound it.
func parseTS[S text](s S) (wall, int, int, bool) {
	for i := 0; i+12 <= len(s); i++ {
		if s[i] < '0' || s[i] > '9' || (i > 0 && s[i-1] >= '0' && s[i-1] <= '9') {
			continue
		}
		if w, b, ok := tsAt(s, i); ok {
			return w, i, b, true
		}
	}
	return wall{}, 0, 0, false
}

func tsAt[S text](s S, i int) (wall, int, bool) {
	var w wall
	var ok bool
	if w.mo, i, ok = digits(s, i, 1, 2); !ok || i >= len(s) || s[i] != '/' {
		return w, 0, false
	}
	if w.d, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != '/' {
		return w, 0, false
	}
	if w.y, i, ok = digits(s, i+1, 4, 4); !ok || i >= len(s) || (s[i] != ' ' && s[i] != 'T') {
		return w, 0, false
	}
	for i < len(s) && (s[i] == ' ' || s[i] == 'T') {
		i++
	}
	if w.h, i, ok = digits(s, i, 1, 2); !ok || i >= len(s) || s[i] != ':' {
		return w, 0, false
	}
	if w.mi, i, ok = digits(s, i+1, 2, 2); !ok {
		return w, 0, false
	}
	if i < len(s) && s[i] == ':' {
		if w.s, i, ok = digits(s, i+1, 2, 2); !ok {
			return w, 0, false
		}
	}
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		if _, j, ok := digits(s, i+1, 1, 9); ok {
			i = j
		}
	}
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		return w, 0, false
	}
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j+1 < len(s) && (s[j]|0x20 == 'a' || s[j]|0x20 == 'p') {
		k := j + 1
		if k < len(s) && s[k] == '.' {
			k++
		}
		if k < len(s) && s[k]|0x20 == 'm' && (k+1 == len(s) || !isLetter(s[k+1])) {
			k++
			if k < len(s) && s[k] == '.' {
				k++
			}
			if w.h < 1 || w.h > 12 {
				return w, 0, false
			}
			if s[j]|0x20 == 'p' && w.h != 12 {
				w.h += 12
			} else if s[j]|0x20 == 'a' && w.h == 12 {
				w.h = 0
			}
			i = k
		}
	}
	if w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > 31 || w.h > 23 || w.mi > 59 || w.s > 60 || w.y < 1990 || w.y > 2200 {
		return w, 0, false
	}
	return w, i, true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func dirOf(s string) session.Direction {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "in" || s == "inbound" || s == "income" || strings.Contains(s, "incoming"):
		return session.Incoming
	case s == "out" || s == "outbound" || s == "outcome" || strings.Contains(s, "outgoing"):
		return session.Outgoing
	}
	return session.DirectionUnknown
}

// fields reads one line; ok when it has a time.
func fields(l string) (parsed, bool) {
	var p parsed
	if !strings.Contains(l, "/") {
		return p, false
	}
	parts := strings.Split(l, "|")
	tsField := -1
	for i, f := range parts {
		if w, a, b, ok := parseTS(f); ok {
			p.t, p.tsOK, tsField = w, true, i
			// The rest of the time field (no-pipe lines) is read too.
			rest := strings.TrimSpace(f[:a] + " " + f[b:])
			parts[i] = rest
			break
		}
	}
	if !p.tsOK {
		return p, false
	}
	used := make([]bool, len(parts))
	for i, f := range parts {
		if id, ok := digitsOnly(strings.TrimSpace(f)); ok && p.id == "" {
			p.id, used[i] = id, true
		}
	}
	for i, f := range parts {
		if used[i] {
			continue
		}
		if d := dirOf(f); d != session.DirectionUnknown && p.dir == "" {
			p.dir, used[i] = d, true
		}
	}
	if p.id == "" {
		// No ID field of its own: an ID in the text (no-pipe lines).
		for i, f := range parts {
			if m := idRE.FindStringSubmatch(f); m != nil {
				p.id = strings.ReplaceAll(m[1], " ", "")
				if i != tsField && strings.TrimSpace(strings.Replace(f, m[1], "", 1)) == "" {
					used[i] = true
				}
				break
			}
		}
	}
	if p.dir == "" {
		// "incoming"/"outgoing" within a field's text.
		switch {
		case strings.Contains(l, "ncoming") || strings.Contains(l, "NCOMING"):
			p.dir = session.Incoming
		case strings.Contains(l, "utgoing") || strings.Contains(l, "UTGOING"):
			p.dir = session.Outgoing
		}
	}
	for i, f := range parts {
		f = strings.TrimSpace(f)
		if used[i] || f == "" || (i == tsField && len(parts) > 1) {
			continue
		}
		p.name = f
		break
	}
	return p, true
}

// maxParts bounds the '|' fields the fast path reads (more go the slow way).
const maxParts = 32

// lineReader reads lines as fields does, without allocating for ASCII
// lines: the ID and the name are parts of the line (off ≥ 0) or bytes in
// its buffers (off < 0).
type lineReader struct {
	t                    wall
	dir                  session.Direction
	id, name             []byte
	idOff, nameOff       int
	a, b                 [maxParts]int // the '|' fields of the line
	used                 [maxParts]bool
	tsBuf, tsPart, idBuf []byte
}

func isASCII(l []byte) bool {
	for _, c := range l {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func trimASCII(b []byte) []byte {
	for len(b) > 0 && asciiSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && asciiSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// dirOfASCII is dirOf for ASCII text.
func dirOfASCII(b []byte) session.Direction {
	b = trimASCII(b)
	if len(b) < 2 || b[0]|0x20 != 'i' && b[0]|0x20 != 'o' && len(b) < 9 {
		return session.DirectionUnknown // none of the words, nor room for one inside
	}
	switch {
	case bytes.EqualFold(b, []byte("in")) || bytes.EqualFold(b, []byte("inbound")) || bytes.EqualFold(b, []byte("income")) || containsFold(b, "incoming"):
		return session.Incoming
	case bytes.EqualFold(b, []byte("out")) || bytes.EqualFold(b, []byte("outbound")) || bytes.EqualFold(b, []byte("outcome")) || containsFold(b, "outgoing"):
		return session.Outgoing
	}
	return session.DirectionUnknown
}

// containsFold: ASCII b contains lower-case k in any case.
func containsFold(b []byte, k string) bool {
	for i := 0; i+len(k) <= len(b); i++ {
		if b[i]|0x20 == k[0] && bytes.EqualFold(b[i:i+len(k)], []byte(k)) {
			return true
		}
	}
	return false
}

// part is field i of l (the time field without its time).
func (x *lineReader) part(l []byte, i, tsField int) []byte {
	if i == tsField {
		return x.tsPart
	}
	return l[x.a[i]:x.b[i]]
}

// off is the offset of p in l, or -1 when p is not a part of l.
func off(l, p []byte) int {
	if len(p) == 0 || cap(p) > cap(l) {
		return -1
	}
	i := cap(l) - cap(p)
	if i > len(l) || len(p) > len(l)-i || &l[:i+1][i] != &p[0] {
		return -1
	}
	return i
}

// read is fields(string(l)); ok when the line has a time.
func (x *lineReader) read(l []byte) bool {
	x.dir, x.id, x.name, x.idOff, x.nameOff = "", nil, nil, -1, -1
	if bytes.IndexByte(l, '/') < 0 {
		return false
	}
	np := bytes.Count(l, []byte{'|'}) + 1
	if np > maxParts || !isASCII(l) {
		p, ok := fields(string(l))
		if !ok {
			return false
		}
		x.t, x.dir = p.t, p.dir
		x.id, x.name = append(x.idBuf[:0], p.id...), []byte(p.name)
		x.idBuf = x.id
		return true
	}
	for i, k := 0, 0; k < np; k++ {
		j := bytes.IndexByte(l[i:], '|')
		if j < 0 {
			j = len(l) - i
		}
		x.a[k], x.b[k], x.used[k] = i, i+j, false
		i += j + 1
	}
	tsField := -1
	for i := 0; i < np; i++ {
		f := l[x.a[i]:x.b[i]]
		if w, a, b, ok := parseTS(f); ok {
			x.t, tsField = w, i
			// The rest of the time field (no-pipe lines) is read too.
			x.tsBuf = append(append(append(x.tsBuf[:0], f[:a]...), ' '), f[b:]...)
			x.tsPart = trimASCII(x.tsBuf)
			break
		}
	}
	if tsField < 0 {
		return false
	}
	for i := 0; i < np && x.id == nil; i++ {
		f := trimASCII(x.part(l, i, tsField))
		n, sp := 0, false
		for _, c := range f {
			switch {
			case c >= '0' && c <= '9':
				n++
			case c == ' ':
				sp = true
			default:
				n = -1 << 30
			}
		}
		if n < 6 || n > 12 {
			continue
		}
		x.id, x.used[i] = f, true
		if sp {
			x.idBuf = x.idBuf[:0]
			for _, c := range f {
				if c != ' ' {
					x.idBuf = append(x.idBuf, c)
				}
			}
			x.id = x.idBuf
		}
	}
	for i := 0; i < np && x.dir == ""; i++ {
		if !x.used[i] {
			if d := dirOfASCII(x.part(l, i, tsField)); d != session.DirectionUnknown {
				x.dir, x.used[i] = d, true
			}
		}
	}
	if x.id == nil {
		// No ID field of its own: an ID in the text (no-pipe lines).
		for i := 0; i < np; i++ {
			f := x.part(l, i, tsField)
			n := 0
			for _, c := range f {
				if c >= '0' && c <= '9' {
					n++
				}
			}
			if n < 6 {
				continue // idRE needs six digits
			}
			if m := idRE.FindSubmatchIndex(f); m != nil {
				id := f[m[2]:m[3]]
				x.idBuf = bytes.ReplaceAll(id, []byte(" "), nil)
				x.id = x.idBuf
				if k := bytes.Index(f, id); i != tsField && len(trimASCII(f[:k])) == 0 && len(trimASCII(f[k+len(id):])) == 0 {
					x.used[i] = true
				}
				break
			}
		}
	}
	if x.dir == "" && (bytes.IndexByte(l, 'g') >= 0 || bytes.IndexByte(l, 'G') >= 0) {
		// "incoming"/"outgoing" within a field's text.
		switch {
		case bytes.Contains(l, []byte("ncoming")) || bytes.Contains(l, []byte("NCOMING")):
			x.dir = session.Incoming
		case bytes.Contains(l, []byte("utgoing")) || bytes.Contains(l, []byte("UTGOING")):
			x.dir = session.Outgoing
		}
	}
	for i := 0; i < np; i++ {
		f := trimASCII(x.part(l, i, tsField))
		if x.used[i] || len(f) == 0 || (i == tsField && np > 1) {
			continue
		}
		x.name = f
		break
	}
	x.idOff, x.nameOff = off(l, x.id), off(l, x.name)
	return true
}

// uvRow is one connection while the file streams (no pointers: see logkit).
type uvRow struct {
	line, id, name, key, summary logkit.Span
	start                        logkit.Stamp
	n                            int
	off                          int64
	dir                          uint8 // dirs index
}

var dirs = [3]session.Direction{session.DirectionUnknown, session.Incoming, session.Outgoing}

// Shared, read-only evidence field lists (len == cap: an append copies).
var (
	fieldsNoName = []string{"start", "direction", "outcome", "remote_id"}
	fieldsName   = []string{"start", "direction", "outcome", "remote_id", "remote_name"}
)

func (p Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", name)
	}
	rd, err := logkit.OpenText(in.R)
	if err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	loc, zname := logkit.Zone(in.Location)
	rule := "local time (MM/DD/YYYY hh:mm:ss AM/PM) in " + zname + " converted to UTC"
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(in.Path, `\`, "/")))
	fileDir := session.DirectionUnknown
	if strings.Contains(base, "_in_") || strings.HasPrefix(base, "connection_in") {
		fileDir = session.Incoming
	}
	var (
		errs        logkit.ErrList
		x           lineReader
		txt         = new(logkit.Text)
		rows        logkit.Rows[uvRow]
		first, last logkit.Stamp
		lastWall    wall
		lastT       logkit.Stamp
		haveT       bool
		keySpan     logkit.Span // the last key, reused while the ID repeats
		keyID       []byte
		buf         []byte
	)
	stamped := 0
	for rd.Next() {
		l := rd.Bytes()
		if !x.read(l) {
			continue
		}
		stamped++
		if !haveT || x.t != lastWall {
			if loc == time.UTC {
				lastT = logkit.Stamp{Sec: logkit.DaysOf(x.t.y, x.t.mo, x.t.d)*86400 + int64(x.t.h*3600+x.t.mi*60+x.t.s)}
			} else {
				lastT = logkit.StampOf(time.Date(x.t.y, time.Month(x.t.mo), x.t.d, x.t.h, x.t.mi, x.t.s, 0, loc))
			}
			lastWall, haveT = x.t, true
		}
		t := lastT
		if stamped == 1 || t.Before(first) {
			first = t
		}
		if stamped == 1 || last.Before(t) {
			last = t
		}
		if len(x.id) == 0 {
			errs.Add(rd.N(), rd.Offset(), "time but no partner ID: not read as a connection")
			continue
		}
		if rd.Truncated() {
			errs.Add(rd.N(), rd.Offset(), "line longer than %d bytes cut", 1<<20)
		}
		dir := x.dir
		if dir == "" {
			dir = fileDir
		}
		w := rows.Add()
		w.start, w.n, w.off = t, rd.N(), rd.Offset()
		switch dir {
		case session.Incoming:
			w.dir = 1
		case session.Outgoing:
			w.dir = 2
		}
		w.line = txt.Add(l)
		span := func(b []byte, o int) logkit.Span {
			if o >= 0 {
				return w.line.Sub(o, o+len(b))
			}
			return txt.Add(b)
		}
		w.id, w.name = span(x.id, x.idOff), span(x.name, x.nameOff)
		if id := txt.Bytes(w.id); keySpan.Len() == 0 || !bytes.Equal(id, keyID) {
			keySpan, keyID = txt.Cat(tool+"|", id), id
		}
		w.key = keySpan
		buf = append(append(append(buf[:0], "UltraViewer: "...), dir...), " connection, partner ID "...)
		buf = append(append(append(append(buf, x.id...), " ("...), x.name...), ')')
		w.summary = txt.Add(buf)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "read: %v", err)
	}
	res.Errors = errs.Result()
	if stamped > 0 {
		res.FirstTime, res.LastTime = session.T(first.Time()), session.T(last.Time())
	}
	if res.Lines > 0 && stamped == 0 {
		return res, fmt.Errorf("%s: %s: no line with an UltraViewer time (MM/DD/YYYY hh:mm:ss AM/PM)", name, in.Path)
	}
	if rows.Len() > 0 {
		res.Sessions = build(&rows, txt, in.Path, rule)
	}
	return res, nil
}

// build makes the records of the rows: the records in one exact-size
// slice, their evidence and times cut from slabs.
func build(rows *logkit.Rows[uvRow], txt *logkit.Text, path, rule string) []session.Record {
	var (
		evs   logkit.Slab[evidence.Evidence]
		times logkit.Slab[time.Time]
	)
	recs := make([]session.Record, rows.Len())
	for i := range recs {
		w := rows.At(i)
		st := &times.Alloc(1)[0]
		*st = w.start.Time()
		r := &recs[i]
		r.Tool, r.Parser, r.Direction, r.Outcome = tool, name, dirs[w.dir], session.Established
		r.Start, r.TimeRule, r.Open = st, rule, true
		r.RemoteID, r.RemoteName, r.Key = txt.Str(w.id), txt.Str(w.name), txt.Str(w.key)
		// Shared, capacity-capped note lists: an append by a caller copies.
		r.Notes = notesKnown[:2:2]
		if w.dir == 0 {
			r.Notes = notesUnknown[:3:3]
		}
		ev := evs.Alloc(1)
		e := &ev[0]
		e.Kind, e.Scanner, e.Summary, e.Path = evidence.KindLogLine, name, txt.Str(w.summary), path
		e.Line, e.Offset, e.Raw, e.Time = w.n, w.off, evidence.Clip(txt.Str(w.line)), st
		e.Fields = fieldsNoName
		if w.name.Len() > 0 {
			e.Fields = fieldsName
		}
		r.Evidence = ev
	}
	return recs
}
