// Package tigervnc reads the log of TigerVNC's X server (Xtigervnc / Xvnc,
// `~/.vnc/<host>:<N>.log`, written by tigervncserver) and reconstructs one
// session record per client connection.
//
// Format: TigerVNC's logger writes a ctime line (`Sat Nov 21 11:26:52 2026`,
// local time without zone, read in Input.Location) whenever the second
// changes, then ` Name: message` lines. Lines before the first time line
// have no time. The X server's own messages are interleaved without time.
//
//   - `Connections: accepted: IP::PORT` opens a connection (start).
//   - `SConnection: Client requests security type NAME(N)` gives the auth
//     method (None → "none", VncAuth → "vnc-password", Plain → "plain", …).
//   - `VNCSConnST: Server default pixel format …` is written by
//     VNCSConnectionST::authSuccess(): the client passed authentication and
//     is sent the desktop → established. `Client pixel format` and a non-zero
//     `EncodeManager: Framebuffer updates:` count at close prove it as well.
//   - `SConnection: AuthFailureException: …` or a close reason
//     `Authentication failure` → failed_auth; `Connections: blacklisted`, a
//     close reason `Too many security failures` or `Connection rejected by
//     local user` → rejected; a close before any of these → attempt_only.
//   - `VNCSConnST: closing IP::PORT: REASON` / `Connections: closed:
//     IP::PORT` end the connection.
//
// Handshake lines name no address; they go to the oldest open connection
// still at that handshake step (the server handles one message at a time).
//
// Join key: "tigervnc|<remote ip>|<remote port>".
package tigervnc

import (
	"bytes"
	"fmt"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const name = "tigervnc"

// Parser reads Xtigervnc logs.
type Parser struct{}

// New returns the TigerVNC parser.
func New() *Parser { return &Parser{} }

// Name is the parser id.
func (*Parser) Name() string { return name }

// Tool is the signature id.
func (*Parser) Tool() string { return "tigervnc" }

// Sniff recognises an Xtigervnc log from its first bytes (or its name).
func (*Parser) Sniff(head []byte, fname string) bool {
	h := logkit.TextHead(head)
	for _, m := range [...]string{"Xvnc TigerVNC", "Xtigervnc"} {
		if bytes.Contains(h, []byte(m)) {
			return true
		}
	}
	logWriter := bytes.Contains(h, []byte("\n vncext:")) || bytes.Contains(h, []byte("\n Connections: ")) ||
		bytes.Contains(h, []byte("\n SConnection: ")) || bytes.Contains(h, []byte("\n VNCSConnST: "))
	if logWriter && hasCtimeLine(h) {
		return true
	}
	low := strings.ToLower(strings.ReplaceAll(fname, "\\", "/"))
	named := (strings.Contains(low, "tigervnc") || strings.Contains(low, "xvnc") ||
		(strings.Contains(low, ".vnc/") && strings.HasSuffix(low, ".log"))) && !strings.Contains(low, "viewer")
	return named && (len(h) == 0 || logWriter || hasCtimeLine(h))
}

func hasCtimeLine(h []byte) bool {
	for len(h) > 0 {
		i := bytes.IndexByte(h, '\n')
		l := h
		if i >= 0 {
			l, h = h[:i], h[i+1:]
		} else {
			h = nil
		}
		if isCtime(bytes.TrimSuffix(l, []byte("\r"))) {
			return true
		}
	}
	return false
}

// isCtime: "Sat Nov 21 11:26:52 2026".
func isCtime(l []byte) bool {
	return len(l) == 24 && l[3] == ' ' && l[7] == ' ' && l[10] == ' ' && l[13] == ':' && l[16] == ':' && l[19] == ' ' &&
		l[0] >= 'A' && l[0] <= 'Z' && l[4] >= 'A' && l[4] <= 'Z'
}

type conn struct {
	seq      int
	rec      session.Record
	addr     string
	ip       string
	port     uint32
	proto    bool
	sec      bool
	authed   bool
	failed   bool
	rejected bool
	closing  bool
	reason   string
}

func (c *conn) note(s string) { c.rec.Notes = append(c.rec.Notes, s) }

type state struct {
	in   sessionlog.Input
	loc  *time.Location
	rule string
	r    *lineio.Reader
	line []byte
	errs logkit.ErrList

	cur         time.Time
	curOK       bool
	minKey      [16]byte // month, day, HH:MM and year of the last time line
	minT        time.Time
	minOK       bool
	first, last time.Time

	seq  int
	open []*conn
	st   logkit.Store
	le   logkit.LineEvidence
	pool []*conn // finished connections, reused
	// pathDisplay is ":N" from a "<host>:<N>.log" file name.
	pathDisplay string
	intern      logkit.Interner
	closing     *conn // the connection whose close statistics follow

	runSeen bool
	display string
	port    uint32
}

// Parse reads an Xtigervnc log.
func (p *Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	if in.R == nil {
		return sessionlog.Result{}, fmt.Errorf("%s: no reader", name)
	}
	s := &state{in: in, intern: logkit.Interner{}, pathDisplay: displayFromPath(in.Path), le: logkit.LineEvidence{Scanner: name, Path: in.Path}}
	s.loc, s.rule = logkit.Zone(in.Location)
	s.rule = "local time without zone from the time line TigerVNC writes before each block (ctime format, second precision); read as " + s.rule
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
	res := sessionlog.Result{Lines: s.r.N(), Errors: s.errs.Result()}
	if s.curOK {
		res.FirstTime, res.LastTime = session.T(s.first), session.T(s.last)
	}
	res.Sessions = s.st.Records(s.seq)
	return res, nil
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

func (s *state) onCtime(l []byte) {
	mo, ok := months[string(l[4:7])]
	d, ok1 := logkit.Atoi(bytes.TrimLeft(l[8:10], " "))
	h, ok2 := logkit.Atoi(l[11:13])
	mi, ok3 := logkit.Atoi(l[14:16])
	sec, ok4 := logkit.Atoi(l[17:19])
	y, ok5 := logkit.Atoi(l[20:24])
	if !(ok && ok1 && ok2 && ok3 && ok4 && ok5) || d < 1 || h > 23 || mi > 59 || sec > 60 {
		s.errs.Add(s.r.N(), s.r.Offset(), "invalid time line %q", l)
		return
	}
	// Zone offsets change on minute boundaries: the start of the minute is
	// converted once, the seconds are added.
	var key [16]byte
	copy(key[:12], l[4:16])
	copy(key[12:], l[20:24])
	if !s.minOK || key != s.minKey {
		m := time.Date(y, mo, d, h, mi, 0, 0, s.loc)
		if m.Day() != d {
			s.errs.Add(s.r.N(), s.r.Offset(), "invalid time line %q", l)
			return
		}
		s.minKey, s.minT, s.minOK = key, m.UTC(), true
	}
	s.cur = s.minT.Add(time.Duration(sec) * time.Second)
	if !s.curOK || s.cur.Before(s.first) {
		s.first = s.cur
	}
	if !s.curOK || s.cur.After(s.last) {
		s.last = s.cur
	}
	s.curOK = true
}

func (s *state) step() {
	l := s.line
	if len(l) == 0 {
		return
	}
	if l[0] == ' ' {
		body := l[1:]
		colon := bytes.IndexByte(body, ':')
		if colon > 0 && bytes.IndexByte(body[:colon], ' ') < 0 {
			s.logLine(body[:colon], bytes.TrimLeft(body[colon+1:], " "))
			return
		}
	}
	if isCtime(l) {
		s.onCtime(l)
		return
	}
	if i := logkit.CtlIndex(l); i >= 0 {
		s.errs.Add(s.r.N(), s.r.Offset()+int64(i), "non-text byte 0x%02x in line", l[i])
		return
	}
	if l[0] == 'X' && (bytes.HasPrefix(l, []byte("Xvnc TigerVNC ")) || bytes.HasPrefix(l, []byte("Xtigervnc TigerVNC "))) {
		if s.runSeen {
			s.endAll("a new Xtigervnc server started in this log")
		}
		s.runSeen = true
		s.display, s.port = "", 0
		return
	}
	// The remaining server lines all say "server".
	k := bytes.Index(l, []byte("server"))
	if k < 0 {
		return
	}
	rest := l[k+len("server"):]
	switch {
	case bytes.HasPrefix(rest, []byte(" '")):
		// "New Xtigervnc server 'vm:5 (root)' on port 5905 for display :5."
		i := bytes.Index(rest, []byte(" for display "))
		if i < 0 {
			return
		}
		s.display = strings.TrimSuffix(strings.TrimSpace(string(rest[i+len(" for display "):])), ".")
		if j := bytes.Index(rest, []byte(" on port ")); j >= 0 {
			f := bytes.Fields(rest[j+len(" on port "):])
			if len(f) > 0 {
				if n, err := strconv.Atoi(string(f[0])); err == nil && n > 0 && n < 65536 {
					s.port = uint32(n)
				}
			}
		}
	case bytes.HasPrefix(rest, []byte(" cleanly exited")) || bytes.HasPrefix(rest, []byte(" exited")) ||
		bytes.HasPrefix(l, []byte("Fatal server error")):
		s.endAll("the Xtigervnc server exited")
	}
}

func (s *state) logLine(logger []byte, msg []byte) {
	switch string(logger) {
	case "Connections":
		switch {
		case bytes.HasPrefix(msg, []byte("accepted: ")):
			addr, ok := s.addr(msg[len("accepted: "):])
			if !ok {
				return
			}
			c := s.newConn(string(addr))
			s.add(c, "client connection accepted", "start", "remote_ip", "remote_port")
		case bytes.HasPrefix(msg, []byte("closed: ")):
			addr, ok := s.addr(msg[len("closed: "):])
			if !ok {
				return
			}
			c := s.byAddr(addr)
			if c == nil {
				c = s.orphan(string(addr))
			}
			if c.rec.End == nil {
				c.rec.End = s.curT()
				s.add(c, "connection closed", "end")
			}
			if s.closing == c {
				s.closing = nil
			}
			s.close(c)
		case bytes.HasPrefix(msg, []byte("blacklisted: ")):
			addr, ok := s.addr(msg[len("blacklisted: "):])
			if !ok {
				return
			}
			c := s.newConn(string(addr))
			c.rejected = true
			c.reason = "refused: the address is blacklisted after too many authentication failures"
			c.rec.End = s.curT()
			s.add(c, "connection refused: address blacklisted", "start", "remote_ip", "remote_port", "outcome", "end")
			s.close(c)
		}
	case "SConnection":
		switch {
		case bytes.HasPrefix(msg, []byte("Client needs protocol version ")):
			c := s.oldest(func(c *conn) bool { return !c.proto && !c.closing })
			if c != nil {
				c.proto = true
				v := msg[len("Client needs protocol version "):]
				if i := bytes.IndexByte(v, ','); i >= 0 {
					v = v[:i]
				}
				c.note(s.intern.Cat("RFB protocol ", v))
			}
		case bytes.HasPrefix(msg, []byte("Client requests security type ")):
			c := s.oldest(func(c *conn) bool { return !c.sec && !c.closing })
			if c != nil {
				c.sec = true
				c.proto = true
				t := bytes.TrimSpace(msg[len("Client requests security type "):])
				summary := s.intern.Cat("client chose security type ", t)
				c.rec.AuthMethod = authName(summary[len("client chose security type "):])
				s.add(c, summary, "auth_method")
			}
		case bytes.HasPrefix(msg, []byte("AuthFailureException")):
			c := s.oldest(func(c *conn) bool { return !c.authed && !c.failed && !c.closing })
			if c != nil {
				c.failed = true
				s.add(c, "authentication failed", "outcome")
			}
		}
	case "VNCSConnST":
		switch {
		case bytes.HasPrefix(msg, []byte("Server default pixel format")):
			c := s.oldest(func(c *conn) bool { return !c.authed && !c.failed && !c.closing })
			if c != nil {
				c.authed = true
				s.add(c, "authentication succeeded (authSuccess): the desktop is sent to the client", "outcome")
			}
		case bytes.HasPrefix(msg, []byte("Client pixel format")):
			if s.oldest(func(c *conn) bool { return c.authed && !c.closing }) == nil {
				c := s.oldest(func(c *conn) bool { return !c.failed && !c.closing })
				if c != nil {
					c.authed = true
					s.add(c, "the client set its pixel format: normal RFB messages were handled", "outcome")
				}
			}
		case bytes.HasPrefix(msg, []byte("closing ")):
			rest := msg[len("closing "):]
			i := bytes.Index(rest, []byte(": "))
			a, reasonB := rest, []byte(nil)
			if i >= 0 {
				a, reasonB = rest[:i], rest[i+2:]
			}
			closed := s.intern.Cat("closed: ", reasonB)
			reason := closed[len("closed: "):]
			addr, ok := s.addr(a)
			if !ok {
				return
			}
			c := s.byAddr(addr)
			if c == nil {
				c = s.orphan(string(addr))
			}
			c.closing = true
			s.closing = c
			c.rec.End = s.curT()
			fields := []string{"end"}
			lr := ""
			if reason != "Clean disconnection" {
				lr = strings.ToLower(reason)
			}
			switch {
			case strings.Contains(lr, "too many security failures") || strings.Contains(lr, "rejected"):
				c.rejected = true
				fields = append(fields, "outcome")
			case strings.Contains(lr, "authentication fail") && !c.authed:
				c.failed = true
				fields = append(fields, "outcome")
			}
			if reason != "" {
				c.reason = closed
				c.note(s.intern.Cat("close reason: ", reasonB))
			}
			s.add(c, s.intern.Cat("connection closing: ", reasonB), fields...)
		}
	case "EncodeManager":
		if v, ok := bytes.CutPrefix(msg, []byte("Framebuffer updates: ")); ok && s.closing != nil {
			c := s.closing
			n, ok := logkit.Atoi(bytes.TrimSpace(v))
			if !ok {
				return
			}
			c.note(s.intern.Cat("framebuffer updates sent: ", bytes.TrimSpace(v)))
			if n > 0 && !c.authed && !c.failed && !c.rejected {
				c.authed = true
				s.add(c, s.intern.Cat("framebuffer updates sent to the client: ", bytes.TrimSpace(v)), "outcome")
			}
		}
	case "vncext":
		if i := bytes.LastIndex(msg, []byte(", port ")); i >= 0 && bytes.HasPrefix(msg, []byte("Listening for VNC connections")) {
			if n, err := strconv.Atoi(string(bytes.TrimSpace(msg[i+len(", port "):]))); err == nil && n > 0 && n < 65536 {
				s.port = uint32(n)
			}
		}
	}
}

func authName(t string) string {
	n := t
	if i := strings.IndexByte(t, '('); i >= 0 {
		n = strings.TrimSpace(t[:i])
	}
	switch n {
	case "None", "TLSNone", "X509None":
		return "none"
	case "VncAuth", "TLSVnc", "X509Vnc":
		return "vnc-password"
	case "Plain", "TLSPlain", "X509Plain":
		return "plain"
	}
	return strings.ToLower(n)
}

func (s *state) curT() *time.Time { return s.le.Time(s.cur, s.curOK) }

func (s *state) ev(summary string, fields ...string) evidence.Evidence {
	return s.le.Of(s.r, s.line, s.curT(), summary, fields)
}

func (s *state) add(c *conn, summary string, fields ...string) {
	c.rec.Evidence = s.le.Append(c.rec.Evidence, s.r, s.line, s.curT(), summary, fields)
}

func splitAddr(addr string) (string, uint32) {
	i := strings.LastIndex(addr, "::")
	if i < 0 {
		return addr, 0
	}
	p, err := strconv.Atoi(addr[i+2:])
	if err != nil || p <= 0 || p > 65535 {
		return addr, 0
	}
	return addr[:i], uint32(p)
}

func (s *state) newConn(addr string) *conn {
	s.seq++
	ip, port := splitAddr(addr)
	var c *conn
	if n := len(s.pool); n > 0 {
		c, s.pool = s.pool[n-1], s.pool[:n-1]
	} else {
		c = &conn{}
	}
	c.seq, c.addr, c.ip, c.port = s.seq, addr, ip, port
	disp := s.display
	if disp == "" {
		disp = s.pathDisplay
	}
	c.rec = session.Record{
		Tool:       "tigervnc",
		Parser:     name,
		Direction:  session.Incoming,
		RemoteIP:   ip,
		RemotePort: port,
		TimeRule:   s.rule,
		Display:    disp,
		LocalPort:  s.port,
		Start:      s.curT(),
	}
	c.rec.Evidence, c.rec.Notes = s.st.Buffers()
	s.open = append(s.open, c)
	return c
}

// orphan is a connection whose accept line is not in the log.
func (s *state) orphan(addr string) *conn {
	c := s.newConn(addr)
	c.rec.Start = nil
	c.note("start not in this log (rotated or cut)")
	return c
}

// displayFromPath: tigervncserver names its log "<host>:<N>.log".
func displayFromPath(p string) string {
	b := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if !strings.HasSuffix(b, ".log") {
		return ""
	}
	b = strings.TrimSuffix(b, ".log")
	i := strings.LastIndexByte(b, ':')
	if i < 0 {
		return ""
	}
	if _, err := strconv.Atoi(b[i+1:]); err != nil {
		return ""
	}
	return b[i:]
}

// addr validates an "IP::PORT" address; a malformed one (e.g. a line cut
// by the end of the file) is reported and skipped.
func (s *state) addr(b []byte) ([]byte, bool) {
	a := bytes.TrimSpace(b)
	i := len(a) - 2
	for i >= 0 && (a[i] != ':' || a[i+1] != ':') {
		i--
	}
	if i < 0 {
		s.errs.Add(s.r.N(), s.r.Offset(), "malformed client address %q", a)
		return nil, false
	}
	if p, ok := logkit.Atoi(a[i+2:]); !ok || p == 0 || p > 65535 {
		s.errs.Add(s.r.N(), s.r.Offset(), "malformed client address %q", a)
		return nil, false
	}
	return a, true
}

func (s *state) byAddr(addr []byte) *conn {
	for _, c := range s.open {
		if c.addr == string(addr) {
			return c
		}
	}
	return nil
}

func (s *state) oldest(pred func(*conn) bool) *conn {
	for _, c := range s.open {
		if pred(c) {
			return c
		}
	}
	return nil
}

func (s *state) close(c *conn) {
	for i, o := range s.open {
		if o == c {
			s.open = append(s.open[:i], s.open[i+1:]...)
			break
		}
	}
	if s.closing == c {
		s.closing = nil
	}
	s.st.Put(c.seq, s.record(c))
	*c = conn{}
	s.pool = append(s.pool, c)
}

func (s *state) endAll(why string) {
	for len(s.open) > 0 {
		c := s.open[0]
		if c.rec.End == nil && s.curOK {
			c.rec.End = session.T(s.cur)
			c.note(why + " without logging this client's close; end = the server's last time line")
		}
		s.close(c)
	}
	s.closing = nil
}

func (s *state) record(c *conn) session.Record {
	rec := c.rec
	rec.Key = "tigervnc|" + c.ip + "|" + strconv.FormatUint(uint64(c.port), 10)
	switch {
	case c.rejected:
		rec.Outcome = session.Rejected
	case c.failed:
		rec.Outcome = session.FailedAuth
	case c.authed:
		rec.Outcome = session.Established
	default:
		rec.Outcome = session.AttemptOnly
		if c.reason != "" {
			rec.Notes = append(rec.Notes, "no authentication success logged before the connection "+c.reason)
		} else {
			rec.Notes = append(rec.Notes, "no authentication success logged for this connection")
		}
	}
	rec.Finish()
	if rec.Open {
		rec.Notes = append(rec.Notes, "no close logged: the client is still connected or the log stops before its end")
	}
	return rec
}
