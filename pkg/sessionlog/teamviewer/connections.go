package teamviewer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

// ConnectionsIncoming parses Connections_incoming.txt (session-artifacts.md
// §2.2): tab separated, UTC, one established incoming session per row:
//
//	<remote ID> \t <remote name> \t DD-MM-YYYY HH:MM:SS \t <end> \t <local user> \t <type> \t <GUID> \t
type ConnectionsIncoming struct{}

func (ConnectionsIncoming) Name() string { return "teamviewer-connections-incoming" }
func (ConnectionsIncoming) Tool() string { return tool }

// Connections parses Connections.txt, the outgoing-connection list (no remote
// name column, columns padded with spaces in TV15):
//
//	<partner ID>   DD-MM-YYYY HH:MM:SS   <end>   <local user>   <type>   <GUID>
type Connections struct{}

func (Connections) Name() string { return "teamviewer-connections" }
func (Connections) Tool() string { return tool }

func (ConnectionsIncoming) Sniff(head []byte, name string) bool { return sniffConn(head, true) }
func (Connections) Sniff(head []byte, name string) bool         { return sniffConn(head, false) }

func sniffConn(head []byte, incoming bool) bool {
	var f connSplit
	var dc dateCache
	for _, l := range bytes.Split(head, []byte{'\n'}) {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		splitConn(l, &f)
		i, _ := dateField(l, &f, &dc)
		if i < 0 || !isNum(f.field(l, 0)) {
			return false
		}
		// The incoming file has the name column (tab separated), the
		// outgoing one has none.
		return incoming == (i == 2 && bytes.IndexByte(l, '\t') >= 0)
	}
	return false
}

const connLayout = "02-01-2006 15:04:05"

// maxConnFields: a row is read from its first seven fields at most (ID,
// name, start, end, local user, type, GUID).
const maxConnFields = 7

// connSplit is a row split into fields: the bounds of the first
// maxConnFields fields (spaces trimmed) in the line, and the field count.
type connSplit struct {
	a, b [maxConnFields]int
	n    int
}

func (f *connSplit) field(l []byte, i int) []byte { return l[f.a[i]:f.b[i]] }

// splitConn splits on tabs when the row has any (trailing empty fields
// dropped), else on runs of ≥ 2 spaces (empty fields dropped); each field
// is trimmed of white space.
func splitConn(l []byte, f *connSplit) {
	f.n = 0
	if bytes.IndexByte(l, '\t') >= 0 {
		k, last, i := 0, 0, 0
		field := func(j int) {
			a, b := logkit.TrimIdx(l, i, j)
			if k < maxConnFields {
				f.a[k], f.b[k] = a, b
			}
			k++
			if a < b {
				last = k
			}
			i = j + 1
		}
		// Tabs found eight bytes at a time.
		w := 0
		for ; w+8 <= len(l); w += 8 {
			for m := logkit.ByteMask(binary.LittleEndian.Uint64(l[w:]), '\t'); m != 0; m &= m - 1 {
				field(w + bits.TrailingZeros64(m)/8)
			}
		}
		for ; w < len(l); w++ {
			if l[w] == '\t' {
				field(w)
			}
		}
		field(len(l))
		f.n = last
		return
	}
	for i := 0; ; {
		j := bytes.Index(l[i:], []byte("  "))
		end := len(l)
		if j >= 0 {
			end = i + j
		}
		if a, b := logkit.TrimIdx(l, i, end); a < b {
			if f.n < maxConnFields {
				f.a[f.n], f.b[f.n] = a, b
			}
			f.n++
		}
		if j < 0 {
			break
		}
		i = end + 2
	}
}

// isNum: digits, spaces allowed between them.
func isNum(s []byte) bool {
	digits := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c != ' ':
			return false
		}
	}
	return digits
}

// dateField is the index of the first of the first three fields that is a
// date, and that date.
func dateField(l []byte, f *connSplit, dc *dateCache) (int, logkit.Stamp) {
	for i := 0; i < f.n && i <= 2; i++ {
		if x := f.field(l, i); dateShaped(x) {
			if t, ok := dc.parse(x); ok {
				return i, t
			}
		}
	}
	return -1, logkit.Stamp{}
}

// dateShaped is a cheap "DD-MM-YYYY hh:mm:ss" shape test: a failed
// time.Parse allocates its error, and most fields are not dates.
func dateShaped(x []byte) bool {
	return len(x) == 19 && x[2] == '-' && x[5] == '-' && x[10] == ' ' && x[13] == ':' && x[16] == ':'
}

// dateCache remembers the last date read (a row's start and end, and rows
// next to each other, mostly fall on the same day).
type dateCache struct {
	date [10]byte
	days int64
	ok   bool
}

func digit2(b []byte) (int, bool) {
	return int(b[0]-'0')*10 + int(b[1]-'0'), b[0] >= '0' && b[0] <= '9' && b[1] >= '0' && b[1] <= '9'
}

// parse is time.Parse(connLayout, x): digits in every place are read by
// hand (with time.Parse's range checks), anything else goes to time.Parse.
func (dc *dateCache) parse(x []byte) (logkit.Stamp, bool) {
	if dateShaped(x) {
		h, ok1 := digit2(x[11:])
		mi, ok2 := digit2(x[14:])
		s, ok3 := digit2(x[17:])
		if ok1 && ok2 && ok3 {
			if dc.ok && string(x[:10]) == string(dc.date[:]) {
				if h > 23 || mi > 59 || s > 59 {
					return logkit.Stamp{}, false
				}
				return logkit.Stamp{Sec: dc.days*86400 + int64(h*3600+mi*60+s)}, true
			}
			d, ok4 := digit2(x[0:])
			mo, ok5 := digit2(x[3:])
			y1, ok6 := digit2(x[6:])
			y2, ok7 := digit2(x[8:])
			if ok4 && ok5 && ok6 && ok7 {
				y := y1*100 + y2
				if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
					return logkit.Stamp{}, false
				}
				dc.days, dc.ok = logkit.DaysOf(y, mo, d), true
				copy(dc.date[:], x)
				return logkit.Stamp{Sec: dc.days*86400 + int64(h*3600+mi*60+s)}, true
			}
		}
	}
	t, err := time.Parse(connLayout, string(x))
	return logkit.StampOf(t), err == nil
}

func daysIn(mo, y int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// connFields[has remote name][has local user][has transfer]: shared,
// read-only evidence field lists.
var connFields = func() (t [2][2][2][]string) {
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 2; c++ {
				f := []string{"start", "end", "direction", "outcome", "remote_id"}
				if a == 1 {
					f = append(f, "remote_name")
				}
				if b == 1 {
					f = append(f, "local_user")
				}
				if c == 1 {
					f = append(f, "transfers")
				}
				t[a][b][c] = f[:len(f):len(f)]
			}
		}
	}
	return t
}()

func (ConnectionsIncoming) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseConn(in, ConnectionsIncoming{}.Name(), session.Incoming)
}

func (Connections) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseConn(in, Connections{}.Name(), session.Outgoing)
}

// connRow is one row while the file streams (no pointers: see logkit).
type connRow struct {
	line, id, name, user, key, dur, typeNote, guidNote logkit.Span
	start, end                                         logkit.Stamp
	n                                                  int
	off                                                int64
	transfer                                           bool
}

func parseConn(in sessionlog.Input, name string, dir session.Direction) (sessionlog.Result, error) {
	var res sessionlog.Result
	var errs logkit.ErrList
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", name)
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	var (
		txt         = new(logkit.Text)
		rows        logkit.Rows[connRow]
		f           connSplit
		dc          dateCache
		idBuf       []byte
		first, last logkit.Stamp
		typeSpan    logkit.Span // the last type note, reused while it repeats
		keySpan     logkit.Span // the last key, reused while the ID repeats
		lastID      []byte
		durSpan     logkit.Span // the last duration, reused while it repeats
		lastDur     time.Duration
	)
	// key(dir, id, ""): the ID has no spaces and is never empty.
	keyPrefix := tool + "|" + string(dir) + "|"
	for rd.Next() {
		l := rd.Bytes()
		if a, b := logkit.TrimIdx(l, 0, len(l)); a == b {
			continue
		}
		splitConn(l, &f)
		di, start := dateField(l, &f, &dc)
		if di < 1 || !isNum(f.field(l, 0)) || f.n < di+2 {
			errs.Add(rd.N(), rd.Offset(), "not a TeamViewer connections row")
			continue
		}
		end, ok := dc.parse(f.field(l, di+1))
		if !ok {
			errs.Add(rd.N(), rd.Offset(), "bad end time in connections row")
			continue
		}
		if rows.Len() == 0 || start.Before(first) {
			first = start
		}
		if rows.Len() == 0 || last.Before(end) {
			last = end
		}
		w := rows.Add()
		w.start, w.end, w.n, w.off = start, end, rd.N(), rd.Offset()
		w.line = txt.Add(l)
		sub := func(i int) logkit.Span { return w.line.Sub(f.a[i], f.b[i]) }
		if id := f.field(l, 0); bytes.IndexByte(id, ' ') < 0 {
			w.id = sub(0)
		} else {
			idBuf = idBuf[:0]
			for _, c := range id {
				if c != ' ' {
					idBuf = append(idBuf, c)
				}
			}
			w.id = txt.Add(idBuf)
		}
		if id := txt.Bytes(w.id); keySpan.Len() == 0 || !bytes.Equal(id, lastID) {
			keySpan, lastID = txt.Cat(keyPrefix, id), id
		}
		w.key = keySpan
		if di >= 2 {
			w.name = sub(1)
		}
		rest := f.n - (di + 2)
		if rest > 0 {
			if u := f.field(l, di+2); len(u) > 0 && string(u) != "<unknown>" {
				w.user = sub(di + 2)
			}
		}
		if rest > 1 {
			if t := f.field(l, di+3); len(t) > 0 {
				if typeSpan.Len() == 0 || !bytes.Equal(txt.Bytes(typeSpan)[len("connection type "):], t) {
					typeSpan = txt.Cat("connection type ", t)
				}
				w.typeNote = typeSpan
				w.transfer = bytes.EqualFold(t, []byte("Filetransfer"))
			}
		}
		if rest > 2 {
			if g := f.field(l, di+4); len(g) > 0 {
				w.guidNote = txt.Cat("connection GUID ", g)
			}
		}
		// Record.Finish's duration.
		if !end.Before(start) {
			if d := end.Sub(start); d != lastDur || durSpan.Len() == 0 {
				lastDur, durSpan = d, txt.Duration(d)
			}
			w.dur = durSpan
		}
	}
	res.Sessions = buildConn(&rows, txt, in.Path, name, dir)
	if rows.Len() > 0 {
		res.FirstTime, res.LastTime = session.T(first.Time()), session.T(last.Time())
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "%v", err)
	}
	// Capped: a garbage or binary file must not give one error per line.
	res.Errors = errs.Result()
	if rows.Len() == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%s: %s: no connections row (first problem at offset %d)", name, in.Path, res.Errors[0].Offset)
	}
	return res, nil
}

// buildConn makes the records of the rows: the records in one exact-size
// slice, their parts cut from slabs.
func buildConn(rows *logkit.Rows[connRow], txt *logkit.Text, path, name string, dir session.Direction) []session.Record {
	rule := "UTC as written (Connections_incoming.txt)"
	if dir == session.Outgoing {
		rule = "UTC as written (Connections.txt; assumed UTC like Connections_incoming.txt)"
	}
	summary := name + " row"
	var (
		evs   logkit.Slab[evidence.Evidence]
		times logkit.Slab[time.Time]
		notes logkit.Slab[string]
		xfers logkit.Slab[session.Transfer]
	)
	recs := make([]session.Record, rows.Len())
	for i := range recs {
		w := rows.At(i)
		tm := times.Alloc(2)
		tm[0], tm[1] = w.start.Time(), w.end.Time()
		st, en := &tm[0], &tm[1]
		r := &recs[i]
		r.Tool, r.Parser, r.Direction, r.Outcome = tool, name, dir, session.Established
		r.Start, r.End, r.TimeRule = st, en, rule
		r.RemoteID, r.RemoteName, r.LocalUser = txt.Str(w.id), txt.Str(w.name), txt.Str(w.user)
		if k := b2i(w.typeNote.Len() > 0) + b2i(w.guidNote.Len() > 0); k > 0 {
			nt := notes.Alloc(k)[:0]
			for _, sp := range [2]logkit.Span{w.typeNote, w.guidNote} {
				if sp.Len() > 0 {
					nt = append(nt, txt.Str(sp))
				}
			}
			r.Notes = nt
		}
		if w.transfer {
			x := xfers.Alloc(1)
			x[0] = session.Transfer{Time: st, Direction: "unknown", Line: w.n}
			r.Transfers = x
		}
		r.Key, r.Duration = txt.Str(w.key), txt.Str(w.dur)
		ev := evs.Alloc(1)
		e := &ev[0]
		e.Kind, e.Scanner, e.Summary, e.Path = evidence.KindLogLine, name, summary, path
		e.Line, e.Offset, e.Raw, e.Time = w.n, w.off, evidence.Clip(txt.Str(w.line)), st
		e.Fields = connFields[b2i(w.name.Len() > 0)][b2i(w.user.Len() > 0)][b2i(w.transfer)]
		r.Evidence = ev
	}
	return recs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
