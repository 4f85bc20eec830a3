// Package freerdpshadow reads the log (stderr, WLog format) of FreeRDP's
// shadow server, freerdp-shadow-cli, which shares the existing X desktop over
// RDP, and reconstructs one session record per client connection.
//
// Format: `[HH:MM:SS:mmm] [PID:TID] [LEVEL][tag] - message`: time of day only,
// no date and no zone. The date is taken from Input.Modified (the file's last
// write ≈ its last line), counting back one day at every midnight rollover
// between lines; the time of day is read in Input.Location. When Modified is
// unknown no time is given. Lines of libraries (`[libx264 @ 0x…] …`) have no
// time at all.
//
// freerdp-shadow-cli serves each client in its own thread, so the thread id
// is the connection. At the default WARN level the log does not name the
// client's address nor its connection time; what it shows:
//
//   - `Client from IP is activated (WxH@BPP)` (INFO level) → established,
//     remote IP;
//   - an input callback line from the client's thread (e.g.
//     `x11_shadow_input_synchronize_event not implemented`): input is handled
//     only after activation and only when clients may interact → established;
//   - the H.264 encoder starting (libx264 lines) while exactly one connection
//     is open → established (frames of the desktop are being encoded for it);
//   - `client authentication failure`, `pam_authenticate failure`, an NLA
//     `AcceptSecurityContext status … LOGON` error → failed_auth;
//   - `peer_recv_callback: … fail` in CONNECTION_STATE_INITIAL/NEGO/NLA
//     → attempt_only (negotiation failed);
//   - `Failed to check FreeRDP file descriptor` (the client thread's loop
//     ends) closes the connection; transport errors just before it give the
//     end time.
//
// A connection's start is the first line its thread logged: at WARN level the
// real start is earlier, and the record says so.
//
// Join key: "freerdp|<remote ip>|0" when the activation line names the client
// (no port is logged), else "freerdp|thread:<pid>:<tid>".
package freerdpshadow

import (
	"bytes"
	"fmt"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const name = "freerdp-shadow"

// Parser reads freerdp-shadow-cli logs.
type Parser struct{}

// New returns the freerdp-shadow parser.
func New() *Parser { return &Parser{} }

// Name is the parser id.
func (*Parser) Name() string { return name }

// Tool is the signature id.
func (*Parser) Tool() string { return "freerdp" }

var serverTags = []string{"[com.freerdp.server.shadow", "[com.freerdp.client.shadow]", "[com.freerdp.core.peer]",
	"x11_shadow_", "shadow_client_", "shadow_server"}

// Sniff recognises a freerdp-shadow-cli log.
func (*Parser) Sniff(head []byte, fname string) bool {
	h := logkit.TextHead(head)
	wlog := bytes.Contains(h, []byte("][com.freerdp.")) && len(h) > 0 && h[0] == '['
	if wlog {
		for _, t := range serverTags {
			if bytes.Contains(h, []byte(t)) {
				return true
			}
		}
	}
	low := strings.ToLower(fname)
	return strings.Contains(low, "shadow") && strings.Contains(low, "freerdp") && (len(h) == 0 || wlog)
}

// stamp is a time of day plus a day index counted from the first line.
type stamp struct {
	ok  bool
	day int
	tod time.Duration
}

type conn struct {
	seq      int
	rec      session.Record
	pid, tid string
	ip       string
	start    stamp
	end      stamp
	ended    bool
	closed   bool
	est      bool
	failed   bool
	nego     bool
	reason   string
	syncN    int
	evSt     []stamp // the time of each evidence item, resolved at the end
}

func (c *conn) note(s string) { c.rec.Notes = append(c.rec.Notes, s) }

type state struct {
	in   sessionlog.Input
	loc  *time.Location
	zone string
	r    *lineio.Reader
	line []byte
	errs logkit.ErrList

	day      int
	prevTod  time.Duration
	havePrev bool
	cur      stamp
	minSt    stamp
	maxSt    stamp

	seq    int
	open   []*conn
	st     logkit.Store
	pool   []*conn
	fixes  [][]fix // per record (seq-1), in chunks: what finish() still has to date
	stamps []stamp // arena for the evidence stamps of finished records
	intern logkit.Interner
	byTid  map[string]*conn // open connections by "pid:tid"
	key    []byte
	x264   bool
	le     logkit.LineEvidence
}

// Parse reads a freerdp-shadow-cli log.
func (p *Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	if in.R == nil {
		return sessionlog.Result{}, fmt.Errorf("%s: no reader", name)
	}
	s := &state{in: in, byTid: map[string]*conn{}, intern: logkit.Interner{}, le: logkit.LineEvidence{Scanner: name, Path: in.Path}}
	s.loc, s.zone = logkit.Zone(in.Location)
	r, err := logkit.OpenText(in.R)
	if err != nil {
		return sessionlog.Result{}, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	s.r = r
	for s.r.Next() {
		s.line = s.r.Bytes()
		if s.r.Truncated() {
			s.errs.Add(s.r.N(), s.r.Offset(), "line longer than %d bytes, cut", lineio.MaxLine)
		}
		s.step()
	}
	if err := s.r.Err(); err != nil {
		s.errs.Add(s.r.N(), s.r.Offset(), "read error: %v", err)
	}
	for len(s.open) > 0 {
		s.close(s.open[0])
	}
	return s.finish(), nil
}

// parseTod: "[HH:MM:SS:mmm]".
func parseTod(b []byte) (time.Duration, bool) {
	if len(b) < 14 || b[0] != '[' || b[3] != ':' || b[6] != ':' || b[9] != ':' || b[13] != ']' {
		return 0, false
	}
	h, ok1 := logkit.Atoi(b[1:3])
	m, ok2 := logkit.Atoi(b[4:6])
	sec, ok3 := logkit.Atoi(b[7:9])
	ms, ok4 := logkit.Atoi(b[10:13])
	if !(ok1 && ok2 && ok3 && ok4) || h > 23 || m > 59 || sec > 60 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
		time.Duration(ms)*time.Millisecond, true
}

func (s *state) step() {
	l := s.line
	if len(l) == 0 {
		return
	}
	tod, ok := parseTod(l)
	if !ok {
		if bytes.HasPrefix(l, []byte("[libx264 @ ")) {
			s.onX264(l)
			return
		}
		if l[0] == '[' && len(l) > 1 && l[1] >= '0' && l[1] <= '9' {
			s.errs.Add(s.r.N(), s.r.Offset(), "malformed timestamp")
		} else if i := logkit.CtlIndex(l); i >= 0 {
			s.errs.Add(s.r.N(), s.r.Offset()+int64(i), "non-text byte 0x%02x in line", l[i])
		}
		return
	}
	// Threads write out of order by up to a second or so; only a big step
	// back is a new day.
	if s.havePrev && tod+time.Hour < s.prevTod {
		s.day++
	}
	s.prevTod, s.havePrev = tod, true
	s.cur = stamp{ok: true, day: s.day, tod: tod}
	if !s.minSt.ok || less(s.cur, s.minSt) {
		s.minSt = s.cur
	}
	if !s.maxSt.ok || less(s.maxSt, s.cur) {
		s.maxSt = s.cur
	}
	rest := bytes.TrimLeft(l[14:], " ")
	// "[PID:TID] [LEVEL][tag] - message"
	if len(rest) == 0 || rest[0] != '[' {
		return
	}
	i := bytes.IndexByte(rest, ']')
	if i < 0 {
		return
	}
	thread := rest[1:i]
	if bytes.IndexByte(thread, ':') < 0 {
		return
	}
	rest = bytes.TrimLeft(rest[i+1:], " ")
	var level, tag []byte
	if len(rest) > 0 && rest[0] == '[' {
		if j := bytes.IndexByte(rest, ']'); j > 0 {
			level = rest[1:j]
			rest = rest[j+1:]
		}
	}
	if len(rest) > 0 && rest[0] == '[' {
		if j := bytes.IndexByte(rest, ']'); j > 0 {
			tag = rest[1:j]
			rest = rest[j+1:]
		}
	}
	_ = level
	msg := bytes.TrimPrefix(bytes.TrimLeft(rest, " "), []byte("- "))
	s.onLine(thread, tag, msg)
}

func less(a, b stamp) bool { return a.day < b.day || (a.day == b.day && a.tod < b.tod) }

func (s *state) onLine(threadB, tag, msg []byte) {
	if bytes.HasPrefix(tag, []byte("com.freerdp.channels.")) {
		return // channel threads are not client threads
	}
	get := func() *conn {
		if c := s.byTid[string(threadB)]; c != nil {
			return c
		}
		thread := string(threadB)
		pid, tid, _ := strings.Cut(thread, ":")
		s.seq++
		var c *conn
		if n := len(s.pool); n > 0 {
			c, s.pool = s.pool[n-1], s.pool[:n-1]
		} else {
			c = &conn{}
		}
		c.seq, c.pid, c.tid, c.start = s.seq, pid, tid, s.cur
		c.rec = session.Record{Tool: "freerdp", Parser: name, Direction: session.Incoming}
		c.rec.Evidence, c.rec.Notes = s.st.Buffers()
		c.note("start = the first line logged by this connection's thread (see the key); at the default WARN level the connection began earlier")
		s.byTid[thread] = c
		s.open = append(s.open, c)
		return c
	}
	switch {
	case bytes.HasPrefix(msg, []byte("Client from ")) && bytes.Contains(msg, []byte(" is activated")):
		c := get()
		if i := bytes.Index(msg, []byte(" is activated")); i > len("Client from ") {
			ip := string(msg[len("Client from "):i])
			c.ip, c.rec.RemoteIP = ip, ip
		}
		c.est = true
		s.add(c, "client activated: the desktop is shown to it", "outcome", "remote_ip")
	case bytes.Contains(tag, []byte("server.shadow")) && bytes.Contains(msg, []byte("_input_")):
		c := get()
		if bytes.Contains(msg, []byte("synchronize")) {
			c.syncN++
		}
		if !c.est {
			c.est = true
			s.add(c, "input event from the client handled (only after activation, when clients may interact)", "outcome")
		}
	case bytes.Contains(msg, []byte("client authentication failure")) || bytes.Contains(msg, []byte("pam_authenticate failure")) ||
		(bytes.Contains(msg, []byte("AcceptSecurityContext status")) && bytes.Contains(msg, []byte("LOGON"))):
		c := get()
		if !c.failed {
			c.failed = true
			c.rec.AuthMethod = "password"
			s.add(c, "client authentication failed", "outcome")
		}
	case bytes.HasPrefix(msg, []byte("peer_recv_callback:")) && bytes.Contains(msg, []byte("fail")):
		c := get()
		if !c.est && !c.nego {
			c.nego = true
			c.reason = s.intern.Cat("connection negotiation failed: ", bytes.TrimSpace(msg[len("peer_recv_callback:"):]))
			s.add(c, "RDP negotiation failed", "outcome")
		}
	case bytes.HasPrefix(msg, []byte("Failed to check FreeRDP file descriptor")):
		c := get()
		s.end(c)
		c.closed = true
		s.close(c)
	case bytes.HasPrefix(tag, []byte("com.freerdp.core")) && (bytes.Contains(msg, []byte("transport")) || bytes.Contains(msg, []byte("BIO_read"))):
		c := get()
		s.end(c)
	}
}

func (s *state) end(c *conn) {
	if c.ended {
		return
	}
	c.ended = true
	c.end = s.cur
	s.add(c, "the connection's thread reported a transport failure or the end of its loop: the client is gone", "end")
}

func (s *state) onX264(l []byte) {
	if s.x264 {
		return
	}
	var live []*conn
	for _, c := range s.open {
		if !c.ended {
			live = append(live, c)
		}
	}
	s.x264 = true
	if len(live) != 1 {
		return
	}
	c := live[0]
	if c.est || c.failed || c.nego {
		return
	}
	c.est = true
	st := s.cur
	s.cur = stamp{} // the line has no time
	s.add(c, "the H.264 encoder (libx264) started while this was the only open connection: desktop frames were encoded for it", "outcome")
	s.cur = st
}

func (s *state) add(c *conn, summary string, fields ...string) {
	if len(c.rec.Evidence) == 0 {
		fields = append([]string{"start"}, fields...)
	}
	// No time yet: finish() dates the evidence from evSt.
	c.rec.Evidence = append(c.rec.Evidence, s.le.Of(s.r, s.line, nil, summary, fields))
	c.evSt = append(c.evSt, s.cur)
}

func (s *state) close(c *conn) {
	for i, o := range s.open {
		if o == c {
			s.open = append(s.open[:i], s.open[i+1:]...)
			break
		}
	}
	delete(s.byTid, c.pid+":"+c.tid)
	s.x264 = false // a later encoder start belongs to a later connection
	k := (c.seq - 1) / logkit.StoreChunk
	for len(s.fixes) <= k {
		s.fixes = append(s.fixes, make([]fix, logkit.StoreChunk))
	}
	if len(s.stamps)+len(c.evSt) > cap(s.stamps) {
		s.stamps = make([]stamp, 0, max(4096, len(c.evSt)))
	}
	i := len(s.stamps)
	s.stamps = append(s.stamps, c.evSt...)
	s.fixes[k][(c.seq-1)%logkit.StoreChunk] = fix{start: c.start, end: c.end, ended: c.ended, ev: s.stamps[i:len(s.stamps):len(s.stamps)]}
	s.st.Put(c.seq, s.record(c))
	evSt := c.evSt[:0]
	*c = conn{evSt: evSt}
	s.pool = append(s.pool, c)
}

// fix is what a finished record still needs once the date is known.
type fix struct {
	start, end stamp
	ended      bool
	ev         []stamp
}

// record builds everything of a record but its times.
func (s *state) record(c *conn) session.Record {
	rec := c.rec
	if c.ip != "" {
		rec.Key = "freerdp|" + c.ip + "|0"
	} else {
		rec.Key = "freerdp|thread:" + c.pid + ":" + c.tid
	}
	if c.syncN > 0 {
		rec.Notes = append(rec.Notes, strconv.Itoa(c.syncN)+" input synchronize events (keyboard lock state) from the client")
	}
	switch {
	case c.failed:
		rec.Outcome = session.FailedAuth
	case c.est:
		rec.Outcome = session.Established
	default:
		rec.Outcome = session.AttemptOnly
		if c.reason != "" {
			rec.Notes = append(rec.Notes, c.reason)
		} else {
			rec.Notes = append(rec.Notes, "no line proves that the client was activated (the log level may hide it)")
		}
	}
	return rec
}

// finish turns day-index stamps into times anchored on Input.Modified.
func (s *state) finish() sessionlog.Result {
	res := sessionlog.Result{Lines: s.r.N(), Errors: s.errs.Result()}
	var lastDate time.Time
	dated := !s.in.Modified.IsZero() && s.maxSt.ok
	rule := ""
	if dated {
		m := s.in.Modified.In(s.loc)
		mTod := time.Duration(m.Hour())*time.Hour + time.Duration(m.Minute())*time.Minute + time.Duration(m.Second())*time.Second
		lastDate = time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, s.loc)
		// The last line was written before the file's modification time; a
		// later time of day means it was written the day before.
		if s.prevTod > mTod+time.Minute {
			lastDate = lastDate.AddDate(0, 0, -1)
		}
		rule = fmt.Sprintf("time of day without date or zone ([HH:MM:SS:ms]) in freerdp-shadow log; date taken from the file's modification time (%s), counting midnight rollovers back from the last line; read as %s",
			lastDate.Format("2006-01-02"), s.zone)
	} else {
		rule = "time of day without date or zone in freerdp-shadow log and no file modification time: times left empty"
	}
	ly, lm, ld := lastDate.Date()
	var prev stamp
	var prevT *time.Time
	conv := func(st stamp) *time.Time {
		if !dated || !st.ok {
			return nil
		}
		if prevT != nil && st == prev {
			return prevT
		}
		tod := st.tod
		h := int(tod / time.Hour)
		mi := int(tod % time.Hour / time.Minute)
		sec := int(tod % time.Minute / time.Second)
		ns := int(tod % time.Second)
		// time.Date normalises a day before the 1st into the previous month.
		t := time.Date(ly, lm, ld+st.day-s.day, h, mi, sec, ns, s.loc).UTC()
		prev, prevT = st, &t
		return prevT
	}
	res.FirstTime, res.LastTime = conv(s.minSt), conv(s.maxSt)
	res.Sessions = s.st.Records(s.seq)
	for i := range res.Sessions {
		rec, fx := &res.Sessions[i], &s.fixes[i/logkit.StoreChunk][i%logkit.StoreChunk]
		for j, st := range fx.ev {
			rec.Evidence[j].Time = conv(st)
		}
		rec.TimeRule = rule
		rec.Start = conv(fx.start)
		if fx.ended {
			rec.End = conv(fx.end)
		}
		rec.Finish()
		if !dated {
			rec.Open = !fx.ended
		}
		if rec.Open {
			rec.Notes = append(rec.Notes, "no end logged: the client is still connected or the log stops before its end")
		}
	}
	return res
}
