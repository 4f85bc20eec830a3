// Package chromoting reads the Chrome Remote Desktop host's session lines
// from a Linux/macOS syslog text file (/var/log/syslog, /var/log/messages,
// /var/log/user.log; session-artifacts.md §7). The host calls
// openlog("chromoting") and logs, at LOG_USER|LOG_NOTICE, the same events
// the Windows host writes to the Application event log
// (remoting/host/host_event_logger_posix.cc):
//
//	Client connected: <jid>
//	Client disconnected: <jid>
//	Access denied for client: <jid>
//	Channel IP for client: <jid> ip='<ip:port>' host_ip='<ip:port>' channel='<name>' connection='direct|stun|relay'
//
// Two syslog layouts are read:
//
//	Nov 21 11:13:20 host chromoting[123]: Client connected: a@example.com/chromoting_ftl_1
//	2026-11-21T11:13:20.123456+01:00 host chromoting[123]: Client connected: …
//
// Only lines whose program is chromoting or remoting_me2me_host count; every
// other syslog line is skipped. Classic lines have no year and no zone: the
// year is taken from Input.Modified (a month after the file's month is the
// year before: a log across New Year) and the time is local
// (Input.Location). ISO lines carry their offset. journald's binary journal
// is not read (export it with `journalctl -o short-iso` first).
package chromoting

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

const (
	tool = "chrome-remote-desktop"
	name = "chromoting-syslog"
	// lateWindow attaches a channel line right after a disconnect.
	lateWindow = 2 * time.Minute
	// maxEvidence bounds one record's evidence (reconnect storms).
	maxEvidence = 200
)

// Parser is the "chromoting-syslog" parser.
type Parser struct{}

func New() Parser { return Parser{} }

func (Parser) Name() string { return name }
func (Parser) Tool() string { return tool }

// SharedLog: syslog is every program's log (sessionlog.SharedLog).
func (Parser) SharedLog() bool { return true }

// Sniff: a syslog line of the chromoting host in the first bytes.
func (Parser) Sniff(head []byte, _ string) bool {
	head = logkit.TextHead(head)
	for len(head) > 0 {
		var l []byte
		l, head, _ = bytes.Cut(head, []byte{'\n'})
		if !progHint(l) {
			continue
		}
		if h, ok := header(bytes.TrimSuffix(l, []byte{'\r'})); ok && h.ours {
			return true
		}
	}
	return false
}

var (
	pChromoting = []byte("chromoting")
	pMe2me      = []byte("remoting_me2me_host")
)

// progHint: the line names one of the programs ("oting" is in both, so a
// line without it is settled with one scan).
func progHint(l []byte) bool {
	return bytes.Contains(l, []byte("oting")) && (bytes.Contains(l, pChromoting) || bytes.Contains(l, pMe2me))
}

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// hdr is a parsed syslog line head.
type hdr struct {
	classic bool
	mon     time.Month
	day     int
	h, m, s int
	iso     time.Time // ISO lines: with zone (hasZone) or wall clock
	hasZone bool
	host    []byte
	ours    bool
	msg     []byte
}

func d2(b []byte) (int, bool) {
	if len(b) != 2 {
		return 0, false
	}
	if b[0] == ' ' {
		b = b[1:]
	} else if b[0] < '0' || b[0] > '9' {
		return 0, false
	} else {
		if b[1] < '0' || b[1] > '9' {
			return 0, false
		}
		return int(b[0]-'0')*10 + int(b[1]-'0'), true
	}
	if b[0] < '0' || b[0] > '9' {
		return 0, false
	}
	return int(b[0] - '0'), true
}

// header parses the time, host and program of a syslog line.
func header(l []byte) (hdr, bool) {
	var h hdr
	var rest []byte
	switch {
	case len(l) >= 16 && l[3] == ' ' && l[6] == ' ' && l[9] == ':' && l[12] == ':' && l[15] == ' ':
		mon, ok := months[string(l[:3])]
		if !ok {
			return h, false
		}
		day, ok1 := d2(l[4:6])
		hh, ok2 := d2(l[7:9])
		mm, ok3 := d2(l[10:12])
		ss, ok4 := d2(l[13:15])
		if !ok1 || !ok2 || !ok3 || !ok4 || l[7] == ' ' || l[10] == ' ' || l[13] == ' ' || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
			return h, false
		}
		h.classic, h.mon, h.day, h.h, h.m, h.s = true, mon, day, hh, mm, ss
		rest = l[16:]
	case len(l) >= 20 && l[4] == '-' && l[7] == '-' && l[10] == 'T':
		sp := bytes.IndexByte(l, ' ')
		if sp < 19 || sp > 40 {
			return h, false
		}
		ts := string(l[:sp])
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			h.iso, h.hasZone = t, true
		} else if t, err := time.Parse("2006-01-02T15:04:05.999999999", ts); err == nil {
			h.iso = t
		} else {
			return h, false
		}
		rest = l[sp+1:]
	default:
		return h, false
	}
	host, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(host) == 0 {
		return h, false
	}
	tag, msg, ok := bytes.Cut(rest, []byte{':'})
	if !ok || len(tag) == 0 || bytes.IndexByte(tag, ' ') >= 0 {
		// No tag (kernel continuation etc.): a syslog line, not ours.
		h.host = host
		return h, true
	}
	prog := tag
	if i := bytes.IndexByte(prog, '['); i >= 0 {
		prog = prog[:i]
	}
	if i := bytes.LastIndexByte(prog, '/'); i >= 0 {
		prog = prog[i+1:]
	}
	h.ours = bytes.Equal(prog, pChromoting) || bytes.Equal(prog, pMe2me)
	if h.ours {
		h.host = host
		h.msg = bytes.TrimSpace(msg)
	}
	return h, true
}

// clock turns a header into UTC: classic lines get their year from ref (in
// loc) and roll back a year when their month is after ref's month.
func (h hdr) clock(ref time.Time, loc *time.Location) time.Time {
	if !h.classic {
		if h.hasZone {
			return h.iso.UTC()
		}
		y, mo, d := h.iso.Date()
		return time.Date(y, mo, d, h.iso.Hour(), h.iso.Minute(), h.iso.Second(), h.iso.Nanosecond(), loc).UTC()
	}
	r := ref.In(loc)
	y := r.Year()
	if h.mon > r.Month() {
		y--
	}
	return time.Date(y, h.mon, h.day, h.h, h.m, h.s, 0, loc).UTC()
}

// Evidence field lists, shared and read only (len == cap: an append copies).
var (
	fStartAll = []string{"start", "direction", "outcome", "remote_id", "remote_name"}
	fEndAll   = []string{"end", "direction", "outcome", "remote_id", "remote_name"}
	fEnd      = []string{"end"}
	fIP       = []string{"remote_ip"}
	fIPAll    = []string{"remote_ip", "start", "direction", "outcome", "remote_id", "remote_name"}
)

var (
	kConnected    = []byte("Client connected: ")
	kDisconnected = []byte("Client disconnected: ")
	kDenied       = []byte("Access denied for client: ")
	kChannel      = []byte("Channel IP for client: ")
)

type conn struct {
	r         session.Record
	host      string
	client    string
	peers     *peer // the connections of the same host and client
	closed    bool
	end       time.Time
	relayIP   bool
	connected bool
	dropped   int
	notes     map[string]bool
}

// peer holds the connections of one host and client (clients compared as
// strings.EqualFold does): all of them in order, and the live ones.
type peer struct {
	all, live []*conn
}

// foldKey appends s in a form equal for exactly the strings EqualFold finds
// equal: each rune (an invalid byte reads as RuneError) replaced by the
// smallest rune of its case-folding orbit.
func foldKey(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		dst = utf8.AppendRune(dst, m)
		i += n
	}
	return dst
}

// noted tells whether c's record has note s already.
func noted[S ~string | ~[]byte](c *conn, s S) bool {
	if c.notes != nil {
		return c.notes[string(s)]
	}
	for _, n := range c.r.Notes {
		if n == string(s) {
			return true
		}
	}
	return false
}

// note adds s to the notes unless it is there (a few notes are searched,
// more get a set).
func (c *conn) note(s string) {
	if noted(c, s) {
		return
	}
	c.r.Notes = append(c.r.Notes, s)
	if c.notes == nil && len(c.r.Notes) > 8 {
		c.notes = make(map[string]bool, 16)
		for _, n := range c.r.Notes {
			c.notes[n] = true
		}
	} else if c.notes != nil {
		c.notes[s] = true
	}
}

// after returns the argument after marker k, without a trailing period.
func after(msg, k []byte) (string, bool) {
	i := bytes.Index(msg, k)
	if i < 0 {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimSpace(string(msg[i+len(k):])), "."), true
}

// quoted returns the value of key='value' in s.
func quoted(s, key string) string {
	i := strings.Index(s, " "+key+"='")
	if i < 0 {
		return ""
	}
	v := s[i+len(key)+3:]
	if j := strings.IndexByte(v, '\''); j >= 0 {
		return v[:j]
	}
	return v
}

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
	ref := in.Modified
	classicRule := "classic syslog time read as local time in " + zname + ", converted to UTC; year from the file's modification time (a month after it is the year before)"
	if ref.IsZero() {
		ref = time.Now()
		classicRule = "classic syslog time read as local time in " + zname + ", converted to UTC; year from the current date (no file modification time)"
	}
	isoRule := "UTC from the ISO timestamp's offset on the line"
	var errs logkit.ErrList
	var conns []*conn
	var (
		txt    logkit.Text // strings of the records
		intern = logkit.Interner{}
		times  logkit.Slab[time.Time]
		lastP  *time.Time // the last time stored, shared while it repeats
		buf    []byte
	)
	// str is the concatenation of parts, kept in txt.
	str := func(parts ...string) string {
		buf = buf[:0]
		for _, p := range parts {
			buf = append(buf, p...)
		}
		return txt.Str(txt.Add(buf))
	}
	peers := map[string]*peer{}
	var keyBuf []byte
	// peerOf is the peer of host and client (made when make is set).
	peerOf := func(host, client string, make bool) *peer {
		keyBuf = foldKey(append(append(keyBuf[:0], host...), 0), client)
		p := peers[string(keyBuf)]
		if p == nil && make {
			p = &peer{}
			peers[string(keyBuf)] = p
		}
		return p
	}
	syslogLines := 0
	var lastHdr []byte
	see := func(t time.Time) {
		if res.FirstTime == nil || t.Before(*res.FirstTime) {
			res.FirstTime = session.T(t)
		}
		if res.LastTime == nil || t.After(*res.LastTime) {
			res.LastTime = session.T(t)
		}
	}
	for rd.Next() {
		l := rd.Bytes()
		if !progHint(l) {
			if len(l) >= 16 && (l[3] == ' ' || l[4] == '-') {
				syslogLines++
				if syslogLines == 1 {
					if h, ok := header(l); ok {
						see(h.clock(ref, loc))
					}
				}
				lastHdr = append(lastHdr[:0], l[:min(len(l), 48)]...)
			}
			continue
		}
		h, ok := header(l)
		if !ok {
			continue
		}
		syslogLines++
		lastHdr = lastHdr[:0]
		t := h.clock(ref, loc)
		see(t)
		if !h.ours {
			continue
		}
		if rd.Truncated() {
			errs.Add(rd.N(), rd.Offset(), "line longer than %d bytes cut", 1<<20)
		}
		rule := isoRule
		if h.classic {
			rule = classicRule
		} else if !h.hasZone {
			rule = "ISO timestamp without offset read as local time in " + zname + ", converted to UTC"
		}
		n, off := rd.N(), rd.Offset()
		host := intern.Cat("", h.host)
		raw := ""
		// tp is the line's time, stored once (and shared with the lines
		// before while it repeats).
		tp := func() *time.Time {
			if lastP == nil || !lastP.Equal(t) {
				lastP = &times.Alloc(1)[0]
				*lastP = t
			}
			return lastP
		}
		// room tells whether c takes one more evidence line (it counts
		// the ones it does not).
		room := func(c *conn) bool {
			if len(c.r.Evidence) >= maxEvidence {
				c.dropped++
				return false
			}
			return true
		}
		add := func(c *conn, summary string, fields []string) {
			if raw == "" {
				raw = evidence.Clip(txt.Str(txt.Add(l)))
			}
			c.r.Evidence = append(c.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: name, Summary: summary,
				Path: in.Path, Line: n, Offset: off, Raw: raw, Fields: fields, Time: tp()})
		}
		newConn := func(client string, out session.Outcome) *conn {
			c := &conn{host: host, client: client}
			account := client
			if i := strings.IndexByte(account, '/'); i >= 0 {
				account = account[:i]
			}
			c.r = session.Record{Tool: tool, Parser: name, Direction: session.Incoming, Outcome: out, TimeRule: rule,
				RemoteID: client, RemoteName: account}
			c.note(intern.Cat("syslog host: ", h.host))
			conns = append(conns, c)
			c.peers = peerOf(host, client, true)
			c.peers.all = append(c.peers.all, c)
			if out == session.Established {
				c.peers.live = append(c.peers.live, c)
			}
			return c
		}
		// find is the last live connection of the host and client.
		find := func(client string) *conn {
			if p := peerOf(host, client, false); p != nil && len(p.live) > 0 {
				return p.live[len(p.live)-1]
			}
			return nil
		}
		closeConn := func(c *conn) {
			c.closed, c.end = true, t
			c.r.End = tp()
			live := c.peers.live
			for i, x := range live {
				if x == c {
					c.peers.live = append(live[:i], live[i+1:]...)
					break
				}
			}
		}
		msg := h.msg
		if client, ok := after(msg, kConnected); ok {
			c := find(client)
			if c == nil || c.connected {
				c = newConn(client, session.Established)
			}
			c.connected = true
			if c.r.Start == nil || t.Before(*c.r.Start) {
				c.r.Start = tp()
			}
			if room(c) {
				add(c, str("Chrome Remote Desktop: client connected: ", client), fStartAll)
			}
		} else if client, ok := after(msg, kDisconnected); ok {
			if c := find(client); c != nil {
				closeConn(c)
				if room(c) {
					add(c, str("Chrome Remote Desktop: client disconnected: ", client), fEnd)
				}
				continue
			}
			c := newConn(client, session.Established)
			closeConn(c)
			c.note("client connected line not in this log: start unknown")
			if room(c) {
				add(c, str("Chrome Remote Desktop: client disconnected: ", client), fEndAll)
			}
		} else if client, ok := after(msg, kDenied); ok {
			c := newConn(client, session.Rejected)
			c.r.Start, c.r.End = tp(), tp()
			if room(c) {
				add(c, str("Chrome Remote Desktop: access denied for client ", client), fStartAll)
			}
		} else if rest, ok := after(msg, kChannel); ok {
			client, _, _ := strings.Cut(rest, " ")
			addr, hostIP, channel, kind := quoted(rest, "ip"), quoted(rest, "host_ip"), quoted(rest, "channel"), quoted(rest, "connection")
			c := find(client)
			if p := peerOf(host, client, false); c == nil && p != nil {
				for i := len(p.all) - 1; i >= 0; i-- {
					x := p.all[i]
					if x.closed && t.Sub(x.end) >= 0 && t.Sub(x.end) <= lateWindow {
						c = x
						break
					}
				}
			}
			fields := fIP
			if c == nil {
				c = newConn(client, session.Established)
				c.r.Start = tp()
				c.note("client connected line not in this log: start = first channel line")
				fields = fIPAll
			}
			ip, port := splitAddr(addr)
			relay := strings.EqualFold(kind, "relay")
			if ip != "" && (c.r.RemoteIP == "" || (c.relayIP && !relay)) {
				c.r.RemoteIP, c.r.RemotePort, c.relayIP = ip, port, relay
			}
			if relay {
				c.note("a channel went through a relay: its address " + addr + " is a Google relay server, not the client")
			}
			buf = append(append(append(append(append(append(append(append(buf[:0],
				"channel "...), channel...), ": connection "...), kind...), ", client "...), addr...), ", host "...), hostIP...)
			if !noted(c, buf) {
				c.note(txt.Str(txt.Add(buf)))
			}
			if room(c) {
				add(c, str("Chrome Remote Desktop: channel ", channel, " for ", client, ": ", kind, " connection, client ", addr, ", host ", hostIP), fields)
			}
		}
	}
	if len(lastHdr) > 0 {
		if h, ok := header(append(lastHdr, " x y: z"...)); ok {
			see(h.clock(ref, loc))
		}
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "read: %v", err)
	}
	res.Errors = errs.Result()
	if res.Lines > 0 && syslogLines == 0 {
		return res, fmt.Errorf("%s: %s: no line in a syslog layout", name, in.Path)
	}
	for _, c := range conns {
		if c.dropped > 0 {
			c.note(fmt.Sprintf("%d more lines not listed as evidence", c.dropped))
		}
		if c.relayIP {
			c.note("remote IP is a relay address (only relay channels seen): not the client's own address")
		}
		c.r.Key = strings.Join([]string{tool, strings.ToLower(c.host), strings.ToLower(c.client)}, "|")
		c.r.Finish()
		res.Sessions = append(res.Sessions, c.r)
	}
	return res, nil
}

func splitAddr(s string) (string, uint32) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
			return ip.String(), 0
		}
		return "", 0
	}
	if net.ParseIP(h) == nil {
		return "", 0
	}
	port, _ := strconv.ParseUint(p, 10, 16)
	return h, uint32(port)
}
