package anydesk

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

// ConnectionTrace parses connection_trace.txt (session-artifacts.md §1.3):
//
//	Incoming    2024-02-16, 20:29    User      221436813    221436813
//	Incoming     2014-11-26, 04:38   Token       user2@ad 123456
//
// Columns: direction, "YYYY-MM-DD, HH:MM" (UTC, minute resolution), method,
// remote alias and remote ID. Separated by runs of spaces or tabs; the alias
// may contain single spaces. Recent versions write UTF-16LE without BOM.
// User/Passwd/Token = accepted (T3), REJECTED = declined by the local user.
// Each row is one session; its end is not recorded.
type ConnectionTrace struct{}

func (ConnectionTrace) Name() string { return "anydesk-connection-trace" }
func (ConnectionTrace) Tool() string { return tool }

// Sniff: a row starts with Incoming/Outgoing followed by the date.
func (ConnectionTrace) Sniff(head []byte, name string) bool {
	if len(head) >= 4 && head[1] == 0 && head[3] == 0 || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		var b []byte
		for i := 0; i+1 < len(head); i += 2 {
			if head[i] != 0xFF && head[i] != 0xFE {
				b = append(b, head[i])
			}
		}
		head = b
	}
	head = bytes.TrimLeft(head, "\x00\xef\xbb\xbf \r\n")
	if !bytes.HasPrefix(head, []byte("Incoming")) && !bytes.HasPrefix(head, []byte("Outgoing")) {
		return false
	}
	_, ok := parseDateMinute(bytes.TrimLeft(head[8:], " \t"))
	return ok
}

const connRule = "UTC as written (connection_trace.txt, minute resolution)"

// connRow is one row while the file streams (no pointers: see logkit).
type connRow struct {
	line, id, alias, key, unknown logkit.Span // unknown: the note on an unknown method
	start                         int64       // Unix seconds
	n                             int
	off                           int64
	out                           bool // Outgoing, else Incoming
	method                        uint8
}

// connection_trace methods
const (
	mUnknown uint8 = iota
	mUser
	mPasswd
	mToken
	mRejected
)

func (ConnectionTrace) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := ConnectionTrace{}
	rd, err := open(p.Name(), in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	var (
		res         sessionlog.Result
		errs        logkit.ErrList
		txt         = new(logkit.Text)
		rows        logkit.Rows[connRow]
		first, last int64
		dc          minuteCache
		buf         []byte
		keySpan     logkit.Span // the last key, reused while it repeats
		keyDir      session.Direction
		keyID       []byte
	)
	for rd.Next() {
		raw := rd.Bytes()
		a, b := logkit.TrimIdx(raw, 0, len(raw))
		if a == b {
			continue
		}
		l := raw[a:b]
		var dir session.Direction
		switch {
		case bytes.HasPrefix(l, []byte("Incoming")):
			dir = session.Incoming
		case bytes.HasPrefix(l, []byte("Outgoing")):
			dir = session.Outgoing
		default:
			errs.Add(rd.N(), rd.Offset(), "not a connection_trace row")
			continue
		}
		rest := trimBlank(l[8:])
		t, ok := dc.parse(rest)
		if !ok {
			errs.Add(rd.N(), rd.Offset(), "bad date in connection_trace row")
			continue
		}
		if rows.Len() == 0 || t < first {
			first = t
		}
		if rows.Len() == 0 || t > last {
			last = t
		}
		w := rows.Add()
		w.start, w.n, w.off, w.out = t, rd.N(), rd.Offset(), dir == session.Outgoing
		w.line = txt.Add(raw)
		// at is the span of x, a part of raw.
		at := func(x []byte) logkit.Span {
			i := cap(raw) - cap(x)
			return w.line.Sub(i, i+len(x))
		}
		rest = trimBlank(rest[17:])
		method := rest
		if k := blank(rest); k >= 0 {
			i, j := logkit.TrimIdx(rest, k, len(rest))
			method, rest = rest[:k], rest[i:j]
		} else {
			rest = nil
		}
		switch {
		case bytes.EqualFold(method, []byte("user")):
			w.method = mUser
		case bytes.EqualFold(method, []byte("passwd")):
			w.method = mPasswd
		case bytes.EqualFold(method, []byte("token")):
			w.method = mToken
		case bytes.EqualFold(method, []byte("rejected")):
			w.method = mRejected
		default:
			buf = strconv.AppendQuote(append(buf[:0], "unknown connection_trace method "...), string(method))
			w.unknown = txt.Add(buf)
		}
		// Remote: "<alias> <id>" or "<id> <id>"; the ID is the last
		// token, the alias the others joined by one space.
		if len(rest) > 0 {
			id, alias, joined := lastField(rest, &buf)
			w.id = at(id)
			switch {
			case bytes.Equal(alias, id):
			case !joined:
				w.alias = at(alias)
			default:
				w.alias = txt.Add(alias)
			}
		}
		if id := txt.Bytes(w.id); len(id) > 0 {
			if keySpan.Len() == 0 || keyDir != dir || !bytes.Equal(id, keyID) {
				keySpan, keyDir, keyID = txt.Cat(tool+"|"+string(dir)+"|", id), dir, id
			}
			w.key = keySpan
		}
	}
	res.Sessions = buildConnTrace(&rows, txt, in.Path)
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "%v", err)
	}
	// Capped: a garbage or binary file must not give one error per line.
	res.Errors = errs.Result()
	if rows.Len() > 0 {
		res.FirstTime, res.LastTime = session.T(time.Unix(first, 0)), session.T(time.Unix(last, 0))
	}
	if rows.Len() == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%s: %s: no connection_trace row (first problem at offset %d)", p.Name(), in.Path, res.Errors[0].Offset)
	}
	return res, nil
}

// lastField splits b (trimmed, not empty) as bytes.Fields would, and returns
// its last field and the others joined by one space. The alias is a part of
// b unless joined is set (then it is in *buf).
func lastField(b []byte, buf *[]byte) (last, alias []byte, joined bool) {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			f := bytes.Fields(b)
			*buf = append((*buf)[:0], bytes.Join(f[:len(f)-1], []byte(" "))...)
			// b is trimmed: its last field ends it (b[…:] keeps the
			// capacity the caller's offsets are counted from).
			return b[len(b)-len(f[len(f)-1]):], *buf, true
		}
	}
	// ASCII: fields end at the ASCII white space bytes.Fields splits on.
	i := len(b)
	for i > 0 && !asciiSpace(b[i-1]) {
		i--
	}
	last = b[i:]
	for i > 0 && asciiSpace(b[i-1]) {
		i--
	}
	alias = b[:i]
	if len(alias) == 0 {
		return last, nil, false
	}
	for j, c := range alias {
		if asciiSpace(c) && (c != ' ' || asciiSpace(alias[j+1])) {
			*buf = append((*buf)[:0], bytes.Join(bytes.Fields(alias), []byte(" "))...)
			return last, *buf, true
		}
	}
	return last, alias, false
}

// trimBlank is bytes.TrimLeft(b, " \t").
func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// blank is bytes.IndexAny(b, " \t").
func blank(b []byte) int {
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return i
		}
	}
	return -1
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// minuteCache reads "YYYY-MM-DD, HH:MM" as parseDateMinute does, to Unix
// seconds, remembering the last day.
type minuteCache struct {
	date [10]byte
	days int64
	ok   bool
}

func (c *minuteCache) parse(b []byte) (int64, bool) {
	if len(b) < 17 || b[4] != '-' || b[7] != '-' || b[10] != ',' || b[11] != ' ' || b[14] != ':' {
		return 0, false
	}
	h, ok4 := num2(b[12:])
	mi, ok5 := num2(b[15:])
	if !ok4 || !ok5 || h > 23 || mi > 59 {
		return 0, false
	}
	if !c.ok || string(b[:10]) != string(c.date[:]) {
		y, ok1 := num4(b)
		mo, ok2 := num2(b[5:])
		d, ok3 := num2(b[8:])
		if !(ok1 && ok2 && ok3) || mo < 1 || mo > 12 || d < 1 || d > 31 {
			return 0, false
		}
		// time.Date's normalisation: a day past the month's end runs on.
		c.days, c.ok = logkit.DaysOf(y, mo, d), true
		copy(c.date[:], b)
	}
	return c.days*86400 + int64(h*3600+mi*60), true
}

// buildConnTrace makes the records of the rows: the records in one
// exact-size slice, their parts cut from slabs.
func buildConnTrace(rows *logkit.Rows[connRow], txt *logkit.Text, path string) []session.Record {
	var (
		evs   logkit.Slab[evidence.Evidence]
		times logkit.Slab[time.Time]
		notes logkit.Slab[string]
	)
	name := ConnectionTrace{}.Name()
	recs := make([]session.Record, rows.Len())
	for i := range recs {
		w := rows.At(i)
		st := &times.Alloc(1)[0]
		*st = time.Unix(w.start, 0).UTC()
		r := &recs[i]
		r.Tool, r.Parser, r.Direction, r.Start, r.TimeRule, r.MinuteTimes = tool, name, session.Incoming, st, connRule, true
		if w.out {
			r.Direction = session.Outgoing
		}
		r.RemoteID, r.RemoteName, r.Key = txt.Str(w.id), txt.Str(w.alias), txt.Str(w.key)
		// Shared read-only slices (len == cap, so an append copies).
		r.Notes = notesNoEnd
		switch w.method {
		case mUser:
			r.Outcome, r.AuthMethod = session.Established, "interactive (accepted by the local user)"
		case mPasswd:
			r.Outcome, r.AuthMethod = session.Established, "password"
			r.Notes = notesPasswd
		case mToken:
			r.Outcome, r.AuthMethod = session.Established, "token"
		case mRejected:
			r.Outcome = session.Rejected
		default:
			r.Outcome = session.AttemptOnly
			nt := notes.Alloc(2)
			nt[0], nt[1] = txt.Str(w.unknown), notesNoEnd[0]
			r.Notes = nt
		}
		// Record.Finish, then Open = false: the row is complete; this
		// artifact never records an end.
		ev := evs.Alloc(1)
		e := &ev[0]
		e.Kind, e.Scanner, e.Summary, e.Path = evidence.KindLogLine, name, "connection_trace.txt row", path
		e.Line, e.Offset, e.Raw, e.Time = w.n, w.off, evidence.Clip(txt.Str(w.line)), st
		e.Fields = rowFields[b2i(w.alias.Len() > 0)][b2i(r.AuthMethod != "")]
		r.Evidence = ev
	}
	return recs
}

// Shared, read-only field and note lists of connection_trace rows (len ==
// cap, so a later append copies instead of writing into them).
var (
	notesNoEnd  = []string{"connection_trace.txt records no end time"}
	notesPasswd = []string{"unattended-access password is configured", "connection_trace.txt records no end time"}
	// rowFields[has alias][has auth method]
	rowFields = [2][2][]string{
		{{"start", "direction", "outcome", "remote_id"}, {"start", "direction", "outcome", "remote_id", "auth_method"}},
		{{"start", "direction", "outcome", "remote_id", "remote_name"}, {"start", "direction", "outcome", "remote_id", "remote_name", "auth_method"}},
	}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
