// Package x11vnc reads x11vnc's own log (`x11vnc -o FILE`, or its captured
// stderr) and reconstructs one session record per client connection.
//
// Format: every libvncserver/x11vnc message starts with a local time without
// zone, `DD/MM/YYYY HH:MM:SS ` (read in Input.Location); banner lines have no
// time. x11vnc writes no explicit "authenticated" line, so the outcome of a
// connection follows its protocol progress:
//
//   - `Got connection from client IP` opens a connection; the next
//     `incr accepted_client=N for IP:PORT` gives its port.
//   - `rfbProcessClientSecurityType: executing handler for type N`: the
//     client chose security type N (1 = None → auth "none", 2 = VNC
//     password → "vnc-password").
//   - `authentication failed from IP` / `password check failed` → failed_auth.
//   - `denying client` / `accept_client: rejected` / `refusing new client`
//     → rejected.
//   - `client gone` during protocol version, security or ClientInit →
//     attempt_only.
//   - established needs proof that the client got the desktop: a normal RFB
//     message handled for it (`Pixel format for client`, `Using … encoding for
//     client`, `client_set_net`, …), the statistics block printed at
//     disconnect with messages received or framebuffer updates sent, or, for
//     security type None, the security handler having run with no failure.
//     With VNC password auth and RFB 3.3 a success is never logged, so such a
//     connection without later proof stays attempt_only.
//   - `Client IP gone` ends the connection; the Received statistics that
//     follow give the input counts (KeyEvent, PointerEvent → Record.Input)
//     and clipboard transfers (ClientCutText, ServerCutText → Clipboard).
//
// Several connections from one IP may be open at once (the log names the IP
// only, not the port, after the accept line). Lines are then attributed by
// protocol state: a protocol-version line goes to the oldest connection still
// waiting for one, a disconnect to the connection whose statistics fit (one
// that handled normal messages when the Received totals are non-zero), and
// the record says so in a note.
//
// Join key: "x11vnc|<remote ip>|<remote port>" (port 0 when the accept line
// is missing), the same ip:port a socket table or a capture shows.
package x11vnc

import (
	"bytes"
	"fmt"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
	"strconv"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const name = "x11vnc"

// Parser reads x11vnc logs.
type Parser struct{}

// New returns the x11vnc parser.
func New() *Parser { return &Parser{} }

// Name is the parser id.
func (*Parser) Name() string { return name }

// Tool is the signature id.
func (*Parser) Tool() string { return "x11vnc" }

// Sniff recognises an x11vnc log from its first bytes (or its name).
func (*Parser) Sniff(head []byte, fname string) bool {
	h := logkit.TextHead(head)
	if bytes.Contains(h, []byte("x11vnc version:")) || bytes.Contains(h, []byte("passing arg to libvncserver")) {
		return true
	}
	stamped := len(h) >= 20 && isStamp(h)
	if stamped && (bytes.Contains(h, []byte("Got connection from client")) ||
		bytes.Contains(h, []byte("incr accepted_client=")) || bytes.Contains(h, []byte("x11vnc"))) {
		return true
	}
	return bytes.Contains(bytes.ToLower([]byte(fname)), []byte("x11vnc")) && (len(h) == 0 || stamped)
}

func isStamp(b []byte) bool {
	if len(b) < 19 || b[2] != '/' || b[5] != '/' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return false
	}
	for _, i := range [...]int{0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18} {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return len(b) == 19 || b[19] == ' '
}

type phase int

const (
	phAccepted phase = iota // accepted, no RFB version yet
	phProto                 // RFB version exchanged
	phSecurity              // security handler running (VNC password challenge sent)
	phAuthOK                // security passed (type None)
	phNormal                // normal RFB messages handled: the client has the desktop
)

type conn struct {
	seq      int
	rec      session.Record
	ip       string
	port     uint32
	ph       phase
	rfb      string
	secType  int
	passwd   bool // the server had a password option when the client came
	dying    bool // a line said the connection fails or leaves
	failed   bool
	rejected bool
	reason   string
	stats    bool
	sent     int
	recv     int
}

func (c *conn) is33() bool {
	// RFB 3.3 (and the 3.4–3.6 variants treated as 3.3): the server picks the
	// security type and logs no handler line.
	return len(c.rfb) == 3 && c.rfb[0] == '3' && c.rfb[2] < '7'
}

func (c *conn) note(s string) { c.rec.Notes = append(c.rec.Notes, s) }

type statRow struct {
	received bool
	name     string
	n        int
	ev       evidence.Evidence
}

type gone struct {
	ip        string
	ev        evidence.Evidence
	t         *time.Time
	section   int // 0 none, 1 transmit, 2 received
	seen      bool
	sentTotal int
	recvTotal int
	sentFB    int
	rows      []statRow
	fbLine    int // line and offset of a non-zero FramebufferUpdate (sent) row
	fbOff     int64
	fbRaw     []byte
}

type state struct {
	in   sessionlog.Input
	loc  *time.Location
	rule string
	r    *lineio.Reader
	line []byte
	errs logkit.ErrList

	tsKey       [19]byte
	tsValid     bool
	cur         time.Time
	curOK       bool
	le          logkit.LineEvidence
	intern      logkit.Interner
	prevT       time.Time // time of the timestamped line before the current one
	prevOK      bool
	first, last time.Time
	haveTime    bool

	seq      int
	open     []*conn
	st       logkit.Store
	connPool []*conn // finished connections, reused
	lastFail *conn
	gone     *gone

	// server run
	runSeen  bool
	inArgs   bool
	display  string
	port     uint32
	passwd   bool
	exited   bool
	exitNote string
}

// Parse reads an x11vnc log.
func (p *Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	if in.R == nil {
		return sessionlog.Result{}, fmt.Errorf("%s: no reader", name)
	}
	s := &state{in: in, intern: logkit.Interner{}, le: logkit.LineEvidence{Scanner: name, Path: in.Path}}
	s.loc, s.rule = logkit.Zone(in.Location)
	s.rule = "local time without zone (DD/MM/YYYY HH:MM:SS) in x11vnc log; read as " + s.rule
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
	s.finish()
	res := sessionlog.Result{Lines: s.r.N(), Errors: s.errs.Result()}
	if s.haveTime {
		res.FirstTime, res.LastTime = session.T(s.first), session.T(s.last)
	}
	// Every connection (seq 1..s.seq) has been closed and stored.
	res.Sessions = s.st.Records(s.seq)
	return res, nil
}

// stamp parses the line's time prefix; msg is the text after it.
func (s *state) stamp(b []byte) (msg []byte, ok bool) {
	if len(b) < 19 || b[2] != '/' || b[5] != '/' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return nil, false
	}
	if len(b) > 19 && b[19] != ' ' {
		return nil, false
	}
	if len(b) > 20 {
		msg = b[20:]
	}
	if s.tsValid && *(*[19]byte)(b[:19]) == s.tsKey {
		return msg, true
	}
	d, ok1 := logkit.Atoi(b[0:2])
	mo, ok2 := logkit.Atoi(b[3:5])
	y, ok3 := logkit.Atoi(b[6:10])
	h, ok4 := logkit.Atoi(b[11:13])
	mi, ok5 := logkit.Atoi(b[14:16])
	sec, ok6 := logkit.Atoi(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return nil, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, s.loc)
	if mo < 1 || mo > 12 || d < 1 || t.Day() != d || h > 23 || mi > 59 || sec > 60 {
		s.errs.Add(s.r.N(), s.r.Offset(), "invalid timestamp %q", b[:19])
		return nil, false
	}
	copy(s.tsKey[:], b[:19])
	s.tsValid = true
	s.cur = t.UTC()
	return msg, true
}

func (s *state) step() {
	if s.haveTime {
		s.prevT, s.prevOK = s.cur, true
	}
	msg, ok := s.stamp(s.line)
	s.curOK = ok
	if ok {
		if !s.haveTime || s.cur.Before(s.first) {
			s.first = s.cur
		}
		if !s.haveTime || s.cur.After(s.last) {
			s.last = s.cur
		}
		s.haveTime = true
	} else {
		if s.gone != nil {
			s.resolveGone()
		}
		if i := logkit.CtlIndex(s.line); i >= 0 {
			s.errs.Add(s.r.N(), s.r.Offset()+int64(i), "non-text byte 0x%02x in line", s.line[i])
			return
		}
		if bytes.HasPrefix(s.line, []byte("caught signal: ")) {
			s.exited = true
			s.exitNote = "x11vnc exited (" + string(s.line) + ")"
		}
		return
	}
	if s.gone != nil {
		if s.absorbStats(msg) {
			return
		}
		s.resolveGone()
	}
	if len(msg) == 0 {
		return
	}
	if msg[0] != 'p' {
		s.inArgs = false
	}
	switch msg[0] {
	case 'G':
		if ip, ok := bytes.CutPrefix(msg, []byte("Got connection from client ")); ok {
			s.onConnect(string(bytes.TrimSpace(ip)))
		}
	case 'i':
		if rest, ok := bytes.CutPrefix(msg, []byte("incr accepted_client=")); ok {
			s.onAccepted(rest)
		}
	case 'C':
		if v, ok := bytes.CutPrefix(msg, []byte("Client Protocol Version ")); ok {
			s.onVersion(bytes.TrimSpace(v))
		} else if rest, ok := bytes.CutPrefix(msg, []byte("Client ")); ok && bytes.HasSuffix(rest, []byte(" gone")) {
			s.gone = &gone{ip: string(rest[:len(rest)-5]), ev: s.ev("client disconnected", "end"), t: s.curT()}
		}
	case 'r':
		s.onRFB(msg)
	case 'a':
		if ip, ok := bytes.CutPrefix(msg, []byte("authProcessClientMessage: authentication failed from ")); ok {
			s.onAuthFailed(string(bytes.TrimSpace(ip)), "authentication failed (wrong VNC password)")
		} else if ip, ok := bytes.CutPrefix(msg, []byte("accept_client: rejected: ")); ok {
			s.onReject(string(ip), "rejected by x11vnc's accept command")
		} else if ip, ok := bytes.CutPrefix(msg, []byte("accept_client: popup rejected: ")); ok {
			s.onReject(string(ip), "rejected by the local user at x11vnc's accept popup")
		} else if ip, ok := bytes.CutPrefix(msg, []byte("accept_client: viewonly: ")); ok {
			if c := s.newest(string(ip), func(c *conn) bool { return c.ph < phNormal }); c != nil {
				c.note("accepted view-only by x11vnc's accept command/popup: input from the client is ignored")
			}
		} else if ip, ok := bytes.CutPrefix(msg, []byte("accept_client: popup accepted: ")); ok {
			if c := s.newest(string(ip), func(c *conn) bool { return c.ph < phNormal }); c != nil {
				c.note("accepted by the local user at x11vnc's accept popup")
			}
		}
	case 'd':
		if rest, ok := bytes.CutPrefix(msg, []byte("denying ")); ok {
			s.onReject("", "denied by x11vnc: "+string(rest))
		}
	case ' ':
		if ip, ok := bytes.CutPrefix(msg, []byte("  refusing new client ")); ok {
			s.onReject(string(ip), "refused: the server does not accept another client")
		}
	case 'N':
		if ip, ok := bytes.CutPrefix(msg, []byte("Not shared - closing connection to client ")); ok {
			s.onReject(string(ip), "closed: the client asked for a non-shared session and another client is connected")
		}
	case 'c':
		if rest, ok := bytes.CutPrefix(msg, []byte("client_set_net: ")); ok {
			ip := rest
			if i := bytes.IndexByte(rest, ' '); i >= 0 {
				ip = rest[:i]
			}
			s.onProof(string(ip), "x11vnc set up the client's network parameters (client_set_net): the client reached the normal protocol phase")
		} else if bytes.HasPrefix(msg, []byte("check_access: new connections are currently blocked")) {
			s.onReject("", "new connections were blocked")
		}
	case 'P':
		if rest, ok := bytes.CutPrefix(msg, []byte("Pixel format for client ")); ok {
			s.onProof(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(":"))), "the client set its pixel format: normal RFB messages were handled")
		}
	case 'E', 'U', 'D', 'S':
		if bytes.HasPrefix(msg, []byte("Using X display ")) {
			s.display = string(bytes.TrimSpace(msg[len("Using X display "):]))
			return
		}
		if bytes.HasPrefix(msg, []byte("Sending rfbEncoding")) {
			s.onProof("", "the server sent a desktop-size update: normal RFB messages were handled")
			return
		}
		if i := bytes.LastIndex(msg, []byte(" for client ")); i >= 0 && isEncodingMsg(msg) {
			s.onProof(string(bytes.TrimSpace(msg[i+len(" for client "):])), "the client set its encodings: normal RFB messages were handled")
		}
	case 'L':
		if v, ok := bytes.CutPrefix(msg, []byte("Listening for VNC connections on TCP port ")); ok {
			if n, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil && n > 0 && n < 65536 {
				s.port = uint32(n)
			}
		}
	case 'p':
		if v, ok := bytes.CutPrefix(msg, []byte("passing arg to libvncserver: ")); ok {
			if !s.inArgs {
				s.newRun()
			}
			s.inArgs = true
			switch string(bytes.TrimSpace(v)) {
			case "-passwd", "-rfbauth", "-passwdfile":
				s.passwd = true
			}
		}
	case 'x':
		if bytes.HasPrefix(msg, []byte("x11vnc version: ")) && !s.inArgs {
			s.newRun()
		}
	}
}

func isEncodingMsg(msg []byte) bool {
	for _, p := range [...]string{"Enabling ", "Using ", "Defaulting to ", "Sticking with ", "Switching from ", "Disabling "} {
		if bytes.HasPrefix(msg, []byte(p)) {
			return true
		}
	}
	return false
}

// curT returns the current line's time. Records and evidence of one second
// share the pointer; nothing writes through it.
func (s *state) curT() *time.Time { return s.le.Time(s.cur, s.curOK) }

func (s *state) ev(summary string, fields ...string) evidence.Evidence {
	return s.le.Of(s.r, s.line, s.curT(), summary, fields)
}

func (s *state) add(c *conn, summary string, fields ...string) {
	c.rec.Evidence = s.le.Append(c.rec.Evidence, s.r, s.line, s.curT(), summary, fields)
}

// alloc returns a clean connection, recycled when possible.
func (s *state) alloc() *conn {
	var c *conn
	if n := len(s.connPool); n > 0 {
		c, s.connPool = s.connPool[n-1], s.connPool[:n-1]
	} else {
		c = &conn{}
	}
	c.rec.Evidence, c.rec.Notes = s.st.Buffers()
	return c
}

func (s *state) newConn(ip string) *conn {
	s.seq++
	c := s.alloc()
	c.seq, c.ip, c.passwd = s.seq, ip, s.passwd
	c.rec.Tool = "x11vnc"
	c.rec.Parser = name
	c.rec.Direction = session.Incoming
	c.rec.RemoteIP = ip
	c.rec.TimeRule = s.rule
	c.rec.Display = s.display
	c.rec.LocalPort = s.port
	c.rec.Start = s.curT()
	s.open = append(s.open, c)
	return c
}

func (s *state) close(c *conn) {
	for i, o := range s.open {
		if o == c {
			s.open = append(s.open[:i], s.open[i+1:]...)
			break
		}
	}
	if s.lastFail == c {
		s.lastFail = nil
	}
	s.st.Put(c.seq, s.record(c))
	*c = conn{}
	s.connPool = append(s.connPool, c)
}

// oldest returns the first open connection (by accept order) matching ip
// (any when empty) and pred.
func (s *state) oldest(ip string, pred func(*conn) bool) *conn {
	for _, c := range s.open {
		if (ip == "" || c.ip == ip) && pred(c) {
			return c
		}
	}
	return nil
}

func (s *state) newest(ip string, pred func(*conn) bool) *conn {
	for i := len(s.open) - 1; i >= 0; i-- {
		c := s.open[i]
		if (ip == "" || c.ip == ip) && pred(c) {
			return c
		}
	}
	return nil
}

func (s *state) onConnect(ip string) {
	c := s.newConn(ip)
	s.add(c, "client connected", "start", "remote_ip")
}

// onAccepted: "N for IP:PORT  sock=S".
func (s *state) onAccepted(rest []byte) {
	i := bytes.Index(rest, []byte(" for "))
	if i < 0 {
		return
	}
	addr := rest[i+5:]
	if j := bytes.IndexByte(addr, ' '); j >= 0 {
		addr = addr[:j]
	}
	k := bytes.LastIndexByte(addr, ':')
	if k <= 0 {
		return
	}
	port, err := strconv.Atoi(string(addr[k+1:]))
	if err != nil || port <= 0 || port > 65535 {
		s.errs.Add(s.r.N(), s.r.Offset(), "bad port in accepted_client line")
		return
	}
	ip := string(addr[:k])
	c := s.newest(ip, func(c *conn) bool { return c.port == 0 && c.ph == phAccepted })
	if c == nil {
		// The "Got connection" line is missing (log cut): start here.
		c = s.newConn(ip)
		c.note("the 'Got connection' line is missing; start taken from the accept line")
		s.add(c, "client accepted", "start", "remote_ip", "remote_port")
	} else {
		s.add(c, "client accepted on port "+strconv.Itoa(port), "remote_port")
	}
	c.port = uint32(port)
	c.rec.RemotePort = uint32(port)
}

func (s *state) onVersion(v []byte) {
	c := s.oldest("", func(c *conn) bool { return c.ph == phAccepted && !c.dying })
	if c == nil {
		return
	}
	c.ph = phProto
	note := s.intern.Cat("RFB protocol ", v)
	c.rfb = note[len("RFB protocol "):]
	c.note(note)
}

func (s *state) onRFB(msg []byte) {
	switch {
	case bytes.HasPrefix(msg, []byte("rfbProcessClientSecurityType: ")):
		rest := msg[len("rfbProcessClientSecurityType: "):]
		if v, ok := bytes.CutPrefix(rest, []byte("executing handler for type ")); ok {
			n, ok := logkit.Atoi(bytes.TrimSpace(v))
			if !ok {
				return
			}
			c := s.oldest("", func(c *conn) bool { return c.ph == phProto && !c.dying })
			if c == nil {
				return
			}
			c.secType = n
			c.rec.AuthMethod = authName(n)
			if n == 1 {
				c.ph = phAuthOK
				s.add(c, "security type 1 (None): no password needed, the client passed security", "auth_method", "outcome")
			} else {
				c.ph = phSecurity
				s.add(c, "security type "+strconv.Itoa(n)+" chosen by the client", "auth_method")
			}
			return
		}
		if bytes.HasPrefix(rest, []byte("returning securityResult")) {
			return
		}
		if bytes.HasPrefix(rest, []byte("client gone")) || bytes.HasPrefix(rest, []byte("read")) ||
			bytes.HasPrefix(rest, []byte("wrong security type")) {
			c := s.oldest("", func(c *conn) bool { return c.ph == phProto && !c.dying })
			if c == nil {
				return
			}
			c.dying = true
			c.reason = "the client left during security-type negotiation without choosing a type (e.g. it had no usable security type)"
			s.add(c, "client left during security negotiation", "outcome")
		}
	case bytes.HasPrefix(msg, []byte("rfbProcessClientProtocolVersion: ")):
		rest := msg[len("rfbProcessClientProtocolVersion: "):]
		c := s.oldest("", func(c *conn) bool { return c.ph == phAccepted && !c.dying })
		if c == nil {
			return
		}
		c.dying = true
		if bytes.HasPrefix(rest, []byte("not a valid RFB client")) {
			c.reason = "not a valid RFB client (no RFB protocol version was sent)"
		} else {
			c.reason = "the client left before sending an RFB protocol version"
		}
		s.add(c, "client left before the RFB handshake", "outcome")
	case bytes.HasPrefix(msg, []byte("rfbAuthProcessClientMessage: ")):
		rest := msg[len("rfbAuthProcessClientMessage: "):]
		if bytes.HasPrefix(rest, []byte("password check failed")) {
			if c := s.lastFail; c != nil {
				s.add(c, "password check failed", "outcome")
				return
			}
			s.onAuthFailed("", "password check failed")
			return
		}
		if bytes.HasPrefix(rest, []byte("read")) || bytes.HasPrefix(rest, []byte("client gone")) {
			c := s.oldest("", func(c *conn) bool { return (c.ph == phSecurity || c.ph == phProto) && !c.dying })
			if c == nil {
				return
			}
			c.dying = true
			c.reason = "the client left during password authentication"
			s.add(c, "client left during authentication", "outcome")
		}
	case bytes.HasPrefix(msg, []byte("rfbProcessClientInitMessage: ")):
		c := s.oldest("", func(c *conn) bool {
			return (c.ph == phAuthOK || c.ph == phSecurity || (c.ph == phProto && c.is33())) && !c.dying
		})
		if c == nil {
			return
		}
		c.dying = true
		c.reason = "the client passed security but left before the desktop was sent (ClientInit)"
		s.add(c, "client left at ClientInit", "outcome")
	case bytes.HasPrefix(msg, []byte("rfbProcessClientNormalMessage: ")):
		s.onProof("", "a normal RFB message from the client was handled")
	}
}

func authName(n int) string {
	switch n {
	case 1:
		return "none"
	case 2:
		return "vnc-password"
	}
	return "rfb-security-type-" + strconv.Itoa(n)
}

func (s *state) onAuthFailed(ip, summary string) {
	c := s.oldest(ip, func(c *conn) bool {
		return (c.ph == phSecurity || (c.ph == phProto && c.is33())) && !c.failed && !c.dying
	})
	if c == nil {
		return
	}
	c.failed, c.dying = true, true
	if c.rec.AuthMethod == "" {
		c.rec.AuthMethod = "vnc-password"
	}
	s.add(c, summary, "outcome")
	s.lastFail = c
}

func (s *state) onReject(ip, why string) {
	if i := bytes.IndexAny([]byte(ip), " \t"); i >= 0 {
		ip = ip[:i]
	}
	c := s.newest(ip, func(c *conn) bool { return c.ph < phNormal && !c.rejected })
	if c == nil && ip != "" {
		c = s.newest("", func(c *conn) bool { return c.ph < phNormal && !c.rejected })
	}
	if c == nil {
		return
	}
	c.rejected, c.dying = true, true
	c.reason = why
	s.add(c, why, "outcome")
}

// onProof handles a line that only a client past security can cause.
func (s *state) onProof(ip, summary string) {
	var cands []*conn
	for _, c := range s.open {
		if ip != "" && c.ip != ip {
			continue
		}
		if c.dying || c.failed || c.rejected {
			continue
		}
		if c.ph >= phSecurity || (c.ph == phProto && c.is33()) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return
	}
	for _, c := range cands {
		if c.ph == phNormal {
			return // already proven; with several candidates we cannot tell
		}
	}
	c := cands[0]
	c.ph = phNormal
	if len(cands) > 1 {
		c.note("several connections from " + c.ip + " were past the handshake; a normal-phase line was attributed to the oldest")
	}
	s.add(c, summary, "outcome")
}

// absorbStats takes the Statistics block that follows "Client IP gone"; it
// reports false for a line that is not part of it.
func (s *state) absorbStats(msg []byte) bool {
	g := s.gone
	if bytes.HasPrefix(msg, []byte("Statistics ")) {
		g.seen = true
		switch {
		case bytes.Contains(msg, []byte("Transmit")):
			g.section = 1
		case bytes.Contains(msg, []byte("Received")):
			g.section = 2
		default:
			g.section = 0
		}
		return true
	}
	if g.section == 0 || len(msg) < 2 || msg[0] != ' ' {
		return false
	}
	colon := bytes.IndexByte(msg, ':')
	bar := bytes.IndexByte(msg, '|')
	if colon < 0 || bar < colon {
		return false
	}
	rowName := bytes.TrimSpace(msg[:colon])
	n, ok := logkit.Atoi(bytes.TrimSpace(msg[colon+1 : bar]))
	if !ok {
		s.errs.Add(s.r.N(), s.r.Offset(), "bad count in statistics row")
		return true
	}
	recv := g.section == 2
	switch {
	case string(rowName) == "TOTALS" && !recv:
		g.sentTotal = n
	case string(rowName) == "TOTALS" && recv:
		g.recvTotal = n
		s.resolveGone() // the current line is the Received TOTALS row
	case string(rowName) == "FramebufferUpdate" && !recv:
		g.sentFB = n
		if n > 0 {
			g.fbLine, g.fbOff = s.r.N(), s.r.Offset()
			g.fbRaw = append(g.fbRaw[:0], s.line...)
		}
	case n > 0 && recv && (string(rowName) == "KeyEvent" || string(rowName) == "PointerEvent"):
		rn := string(rowName)
		g.rows = append(g.rows, statRow{true, rn, n, s.ev(strconv.Itoa(n)+" "+rn+" messages received from the client", "input")})
	case n > 0 && ((recv && string(rowName) == "ClientCutText") || (!recv && string(rowName) == "ServerCutText")):
		rn := string(rowName)
		g.rows = append(g.rows, statRow{recv, rn, n, s.ev(strconv.Itoa(n)+" "+rn+" messages", "clipboard")})
	}
	return true
}

// proofEv is the evidence that the statistics prove normal-phase traffic:
// the Received TOTALS row (the current line) or the sent FramebufferUpdate row.
func (s *state) proofEv(g *gone) evidence.Evidence {
	if g.recvTotal > 0 && g.section == 2 {
		return s.ev("statistics at disconnect: "+strconv.Itoa(g.recvTotal)+" RFB messages received from the client after the handshake", "outcome")
	}
	e := evidence.Evidence{Kind: evidence.KindLogLine, Scanner: name, Path: s.in.Path, Line: g.fbLine, Offset: g.fbOff,
		Raw: evidence.Clip(string(g.fbRaw)), Fields: []string{"outcome"},
		Summary: "statistics at disconnect: " + strconv.Itoa(g.sentFB) + " framebuffer updates sent to the client"}
	e.Time = g.t
	return e
}

func (s *state) resolveGone() {
	g := s.gone
	s.gone = nil
	if g == nil {
		return
	}
	var cands []*conn
	for _, c := range s.open {
		if c.ip == g.ip {
			cands = append(cands, c)
		}
	}
	active := g.recvTotal > 0 || g.sentFB > 0
	var c *conn
	if len(cands) > 0 {
		c = pickGone(cands, active)
		if len(cands) > 1 {
			c.note("several connections from " + g.ip + " were open; the disconnect line (which names no port) was attributed by protocol state and statistics")
		}
	} else {
		// The start is not in this log (rotated or cut): keep what the end shows.
		c = s.newConn(g.ip)
		c.rec.Start = nil
		c.reason = "only the disconnect is in this log (its start was rotated away or cut)"
		c.note("start not in this log (rotated or cut); only the disconnect and its statistics are known")
	}
	c.rec.End = g.t
	c.rec.Evidence = append(c.rec.Evidence, g.ev)
	if g.seen {
		c.stats = true
		c.sent, c.recv = g.sentTotal, g.recvTotal
		c.note("statistics at disconnect: " + strconv.Itoa(g.recvTotal) + " messages received from the client, " +
			strconv.Itoa(g.sentTotal) + " sent to it (" + strconv.Itoa(g.sentFB) + " framebuffer updates)")
	}
	if active && !c.failed && !c.rejected && c.ph != phNormal {
		c.ph = phNormal
		c.rec.Evidence = append(c.rec.Evidence, s.proofEv(g))
	}
	for _, row := range g.rows {
		c.rec.Evidence = append(c.rec.Evidence, row.ev)
		switch row.name {
		case "KeyEvent", "PointerEvent":
			if c.rec.Input == nil {
				c.rec.Input = map[string]int{}
			}
			c.rec.Input[row.name] += row.n
		case "ClientCutText":
			c.rec.Clipboard = append(c.rec.Clipboard, session.Event{Time: g.t, Line: row.ev.Line,
				What: "ClientCutText x" + strconv.Itoa(row.n) + ": the remote side sent clipboard text to this host"})
		case "ServerCutText":
			c.rec.Clipboard = append(c.rec.Clipboard, session.Event{Time: g.t, Line: row.ev.Line,
				What: "ServerCutText x" + strconv.Itoa(row.n) + ": this host's clipboard text was sent to the remote side"})
		}
	}
	s.close(c)
}

func pickGone(cands []*conn, active bool) *conn {
	for _, c := range cands {
		if c.dying {
			return c
		}
	}
	if active {
		for _, c := range cands {
			if c.ph == phNormal {
				return c
			}
		}
		for _, c := range cands {
			if c.ph >= phSecurity || c.is33() {
				return c
			}
		}
		return cands[0]
	}
	for _, c := range cands {
		if c.ph < phNormal {
			return c
		}
	}
	return cands[0]
}

// newRun starts a new x11vnc process in the same file: connections still
// open belonged to the previous process, which has ended.
func (s *state) newRun() {
	if s.runSeen {
		why := s.exitNote
		if why == "" {
			why = "x11vnc restarted"
		}
		s.endAll(why, s.prevT, s.prevOK)
	}
	s.runSeen = true
	s.display, s.port, s.passwd, s.exited, s.exitNote = "", 0, false, false, ""
}

func (s *state) endAll(why string, t time.Time, ok bool) {
	for len(s.open) > 0 {
		c := s.open[0]
		if ok {
			c.rec.End = session.T(t)
		}
		c.note(why + " without logging this client's disconnect; end = the server's last timestamped line before that")
		s.close(c)
	}
}

func (s *state) finish() {
	if s.gone != nil {
		s.resolveGone()
	}
	if s.exited {
		s.endAll(s.exitNote, s.cur, s.haveTime)
	}
	for len(s.open) > 0 {
		s.close(s.open[0])
	}
}

func (s *state) record(c *conn) session.Record {
	rec := c.rec
	rec.Key = "x11vnc|" + c.ip + "|" + strconv.FormatUint(uint64(c.port), 10)
	if rec.AuthMethod == "" && c.is33() && c.passwd {
		rec.AuthMethod = "vnc-password"
		rec.Notes = append(rec.Notes, "auth method inferred from the server's -passwd/-rfbauth option: with RFB 3.3 the server picks the security type and does not log it")
	} else if rec.AuthMethod == "" && c.is33() {
		rec.Notes = append(rec.Notes, "RFB 3.3: the server picks the security type and does not log it")
	}
	switch {
	case c.rejected:
		rec.Outcome = session.Rejected
	case c.failed:
		rec.Outcome = session.FailedAuth
	case c.ph == phNormal:
		rec.Outcome = session.Established
	case c.ph == phAuthOK && !c.dying:
		if c.stats && c.recv == 0 && c.sent == 0 {
			rec.Outcome = session.AttemptOnly
			rec.Notes = append(rec.Notes, "security type None passed, but the statistics at disconnect show no message exchanged: the desktop was never sent")
		} else {
			rec.Outcome = session.Established
			rec.Notes = append(rec.Notes, "security type None: no password was needed and the security handler ran with no failure (x11vnc logs no explicit success line)")
		}
	default:
		rec.Outcome = session.AttemptOnly
		why := c.reason
		if why == "" {
			switch c.ph {
			case phAccepted:
				why = "the client never sent an RFB protocol version"
			case phProto:
				why = "the client did not complete security negotiation"
			case phSecurity:
				why = "VNC password challenge sent; the log shows neither success nor failure and no sign that the desktop was sent"
			case phAuthOK:
				why = "the client passed security but left before the desktop was sent"
			}
		}
		if why != "" {
			rec.Notes = append(rec.Notes, why)
		}
	}
	rec.Finish()
	if rec.Open {
		rec.Notes = append(rec.Notes, "no disconnect logged: the client is still connected or the log stops before its end")
	}
	return rec
}
