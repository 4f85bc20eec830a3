// Package xrdp reads xrdp's two logs: /var/log/xrdp.log (parser "xrdp", one
// record per RDP client connection) and /var/log/xrdp-sesman.log (parser
// "xrdp-sesman", one record per login decision: session created or
// reconnected, authentication failure, login refused). Both belong to tool
// "xrdp".
//
// Format: `[YYYYMMDD-HH:MM:SS] [LEVEL] message`, local time without zone (read
// in Input.Location), optionally with `[pid:N tid:N] ` after the level when
// xrdp.ini / sesman.ini set EnableProcessId=true.
//
// xrdp.log outcome rules:
//   - `Socket N: AF_INET connection received from IP port P` opens a
//     connection (start, remote ip and port);
//   - `sending login info to session manager` → auth method "password";
//   - `login successful for user U on display D` → established (local user,
//     display :D); `lib_mod_log_peer: … client_ip=IP client_port=P` confirms
//     that the connection was joined to the user's X session;
//   - `login failed for user U` → failed_auth;
//   - a connection with neither → attempt_only (e.g. `xfreerdp +auth-only`
//     sends the login and leaves before the result);
//   - the first teardown line (`SSL_read: …`, `SSL: error…`,
//     `xrdp_iso_send: trans_write_copy_s failed`, `Sending [ITU T.125]
//     DisconnectProviderUltimatum failed`, `Received disconnection request`,
//     …) ends it. Each connection is a forked xrdp child whose lines carry no
//     address, so without the pid prefix lines are attributed to the newest
//     connection still at that step (in practice connections rarely overlap
//     within a second; when they do the record says so).
//
// xrdp-sesman.log rules:
//   - `++ created session (access granted): username U, ip IP:P` and
//     `++ reconnected session: username U, display :D.0, …, ip IP:P` →
//     established. sesman does not log the RDP client's disconnect: the record
//     stays open until `++ terminated session` for its display and session
//     pid, which ends the desktop session (Open=false, End left empty, see the
//     note) — sessions survive client disconnects (KillDisconnected=false).
//   - `pam_authenticate failed` + `AUTHFAIL: user=U ip=IP time=EPOCH` →
//     failed_auth (the epoch is UTC and is used to check the zone);
//   - `login denied for user`, `max concurrent session limit exceeded`,
//     `ROOT login attempted…`, `pam_acct_mgmt failed` → rejected.
//
// Join key: "xrdp|<client ip>|<client port>" in both logs, from the xrdp.log
// accept line and the client ip:port sesman prints in created / reconnected /
// terminated lines, so an xrdp.log connection and the sesman login it caused
// share a key. AUTHFAIL and refusal lines in xrdp-sesman.log carry no client
// port: their key is "xrdp|<ip>|0" and they join the xrdp.log record
// `login failed` by ip, user and time (same second in practice).
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
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// line is one parsed xrdp log line.
type line struct {
	t     time.Time
	ok    bool // has a valid timestamp
	level []byte
	pid   int
	msg   []byte
}

// reader wraps lineio with xrdp's timestamp cache.
type reader struct {
	name string
	in   sessionlog.Input
	loc  *time.Location
	r    *lineio.Reader
	raw  []byte
	errs logkit.ErrList

	tsKey       [17]byte
	tsValid     bool
	tsT         time.Time
	cur         line
	first, last time.Time
	haveTime    bool

	st logkit.Store
	le logkit.LineEvidence
}

func newReader(name string, in sessionlog.Input) (*reader, error) {
	if in.R == nil {
		return nil, fmt.Errorf("%s: no reader", name)
	}
	rd := &reader{name: name, in: in, le: logkit.LineEvidence{Scanner: name, Path: in.Path}}
	rd.loc, _ = logkit.Zone(in.Location)
	r, err := logkit.OpenText(in.R)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	rd.r = r
	return rd, nil
}

func timeRule(logName string, loc *time.Location) string {
	_, z := logkit.Zone(loc)
	return "local time without zone ([YYYYMMDD-HH:MM:SS]) in " + logName + "; read as " + z
}

// isStamp: "[20261121-11:13:48]".
func isStamp(b []byte) bool {
	if len(b) < 19 || b[0] != '[' || b[9] != '-' || b[12] != ':' || b[15] != ':' || b[18] != ']' {
		return false
	}
	for _, i := range [...]int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 16, 17} {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}

// next reads the next line; false at EOF.
func (rd *reader) next() bool {
	if !rd.r.Next() {
		if err := rd.r.Err(); err != nil {
			rd.errs.Add(rd.r.N(), rd.r.Offset(), "read error: %v", err)
		}
		return false
	}
	rd.raw = rd.r.Bytes()
	if rd.r.Truncated() {
		rd.errs.Add(rd.r.N(), rd.r.Offset(), "line longer than %d bytes, cut", lineio.MaxLine)
	}
	rd.cur = line{}
	b := rd.raw
	if len(b) == 0 {
		return true
	}
	same := rd.tsValid && len(b) >= 19 && b[0] == '[' && b[18] == ']' && *(*[17]byte)(b[1:18]) == rd.tsKey
	if !same && !isStamp(b) {
		if b[0] == '[' && len(b) >= 2 && b[1] >= '0' && b[1] <= '9' {
			rd.errs.Add(rd.r.N(), rd.r.Offset(), "malformed timestamp")
		} else if i := logkit.CtlIndex(b); i >= 0 {
			rd.errs.Add(rd.r.N(), rd.r.Offset()+int64(i), "non-text byte 0x%02x in line", b[i])
		}
		return true
	}
	if !same {
		y, _ := logkit.Atoi(b[1:5])
		mo, _ := logkit.Atoi(b[5:7])
		d, _ := logkit.Atoi(b[7:9])
		h, _ := logkit.Atoi(b[10:12])
		mi, _ := logkit.Atoi(b[13:15])
		sec, _ := logkit.Atoi(b[16:18])
		t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, rd.loc)
		if mo < 1 || mo > 12 || d < 1 || t.Day() != d || h > 23 || mi > 59 || sec > 60 {
			rd.errs.Add(rd.r.N(), rd.r.Offset(), "invalid timestamp %q", b[:19])
			return true
		}
		copy(rd.tsKey[:], b[1:18])
		rd.tsValid = true
		rd.tsT = t.UTC()
		if !rd.haveTime || rd.tsT.Before(rd.first) {
			rd.first = rd.tsT
		}
		if !rd.haveTime || rd.tsT.After(rd.last) {
			rd.last = rd.tsT
		}
	}
	rd.cur.t, rd.cur.ok = rd.tsT, true
	rd.haveTime = true
	rest := bytes.TrimLeft(b[19:], " ")
	if len(rest) > 0 && rest[0] == '[' {
		if i := bytes.IndexByte(rest, ']'); i > 0 {
			rd.cur.level = bytes.TrimSpace(rest[1:i])
			rest = bytes.TrimLeft(rest[i+1:], " ")
		}
	}
	if v, ok := bytes.CutPrefix(rest, []byte("[pid:")); ok {
		if i := bytes.IndexByte(v, ']'); i > 0 {
			f := v[:i]
			if j := bytes.IndexByte(f, ' '); j > 0 {
				f = f[:j]
			}
			if n, ok := logkit.Atoi(f); ok {
				rd.cur.pid = n
			}
			rest = bytes.TrimLeft(v[i+1:], " ")
		}
	}
	rd.cur.msg = rest
	return true
}

func (rd *reader) curT() *time.Time { return rd.le.Time(rd.cur.t, rd.cur.ok) }

func (rd *reader) ev(summary string, fields ...string) evidence.Evidence {
	return rd.le.Of(rd.r, rd.raw, rd.curT(), summary, fields)
}

// addEv appends the current line's evidence to rec (built in place).
func (rd *reader) addEv(rec *session.Record, summary string, fields ...string) {
	rec.Evidence = rd.le.Append(rec.Evidence, rd.r, rd.raw, rd.curT(), summary, fields)
}

func (rd *reader) result() sessionlog.Result {
	res := sessionlog.Result{Lines: rd.r.N(), Errors: rd.errs.Result()}
	if rd.haveTime {
		res.FirstTime, res.LastTime = session.T(rd.first), session.T(rd.last)
	}
	return res
}

// after returns what follows the first occurrence of sep.
func after(b []byte, sep string) ([]byte, bool) {
	i := bytes.Index(b, []byte(sep))
	if i < 0 {
		return nil, false
	}
	return b[i+len(sep):], true
}

// word returns b up to the first space or one of the stop bytes.
func word(b []byte, stops string) string {
	for i, c := range b {
		if c == ' ' || strings.IndexByte(stops, c) >= 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func port(s string) uint32 {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0
	}
	return uint32(n)
}

// splitHostPort splits "IP:PORT" (IPv6 too, at the last colon).
func splitHostPort(s string) (string, uint32) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	if p := port(s[i+1:]); p != 0 {
		return strings.Trim(s[:i], "[]"), p
	}
	return s, 0
}

func key(ip string, port uint32) string {
	return "xrdp|" + ip + "|" + strconv.FormatUint(uint64(port), 10)
}

// ---------------------------------------------------------------- xrdp.log

const xrdpName = "xrdp"

// Parser reads /var/log/xrdp.log.
type Parser struct{}

// New returns the xrdp.log parser.
func New() *Parser { return &Parser{} }

// Name is the parser id.
func (*Parser) Name() string { return xrdpName }

// Tool is the signature id.
func (*Parser) Tool() string { return "xrdp" }

var (
	sesmanMarkers = []string{"starting xrdp-sesman", "sesman_main_loop", "sesman_data_in", "++ created session",
		"++ reconnected session", "++ terminated session", "AUTHFAIL:", "Terminal Server Users group",
		"[session start]", "Session started successfully", "Starting session:", "pam_authenticate failed"}
	xrdpMarkers = []string{"starting xrdp with pid", "xrdp_listen", "listening to port", "Security protocol: configured",
		"TLS connection established from", "login successful for user", "login failed for user", "xrdp_wm_",
		"xrdp_iso_", "lib_mod_", "Connected client computer name", "xrdp_caps_", "xrdp_load_keyboard_layout",
		"connecting to sesman", "sending login info to session manager"}
)

func hasAny(h []byte, ms []string) bool {
	for _, m := range ms {
		if bytes.Contains(h, []byte(m)) {
			return true
		}
	}
	return false
}

func sniffKind(head []byte, fname string) (xrdpLog, sesmanLog bool) {
	h := logkit.TextHead(head)
	if len(h) > 0 && !isStamp(h) {
		return false, false
	}
	low := strings.ToLower(strings.ReplaceAll(fname, "\\", "/"))
	if strings.Contains(low, "chansrv") || strings.Contains(low, "xorgxrdp") {
		return false, false
	}
	ses, x := hasAny(h, sesmanMarkers), hasAny(h, xrdpMarkers)
	switch {
	case strings.Contains(low, "sesman"):
		return false, true
	case ses && !x:
		return false, true
	case x && !ses:
		return true, false
	case ses && x:
		// Markers of both (a merged file): only a name decides.
		return strings.Contains(low, "xrdp"), false
	}
	return strings.HasSuffix(low, "xrdp.log"), false
}

// Sniff recognises xrdp.log.
func (*Parser) Sniff(head []byte, fname string) bool {
	x, _ := sniffKind(head, fname)
	return x
}

type xconn struct {
	seq       int
	rec       session.Record
	ip        string
	port      uint32
	pid       int
	secSeen   bool
	nameSeen  bool
	loginSent bool
	result    bool // login successful/failed seen
	ok        bool
	failed    bool
	sessErr   bool
	peerSeen  bool
	endAt     *time.Time
	final     bool
	ambiguous bool
}

// loginDup remembers the last login line: xrdp writes each result twice
// ("xrdp_wm_log_msg: login …" then "login …").
type loginDup struct {
	n    int
	text string
}

func (c *xconn) note(s string) { c.rec.Notes = append(c.rec.Notes, s) }

type xstate struct {
	*reader
	rule      string
	seq       int
	open      []*xconn
	listenPID map[int]bool
	lastLogin loginDup
}

// Parse reads xrdp.log.
func (p *Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	rd, err := newReader(xrdpName, in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	s := &xstate{reader: rd, rule: timeRule("xrdp.log", in.Location), listenPID: map[int]bool{}}
	for s.next() {
		if s.cur.ok && len(s.cur.msg) > 0 {
			s.step(s.cur.msg)
		}
	}
	for len(s.open) > 0 {
		s.closeConn(s.open[0])
	}
	res := s.result()
	res.Sessions = s.st.Records(s.seq)
	return res, nil
}

var endMarkers = []string{
	"SSL_read:", "SSL_write:", "SSL: error", "xrdp_iso_send: trans_write_copy_s failed",
	"Sending [ITU T.125] DisconnectProviderUltimatum failed", "Received disconnection request",
	"xrdp_process_data_in:", "xrdp_process_main_loop:", "libxrdp_process_data:",
	"Unable to negotiate a TLS connection", "Server closed TLS connection", "connection problem, giving up",
	"xrdp_sec_recv: xrdp_mcs_recv failed", "xrdp_mcs_recv: xrdp_iso_recv failed",
	"xrdp_iso_recv: xrdp_iso_recv_msg failed", "xrdp_rdp_recv: xrdp_sec_recv failed",
}

func (s *xstate) step(msg []byte) {
	switch msg[0] {
	case 'S':
		if bytes.HasPrefix(msg, []byte("Socket ")) {
			if rest, ok := after(msg, " connection received from "); ok {
				s.onAccept(rest)
				return
			}
			if bytes.Contains(msg, []byte("AF_UNIX connection received")) {
				return
			}
		}
		if v, ok := bytes.CutPrefix(msg, []byte("Security protocol: ")); ok {
			if c := s.pick(func(c *xconn) bool { return !c.secSeen }); c != nil {
				c.secSeen = true
				c.note("RDP security protocol " + string(v))
			}
			return
		}
	case 'A':
		if rest, ok := bytes.CutPrefix(msg, []byte("A connection received from ")); ok {
			s.onAccept(rest)
			return
		}
	case 'C':
		if v, ok := bytes.CutPrefix(msg, []byte("Connected client computer name: ")); ok {
			if c := s.pick(func(c *xconn) bool { return !c.nameSeen }); c != nil {
				c.nameSeen = true
				c.rec.RemoteName = strings.TrimSpace(string(v))
				s.addEv(&c.rec, "client computer name", "remote_name")
			}
			return
		}
	case 'T':
		if rest, ok := bytes.CutPrefix(msg, []byte("TLS connection established from ")); ok {
			ip, pt, info := tlsLine(rest)
			if c := s.byAddr(ip, pt); c != nil {
				c.note("TLS: " + info)
			}
			return
		}
	case 'N':
		if rest, ok := bytes.CutPrefix(msg, []byte("Non-TLS connection established from ")); ok {
			ip, pt, info := tlsLine(rest)
			if c := s.byAddr(ip, pt); c != nil {
				c.note("no TLS (standard RDP security): " + info)
			}
			return
		}
	case 's':
		if bytes.HasPrefix(msg, []byte("sending login info to session manager")) {
			if c := s.pick(func(c *xconn) bool { return !c.loginSent && !c.result }); c != nil {
				c.loginSent = true
				c.rec.AuthMethod = "password"
				s.addEv(&c.rec, "user name and password sent to xrdp-sesman", "auth_method")
			}
			return
		}
		if v, ok := bytes.CutPrefix(msg, []byte("starting xrdp with pid ")); ok {
			if n, ok := logkit.Atoi(bytes.TrimSpace(v)); ok {
				s.listenPID[n] = true
			}
			return
		}
	case 'l', 'x':
		if v, ok := bytes.CutPrefix(msg, []byte("xrdp_wm_log_msg: ")); ok {
			msg = v
		}
		if v, ok := bytes.CutPrefix(msg, []byte("login successful for user ")); ok {
			s.onLogin(true, v)
			return
		}
		if v, ok := bytes.CutPrefix(msg, []byte("login failed for user ")); ok {
			s.onLogin(false, v)
			return
		}
		if v, ok := bytes.CutPrefix(msg, []byte("lib_mod_log_peer: ")); ok {
			s.onPeer(v)
			return
		}
	case 'E':
		if bytes.HasPrefix(msg, []byte("Error connecting to user session")) {
			if c := s.pick(func(c *xconn) bool { return c.ok }); c != nil {
				c.sessErr = true
				s.addEv(&c.rec, "connecting to the user session failed", "outcome")
			}
			return
		}
	}
	if len(msg) == 0 || strings.IndexByte("SxRlUc", msg[0]) < 0 {
		return
	}
	for _, m := range endMarkers {
		if msg[0] == m[0] && bytes.HasPrefix(msg, []byte(m)) {
			s.onEnd(m == "Sending [ITU T.125] DisconnectProviderUltimatum failed" || m == "Received disconnection request")
			return
		}
	}
}

// tlsLine: "IP port P: rest".
func tlsLine(rest []byte) (string, uint32, string) {
	ip := word(rest, "")
	info := ""
	var pt uint32
	if v, ok := after(rest, " port "); ok {
		pt = port(word(v, ":"))
		if w, ok := after(v, ": "); ok {
			info = strings.TrimSpace(string(w))
		}
	}
	return ip, pt, info
}

func (s *xstate) onAccept(rest []byte) {
	// "IP port P" (AF_INET/AF_INET6) or "cid: C port: P" (AF_VSOCK).
	ip := word(rest, "")
	var pt uint32
	if v, ok := after(rest, " port "); ok {
		pt = port(word(v, ""))
	} else if v, ok := after(rest, " port: "); ok {
		pt = port(word(v, ""))
	}
	if bytes.HasPrefix(rest, []byte("cid: ")) {
		ip = "vsock:" + word(rest[5:], "")
	}
	s.seq++
	c := &xconn{seq: s.seq, ip: ip, port: pt}
	c.rec = session.Record{Tool: "xrdp", Parser: xrdpName, Direction: session.Incoming, RemoteIP: ip, RemotePort: pt,
		TimeRule: s.rule, Start: s.curT()}
	c.rec.Evidence, c.rec.Notes = s.st.Buffers()
	s.addEv(&c.rec, "RDP client connected", "start", "remote_ip", "remote_port")
	if s.cur.pid != 0 {
		s.listenPID[s.cur.pid] = true
	}
	s.open = append(s.open, c)
}

// pick returns the connection a line without address belongs to: by pid
// when the log has one, else the newest open connection matching pred.
func (s *xstate) pick(pred func(*xconn) bool) *xconn {
	if pid := s.cur.pid; pid != 0 && !s.listenPID[pid] {
		for _, c := range s.open {
			if c.pid == pid {
				if pred(c) {
					return c
				}
				return nil
			}
		}
		for i := len(s.open) - 1; i >= 0; i-- {
			if c := s.open[i]; c.pid == 0 && !c.final {
				c.pid = pid
				c.note("xrdp child pid " + strconv.Itoa(pid))
				if pred(c) {
					return c
				}
				return nil
			}
		}
	}
	var found *xconn
	n := 0
	for i := len(s.open) - 1; i >= 0; i-- {
		c := s.open[i]
		if c.final || c.endAt != nil {
			continue
		}
		if pred(c) {
			if found == nil {
				found = c
			}
			n++
		}
	}
	if n > 1 && found != nil && !found.ambiguous {
		found.ambiguous = true
		found.note("several xrdp connections were open at once and the log has no process ids: lines without an address were attributed to the newest connection at that step")
	}
	return found
}

func (s *xstate) byAddr(ip string, pt uint32) *xconn {
	for i := len(s.open) - 1; i >= 0; i-- {
		if c := s.open[i]; c.ip == ip && c.port == pt {
			return c
		}
	}
	return nil
}

func (s *xstate) onLogin(ok bool, v []byte) {
	prev := s.lastLogin
	s.lastLogin = loginDup{s.r.N(), string(v)}
	if prev.n == s.r.N()-1 && prev.text == string(v) {
		return // the second copy of the same result
	}
	c := s.pick(func(c *xconn) bool { return c.loginSent && !c.result })
	if c == nil {
		c = s.pick(func(c *xconn) bool { return !c.result })
	}
	if c == nil {
		return
	}
	c.result = true
	user := word(v, "")
	c.rec.LocalUser = user
	if c.rec.AuthMethod == "" {
		c.rec.AuthMethod = "password"
	}
	if ok {
		c.ok = true
		fields := []string{"outcome", "local_user"}
		if d, found := after(v, " on display "); found {
			c.rec.Display = ":" + word(d, "")
			fields = append(fields, "display")
		}
		s.addEv(&c.rec, "login successful for user "+user, fields...)
		return
	}
	c.failed = true
	s.addEv(&c.rec, "login failed for user "+user+" (wrong password or refused by sesman)", "outcome", "local_user")
}

// onPeer: "xrdp_pid=X connected to X11rdp_pid=Y X11rdp_uid=U X11rdp_gid=G client_ip=IP client_port=P".
func (s *xstate) onPeer(v []byte) {
	var ip string
	var pt uint32
	var xpid, spid, uid string
	for _, f := range bytes.Fields(v) {
		k, val, ok := bytes.Cut(f, []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "client_ip":
			ip = string(val)
		case "client_port":
			pt = port(string(val))
		case "xrdp_pid":
			xpid = string(val)
		case "X11rdp_pid":
			spid = string(val)
		case "X11rdp_uid":
			uid = string(val)
		}
	}
	c := s.byAddr(ip, pt)
	if c == nil {
		c = s.pick(func(c *xconn) bool { return c.ok && !c.peerSeen })
	}
	if c == nil {
		return
	}
	c.peerSeen = true
	if n, ok := logkit.Atoi([]byte(xpid)); ok && c.pid == 0 {
		c.pid = n
	}
	c.note("xrdp child pid " + xpid + " joined the user's X server (pid " + spid + ", uid " + uid + ")")
	s.addEv(&c.rec, "connection joined to the user's X session", "outcome", "remote_ip", "remote_port")
}

func (s *xstate) onEnd(final bool) {
	// A connection already tearing down takes the rest of its teardown lines
	// (within a few seconds); otherwise the newest open connection ends.
	var c *xconn
	if pid := s.cur.pid; pid != 0 && !s.listenPID[pid] {
		for _, o := range s.open {
			if o.pid == pid {
				c = o
			}
		}
	}
	if c == nil {
		for i := len(s.open) - 1; i >= 0; i-- {
			o := s.open[i]
			if o.endAt != nil && !o.final && (!s.cur.ok || s.cur.t.Sub(*o.endAt) <= 5*time.Second) {
				c = o
				break
			}
		}
	}
	if c == nil {
		c = s.pick(func(*xconn) bool { return true })
	}
	if c == nil {
		return
	}
	if c.endAt == nil {
		c.endAt = s.curT()
		c.rec.End = c.endAt
		s.addEv(&c.rec, "connection ended: "+string(bytes.TrimSpace(s.cur.msg)), "end")
	}
	if final {
		c.final = true
		s.closeConn(c)
	}
}

func (s *xstate) closeConn(c *xconn) {
	for i, o := range s.open {
		if o == c {
			s.open = append(s.open[:i], s.open[i+1:]...)
			break
		}
	}
	s.st.Put(c.seq, s.record(c))
}

func (s *xstate) record(c *xconn) session.Record {
	rec := c.rec
	rec.Key = key(c.ip, c.port)
	switch {
	case c.failed:
		rec.Outcome = session.FailedAuth
	case c.ok && !c.sessErr:
		rec.Outcome = session.Established
	default:
		rec.Outcome = session.AttemptOnly
		switch {
		case c.sessErr:
			rec.Notes = append(rec.Notes, "login accepted, but connecting to the user's X session failed: the client did not get the desktop")
		case c.loginSent:
			rec.Notes = append(rec.Notes, "login sent to xrdp-sesman, but the client left before the result (e.g. xfreerdp +auth-only); xrdp-sesman.log shows whether the credentials were accepted")
		default:
			rec.Notes = append(rec.Notes, "the client left before sending a login")
		}
	}
	rec.Finish()
	if rec.Open {
		rec.Notes = append(rec.Notes, "no disconnect logged: the client is still connected or the log stops before its end")
	}
	return rec
}
