// Package rustdesk reads RustDesk's server log (RustDesk_rCURRENT.log and its
// rotated RustDesk_r<date>.log files; session-artifacts.md §5).
//
//	[2025-01-01 13:04:08.350802 +00:00] DEBUG [src\server\connection.rs:983] #1362 Connection opened from 203.0.113.7:6074.
//
// Every line carries its UTC offset, so times are exact. Documented session
// markers (src/server/connection.rs): "#<id> Connection opened from
// <ip:port>." (debug level: may be absent), "#<id> Connection closed:
// <reason>", "Permanent password accepted via logon-screen fallback", "2FA
// bypassed by trusted devices", "Temporary password rotated after too many
// consecutive wrong attempts: failures=…, ip=…". No public log file with a
// session exists: the parser follows these documented lines only.
//
// A connection is established only when an authentication-success line is
// seen; "Connection opened/closed" alone proves a connection, not that the
// remote side got the desktop (wrong-password attempts open and close too),
// so such records are attempt_only with a note.
package rustdesk

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const tool = "rustdesk"

// Parser is the "rustdesk" parser.
type Parser struct{}

func (Parser) Name() string { return "rustdesk" }
func (Parser) Tool() string { return tool }

// Sniff: "[YYYY-MM-DD HH:MM:SS.ffffff ±hh:mm] LEVEL [".
func (Parser) Sniff(head []byte, name string) bool {
	l, _, _ := bytes.Cut(head, []byte{'\n'})
	_, _, ok := parseTS(bytes.TrimPrefix(l, []byte{0xEF, 0xBB, 0xBF}))
	return ok
}

// parseTS reads the bracketed timestamp; n is the index after "] ".
func parseTS(l []byte) (time.Time, int, bool) {
	if len(l) < 30 || l[0] != '[' || l[5] != '-' || l[11] != ' ' {
		return time.Time{}, 0, false
	}
	end := bytes.IndexByte(l, ']')
	if end < 0 || end > 48 {
		return time.Time{}, 0, false
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999 -07:00", string(l[1:end]))
	if err != nil {
		return time.Time{}, 0, false
	}
	return t.UTC(), end + 1, true
}

type conn struct {
	r           session.Record
	id          string
	closed      bool
	established bool
	failed      bool
}

var (
	kOpened   = []byte("Connection opened from ")
	kClosed   = []byte("Connection closed")
	kPermPw   = []byte("Permanent password accepted")
	k2FA      = []byte("2FA bypassed by trusted devices")
	kRotated  = []byte("Temporary password rotated after too many consecutive wrong attempts")
	kRejected = []byte("Rejected login")
	kReason   = []byte("receive close reason")
)

const rule = "UTC from the offset written on every line"

func (Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := Parser{}
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", p.Name())
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", p.Name(), in.Path, err)
	}
	var conns []*conn
	logLines := 0
	lastRaw := make([]byte, 0, 64)
	add := func(c *conn, n int, off int64, l []byte, t time.Time, summary string, fields ...string) {
		c.r.Evidence = append(c.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: p.Name(), Summary: summary,
			Path: in.Path, Line: n, Offset: off, Raw: evidence.Clip(string(l)), Fields: fields, Time: session.T(t)})
	}
	var live []*conn // connections not closed yet (few at a time)
	newConn := func(id string, t *time.Time) *conn {
		c := &conn{id: id}
		c.r = session.Record{Tool: tool, Parser: p.Name(), Direction: session.Incoming, Start: t, TimeRule: rule}
		conns = append(conns, c)
		live = append(live, c)
		return c
	}
	find := func(id string) *conn {
		for i := len(live) - 1; i >= 0; i-- {
			if c := live[i]; id == "" || c.id == id {
				return c
			}
		}
		return nil
	}
	closeConn := func(c *conn) {
		c.closed = true
		for i, x := range live {
			if x == c {
				live = append(live[:i], live[i+1:]...)
				break
			}
		}
	}
	for rd.Next() {
		l := rd.Bytes()
		if len(l) < 30 || l[0] != '[' {
			continue
		}
		// Cheap test before parsing the time: the message (after
		// "] LEVEL [file:line] ") starts with "#<id>" or names a password,
		// 2FA, a rejection or a close reason.
		if !candidate(l) {
			if end := bytes.IndexByte(l, ']'); end > 20 && end < 48 && l[5] == '-' && l[11] == ' ' {
				// No parse (no allocation) on skipped lines: keep the raw
				// time of the last line, parsed once at the end.
				logLines++
				lastRaw = append(lastRaw[:0], l[:end+1]...)
				if logLines == 1 {
					if t, _, ok := parseTS(l); ok {
						see(&res, t)
					}
				}
			}
			continue
		}
		t, k, ok := parseTS(l)
		if !ok {
			continue
		}
		logLines++
		see(&res, t)
		lastRaw = lastRaw[:0]
		msg := l[k:]
		// Skip " LEVEL [file:line] ".
		if j := bytes.Index(msg, []byte("] ")); j >= 0 && bytes.IndexByte(msg[:j], '[') >= 0 {
			msg = msg[j+2:]
		}
		id := ""
		if len(msg) > 1 && msg[0] == '#' {
			j := 1
			for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
				j++
			}
			id = string(msg[1:j])
			msg = bytes.TrimLeft(msg[j:], " ")
		}
		n, off := rd.N(), rd.Offset()
		switch {
		case bytes.HasPrefix(msg, kOpened):
			addr := strings.TrimSuffix(strings.TrimSpace(string(msg[len(kOpened):])), ".")
			c := newConn(id, session.T(t))
			c.r.RemoteIP, c.r.RemotePort = splitAddr(addr)
			add(c, n, off, l, t, "connection #"+id+" opened from "+addr, "start", "direction", "remote_ip", "remote_port")
		case bytes.HasPrefix(msg, kClosed):
			c := find(id)
			if c == nil {
				// "Connection opened" is debug level: the close may be all there is.
				c = newConn(id, nil)
				c.r.Notes = append(c.r.Notes, "no \"Connection opened\" line (debug level not logged): start unknown")
			}
			closeConn(c)
			c.r.End = session.T(t)
			if reason := strings.TrimSpace(strings.TrimPrefix(string(msg[len(kClosed):]), ":")); reason != "" {
				c.r.Notes = append(c.r.Notes, "closed: "+reason)
			}
			add(c, n, off, l, t, "connection #"+id+" closed", "end")
		case bytes.Contains(msg, kPermPw), bytes.Contains(msg, k2FA):
			if c := find(id); c != nil {
				c.established = true
				if bytes.Contains(msg, kPermPw) {
					c.r.AuthMethod = "permanent password"
				} else {
					c.r.AuthMethod = "2FA bypassed by a trusted device"
				}
				add(c, n, off, l, t, strings.TrimSpace(string(msg)), "auth_method", "outcome")
			}
		case bytes.Contains(msg, kRotated):
			ip := ""
			if j := bytes.Index(msg, []byte("ip=")); j >= 0 {
				if f := bytes.Fields(msg[j+3:]); len(f) > 0 {
					ip, _ = splitAddr(strings.TrimRight(string(f[0]), ",."))
				}
			}
			var c *conn
			for i := len(live) - 1; i >= 0 && ip != ""; i-- {
				if live[i].r.RemoteIP == ip {
					c = live[i]
					break
				}
			}
			if c == nil {
				c = find(id)
			}
			if c == nil {
				c = newConn(id, session.T(t))
				c.r.RemoteIP = ip
			}
			c.failed = true
			c.r.Notes = append(c.r.Notes, strings.TrimSpace(string(msg)))
			add(c, n, off, l, t, "too many wrong passwords", "outcome", "remote_ip")
		case bytes.Contains(msg, kRejected), bytes.Contains(msg, kReason):
			if c := find(id); c != nil {
				c.r.Notes = append(c.r.Notes, strings.TrimSpace(string(msg)))
				add(c, n, off, l, t, strings.TrimSpace(string(msg)), "notes")
			}
		}
	}
	if t, _, ok := parseTS(append(lastRaw, "          "...)); ok && len(lastRaw) > 0 {
		see(&res, t)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if res.Lines > 0 && logLines == 0 {
		return res, fmt.Errorf("%s: %s: no line in the RustDesk log layout", p.Name(), in.Path)
	}
	for _, c := range conns {
		r := c.r
		switch {
		case c.established:
			r.Outcome = session.Established
		case c.failed:
			r.Outcome = session.FailedAuth
		default:
			r.Outcome = session.AttemptOnly
			r.Notes = append(r.Notes, "no authentication-success line: RustDesk logs none at its default level, so the connection is not proven to have reached the desktop")
		}
		if r.RemoteIP != "" {
			r.Key = tool + "|" + string(r.Direction) + "|" + r.RemoteIP
		}
		r.Finish()
		res.Sessions = append(res.Sessions, r)
	}
	return res, nil
}

func candidate(l []byte) bool {
	i := bytes.Index(l, []byte("] "))
	if i < 0 {
		return false
	}
	m := l[i+2:]
	if j := bytes.Index(m, []byte("] ")); j >= 0 && bytes.IndexByte(m[:j], '[') >= 0 {
		m = m[j+2:]
	}
	return len(m) > 0 && m[0] == '#' || bytes.Contains(m, []byte("password")) || bytes.Contains(m, []byte("2FA")) ||
		bytes.Contains(m, []byte("Rejected login")) || bytes.Contains(m, []byte("close reason")) || bytes.Contains(m, []byte("Connection "))
}

// see widens the bounds: every parsed (marker) line and the file's last
// line, so FirstTime/LastTime span the file when it is in time order.
func see(res *sessionlog.Result, t time.Time) {
	if res.FirstTime == nil || t.Before(*res.FirstTime) {
		res.FirstTime = session.T(t)
	}
	if res.LastTime == nil || t.After(*res.LastTime) {
		res.LastTime = session.T(t)
	}
}

func splitAddr(s string) (string, uint32) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return s, 0
	}
	port, _ := strconv.ParseUint(p, 10, 16)
	return h, uint32(port)
}
