package xrdp

import (
	"bytes"
	"fmt"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

const sesmanName = "xrdp-sesman"

// SesmanParser reads /var/log/xrdp-sesman.log.
type SesmanParser struct{}

// NewSesman returns the xrdp-sesman.log parser.
func NewSesman() *SesmanParser { return &SesmanParser{} }

// Name is the parser id.
func (*SesmanParser) Name() string { return sesmanName }

// Tool is the signature id.
func (*SesmanParser) Tool() string { return "xrdp" }

// Sniff recognises xrdp-sesman.log.
func (*SesmanParser) Sniff(head []byte, fname string) bool {
	_, s := sniffKind(head, fname)
	return s
}

type sconn struct {
	seq        int
	rec        session.Record
	ip         string
	port       uint32
	display    string
	sessPID    int
	started    bool
	terminated bool
}

type pamFail struct {
	ev     evidence.Evidence
	t      *time.Time
	reason string
}

type sstate struct {
	*reader
	txt     logkit.Text // strings of the records
	buf     []byte
	pam     pamFail // the pending failure's storage
	rule    string
	seq     int
	open    []*sconn
	pending *pamFail
	pool    []*sconn
	intern  logkit.Interner
	fmtT    time.Time
	fmtS    string
}

// Parse reads xrdp-sesman.log.
func (p *SesmanParser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	rd, err := newReader(sesmanName, in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	s := &sstate{reader: rd, rule: timeRule("xrdp-sesman.log", in.Location), intern: logkit.Interner{}}
	for s.next() {
		if s.cur.ok && len(s.cur.msg) > 0 {
			s.step(s.cur.msg)
		}
	}
	s.flushPam()
	for _, c := range s.open {
		s.done(c)
	}
	s.open = nil
	res := s.result()
	res.Sessions = s.st.Records(s.seq)
	return res, nil
}

func (s *sstate) newRec(ip string, pt uint32) *sconn {
	s.seq++
	var c *sconn
	if n := len(s.pool); n > 0 {
		c, s.pool = s.pool[n-1], s.pool[:n-1]
	} else {
		c = &sconn{}
	}
	c.seq, c.ip, c.port = s.seq, ip, pt
	c.rec = session.Record{Tool: "xrdp", Parser: sesmanName, Direction: session.Incoming, RemoteIP: ip, RemotePort: pt,
		TimeRule: s.rule, Start: s.curT()}
	c.rec.Evidence, c.rec.Notes = s.st.Buffers()
	return c
}

// rfc3339 is "at " and t formatted, reusing the last result for the same time.
func (s *sstate) rfc3339(t time.Time) string {
	if !t.Equal(s.fmtT) || s.fmtS == "" {
		s.fmtT, s.fmtS = t, "at "+t.Format(time.RFC3339)
	}
	return s.fmtS
}

// done finishes a record.
func (s *sstate) done(c *sconn) {
	s.st.Put(c.seq, s.record(c))
	*c = sconn{}
	s.pool = append(s.pool, c)
}

// field returns the text after `name ` up to the next comma (or " - ").
func (s *sstate) field(b []byte, name string) string {
	v, ok := after(b, name)
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	if i := bytes.Index(v, []byte(" - ")); i >= 0 {
		v = v[:i]
	}
	return s.str(bytes.TrimSpace(v))
}

// field is s.field with a string of its own.
func field(b []byte, name string) string {
	v, ok := after(b, name)
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	if i := bytes.Index(v, []byte(" - ")); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(string(v))
}

// displayNum: ":10.0" → ":10".
func displayNum(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.IndexByte(d, '.'); i >= 0 {
		d = d[:i]
	}
	if d != "" && d[0] != ':' {
		d = ":" + d
	}
	return d
}

// str is string(b), kept in s.txt.
func (s *sstate) str(b []byte) string { return s.txt.Str(s.txt.Add(b)) }

// cat is the concatenation of parts, kept in s.txt.
func (s *sstate) cat(parts ...string) string {
	s.buf = s.buf[:0]
	for _, p := range parts {
		s.buf = append(s.buf, p...)
	}
	return s.str(s.buf)
}

// sword is word(b, ""), kept in s.txt.
func (s *sstate) sword(b []byte) string {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	return s.str(b)
}

// atoi is strconv.Atoi(field(b, name)).
func (s *sstate) atoi(b []byte, name string) int {
	n, _ := strconv.Atoi(s.field(b, name))
	return n
}

// displayNum: ":10.0" → ":10".
func (s *sstate) displayNum(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.IndexByte(d, '.'); i >= 0 {
		d = d[:i]
	}
	if d != "" && d[0] != ':' {
		d = s.cat(":", d)
	}
	return d
}

func (s *sstate) step(msg []byte) {
	switch msg[0] {
	case '+', 'S', 'p', 'A', 's', 'l', '[', 'm', 'R', 'C':
	default:
		return
	}
	switch {
	case bytes.HasPrefix(msg, []byte("++ created session")):
		s.flushPam()
		ip, pt := splitHostPort(s.field(msg, ", ip "))
		c := s.newRec(ip, pt)
		c.rec.LocalUser = s.field(msg, "username ")
		c.rec.AuthMethod = "password"
		c.rec.Notes = append(c.rec.Notes, s.cat("xrdp-sesman granted access and created a new desktop session for ", c.rec.LocalUser,
			": the password was accepted and the user's X session started; whether the client then used the desktop is in xrdp.log (login successful for the same ip:port) — xfreerdp +auth-only, for one, leaves before that"))
		s.addEv(&c.rec, "access granted: new desktop session created", "start", "outcome", "local_user", "remote_ip", "remote_port")
		s.open = append(s.open, c)
	case bytes.HasPrefix(msg, []byte("Starting session: ")):
		// Looked up, not kept: no arena (a line that matches nothing
		// leaves nothing behind).
		ip, pt := splitHostPort(field(msg, "client ip "))
		for i := len(s.open) - 1; i >= 0; i-- {
			c := s.open[i]
			if c.display == "" && c.ip == ip && c.port == pt {
				c.display = s.displayNum(s.field(msg, "display "))
				c.rec.Display = c.display
				c.sessPID = s.atoi(msg, "session_pid ")
				s.addEv(&c.rec, s.cat("session started on display ", c.display), "display")
				break
			}
		}
	case bytes.HasPrefix(msg, []byte("Session started successfully for user ")):
		rest := msg[len("Session started successfully for user "):]
		user := word(rest, "")
		disp := ""
		if d, ok := after(rest, " on display "); ok {
			disp = displayNum(word(d, ""))
		}
		for i := len(s.open) - 1; i >= 0; i-- {
			c := s.open[i]
			if !c.started && c.rec.LocalUser == user && (c.display == disp || c.display == "") {
				c.started = true
				if c.display == "" && disp != "" {
					c.display, c.rec.Display = disp, disp
				}
				s.addEv(&c.rec, "the user's X session started", "outcome")
				break
			}
		}
	case bytes.HasPrefix(msg, []byte("++ reconnected session")):
		s.flushPam()
		ip, pt := splitHostPort(s.field(msg, ", ip "))
		c := s.newRec(ip, pt)
		c.rec.LocalUser = s.field(msg, "username ")
		c.rec.AuthMethod = "password"
		c.display = s.displayNum(s.field(msg, "display "))
		c.rec.Display = c.display
		c.sessPID = s.atoi(msg, "session_pid ")
		c.started = true
		c.rec.Notes = append(c.rec.Notes, s.cat("xrdp-sesman granted access and reconnected the client to the existing desktop session on display ", c.display))
		s.addEv(&c.rec, "access granted: reconnected to the existing desktop session", "start", "outcome", "local_user", "display", "remote_ip", "remote_port")
		s.open = append(s.open, c)
	case bytes.HasPrefix(msg, []byte("++ terminated session")):
		disp := s.displayNum(s.field(msg, "display "))
		spid := s.atoi(msg, "session_pid ")
		matched := false
		for i := 0; i < len(s.open); {
			c := s.open[i]
			if c.display == disp && (c.sessPID == spid || c.sessPID == 0 || spid == 0) {
				s.terminate(c)
				s.open = append(s.open[:i], s.open[i+1:]...)
				matched = true
				continue
			}
			i++
		}
		if !matched {
			ip, pt := splitHostPort(s.field(msg, ", ip "))
			c := s.newRec(ip, pt)
			c.rec.Start = nil
			c.rec.LocalUser = s.field(msg, "username ")
			c.display, c.rec.Display, c.sessPID = disp, disp, spid
			c.rec.AuthMethod = "password"
			c.rec.Notes = append(c.rec.Notes, "the session's creation is not in this log (rotated or cut); a terminated session had been granted access")
			s.addEv(&c.rec, "a desktop session (created before this log starts) was terminated", "outcome", "local_user", "display", "remote_ip", "remote_port")
			s.terminate(c)
		}
	case bytes.HasPrefix(msg, []byte("pam_authenticate failed")):
		s.flushPam()
		reason := ""
		if v, ok := after(msg, ": "); ok {
			reason = s.intern.Cat("PAM: ", v)
		}
		s.pam = pamFail{ev: s.ev("PAM rejected the password", "start", "outcome"), t: s.curT(), reason: reason}
		s.pending = &s.pam
	case bytes.HasPrefix(msg, []byte("AUTHFAIL: ")):
		s.onAuthFail(msg[len("AUTHFAIL: "):])
	case bytes.HasPrefix(msg, []byte("starting xrdp-sesman")):
		s.flushPam()
	default:
		s.maybeRefusal(msg)
	}
}

func (s *sstate) terminate(c *sconn) {
	c.terminated = true
	t := "at an unknown time"
	if s.cur.ok {
		t = s.rfc3339(s.cur.t)
	}
	var pid [20]byte
	c.rec.Notes = append(c.rec.Notes, s.cat("the desktop session on display ", c.display, " (session_pid ", string(strconv.AppendInt(pid[:0], int64(c.sessPID), 10)),
		") was terminated ", t, "; xrdp-sesman.log does not log when the RDP client disconnected (see xrdp.log for the connection's end)"))
	s.addEv(&c.rec, "desktop session terminated", "open")
	s.done(c)
}

func (s *sstate) onAuthFail(v []byte) {
	var user, ip string
	var epoch int64
	hasEpoch := false
	for len(v) > 0 {
		var f []byte
		if i := bytes.IndexByte(v, ' '); i >= 0 {
			f, v = v[:i], v[i+1:]
		} else {
			f, v = v, nil
		}
		k, val, ok := bytes.Cut(f, []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "user":
			user = s.str(val)
		case "ip":
			ip = s.str(val)
		case "time":
			if n, err := strconv.ParseInt(string(val), 10, 64); err == nil {
				epoch, hasEpoch = n, true
			}
		}
	}
	c := s.newRec(ip, 0)
	c.rec.LocalUser = user
	c.rec.AuthMethod = "password"
	c.rec.Outcome = session.FailedAuth
	if p := s.pending; p != nil {
		c.rec.Start = p.t
		c.rec.Evidence = append(c.rec.Evidence, p.ev)
		if p.reason != "" {
			c.rec.Notes = append(c.rec.Notes, p.reason)
		}
		s.pending = nil
	}
	c.rec.End = s.curT()
	fields := []string{"outcome", "local_user", "remote_ip", "end"}
	if len(c.rec.Evidence) == 0 {
		fields = append(fields, "start")
	}
	s.addEv(&c.rec, s.cat("authentication failure for user ", user), fields...)
	if hasEpoch && s.cur.ok {
		u := time.Unix(epoch, 0).UTC()
		d := s.cur.t.Sub(u)
		if d < 0 {
			d = -d
		}
		if d > 90*time.Second {
			c.rec.Notes = append(c.rec.Notes, fmt.Sprintf("AUTHFAIL time=%d is %s UTC, but the log's local time read with this zone gives %s: the zone is probably wrong by %s",
				epoch, u.Format(time.RFC3339), s.cur.t.Format(time.RFC3339), d.Round(time.Minute)))
		} else {
			c.rec.Notes = append(c.rec.Notes, "AUTHFAIL's epoch time (UTC) agrees with the local-time reading")
		}
	}
	s.done(c)
}

// flushPam turns a pam_authenticate failure with no AUTHFAIL line into a record.
func (s *sstate) flushPam() {
	p := s.pending
	if p == nil {
		return
	}
	s.pending = nil
	c := s.newRec("", 0)
	c.rec.Start, c.rec.End = p.t, p.t
	c.rec.Outcome, c.rec.AuthMethod = session.FailedAuth, "password"
	p.ev.Fields = append(p.ev.Fields, "end")
	c.rec.Evidence = append(c.rec.Evidence, p.ev)
	c.rec.Notes = append(c.rec.Notes, "pam_authenticate failed with no AUTHFAIL line after it: user and client ip unknown")
	if p.reason != "" {
		c.rec.Notes = append(c.rec.Notes, p.reason)
	}
	s.done(c)
}

var refusals = []struct{ prefix, why string }{
	{"login denied for user ", "login denied (user not allowed by sesman's group settings)"},
	{"[MNG] login denied for user ", "login denied (user not allowed by sesman's group settings)"},
	{"max concurrent session limit exceeded. login for user ", "login refused: too many sessions"},
	{"ROOT login attempted, but root login is disabled", "root login refused (AllowRootLogin=false)"},
	{"[MNG] ROOT login attempted, but root login is disabled", "root login refused (AllowRootLogin=false)"},
	{"pam_acct_mgmt failed", "PAM account check refused the login (account expired/locked or not permitted)"},
	{"Cannot read user info! - login denied", "login denied: unknown user"},
	{"[MNG] Cannot read user info! - login denied", "login denied: unknown user"},
	{"Cannot read group info! - login denied", "login denied: group lookup failed"},
}

func (s *sstate) maybeRefusal(msg []byte) {
	if strings.IndexByte("l[mRpC", msg[0]) < 0 {
		return
	}
	for _, r := range refusals {
		if r.prefix[0] != msg[0] || !bytes.HasPrefix(msg, []byte(r.prefix)) {
			continue
		}
		s.flushPam()
		c := s.newRec("", 0)
		if strings.HasSuffix(r.prefix, "user ") {
			c.rec.LocalUser = s.sword(msg[len(r.prefix):])
		}
		c.rec.Outcome = session.Rejected
		c.rec.End = c.rec.Start
		c.rec.Notes = append(c.rec.Notes, r.why)
		fields := []string{"outcome", "start", "end"}
		if c.rec.LocalUser != "" {
			fields = append(fields, "local_user")
		}
		s.addEv(&c.rec, r.why, fields...)
		s.done(c)
		return
	}
}

func (s *sstate) record(c *sconn) session.Record {
	rec := c.rec
	var pt [10]byte
	rec.Key = s.cat("xrdp|", c.ip, "|", string(strconv.AppendUint(pt[:0], uint64(c.port), 10)))
	if rec.Outcome == "" {
		rec.Outcome = session.Established
	}
	rec.Finish()
	if c.terminated {
		rec.Open = false
	} else if rec.Open {
		rec.Notes = append(rec.Notes, "no termination logged: the desktop session still exists or the log stops before its end (sessions outlive client disconnects, so a client need not be connected)")
	}
	return rec
}
