// Package vncwin reads the session logs of VNC servers for Windows:
// TightVNC 1.x / UltraVNC WinVNC.log, UltraVNC mslogon.log and RealVNC
// vncserver.log (session-artifacts.md §12). No public, licensed log of any of
// them is at hand; the parsers follow the documented lines:
//
//	WinVNC.log (TightVNC 1.x, also UltraVNC): a local-time line
//	  "Sun Nov 19 12:04:05 2006", then messages such as
//	  "vncSockConnect.cpp : accepted connection from 127.0.0.1",
//	  "vncClient.cpp : client connected : <ip> (id 1)",
//	  "vncClient.cpp : authentication failed",
//	  "vncClient.cpp : client disconnected : <ip> (id 1)".
//	mslogon.log (UltraVNC): "DD/M/YYYY HH:MM" local, messages matched by the
//	  documented greps "Connection received" and "Client … disconnected".
//	vncserver.log (RealVNC): "YYYY-MM-DDTHH:MM:SS.mmm" UTC, messages
//	  "Connections: connected: <ip>::<port>",
//	  "Connections: authenticated: <ip>::<port>, as <user>",
//	  "Connections: disconnected: <ip>::<port> …".
//
// WinVNC logs no authentication-success line: a client that connected and
// left without "authentication failed" is counted as established, and the
// record says this was inferred.
package vncwin

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// Parsers returns the three VNC-for-Windows parsers.
func Parsers() []sessionlog.Parser {
	return []sessionlog.Parser{TightVNC{}, UltraVNC{}, RealVNC{}}
}

// TightVNC parses TightVNC 1.x WinVNC.log.
type TightVNC struct{}

func (TightVNC) Name() string { return "tightvnc" }
func (TightVNC) Tool() string { return "tightvnc" }
func (p TightVNC) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseWinVNC(in, p.Name(), p.Tool(), false)
}

// Sniff: a ctime line or a WinVNC message in the first lines.
func (TightVNC) Sniff(head []byte, name string) bool { return sniffWinVNC(head, false) }

// UltraVNC parses UltraVNC WinVNC.log and mslogon.log.
type UltraVNC struct{}

func (UltraVNC) Name() string { return "ultravnc" }
func (UltraVNC) Tool() string { return "ultravnc" }
func (p UltraVNC) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseWinVNC(in, p.Name(), p.Tool(), true)
}
func (UltraVNC) Sniff(head []byte, name string) bool { return sniffWinVNC(head, true) }

// sniffWinVNC: a ctime stamp near the top of a log whose lines name WinVNC's
// source files ("vncClient.cpp : …"); other programs print the same stamps
// (the TigerVNC viewer's stderr, Xvnc's log). UltraVNC: also mslogon.log's
// "D/M/YYYY HH:MM".
func sniffWinVNC(head []byte, ultra bool) bool {
	winvnc := bytes.Contains(head, []byte(".cpp : ")) && !bytes.Contains(head, []byte("TigerVNC"))
	for _, l := range bytes.SplitN(head, []byte{'\n'}, 6) {
		l = bytes.TrimSpace(l)
		if _, ok := ctime(l, time.UTC); ok && winvnc {
			return true
		}
		if ultra {
			if _, _, ok := dmy(l, time.UTC); ok {
				return true
			}
		}
	}
	return false
}

// ctime reads "Sun Nov 19 12:04:05 2006".
func ctime(l []byte, loc *time.Location) (time.Time, bool) {
	if len(l) < 24 || l[3] != ' ' || l[7] != ' ' || l[13] != ':' {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", string(l[:24]), loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// dmy reads "D/M/YYYY HH:MM" (mslogon.log) and returns the message index.
func dmy(l []byte, loc *time.Location) (time.Time, int, bool) {
	var v [5]int
	seps := []byte{'/', '/', ' ', ':', 0}
	i := 0
	for k := 0; k < 5; k++ {
		j := i
		for j < len(l) && l[j] >= '0' && l[j] <= '9' && j-i < 4 {
			v[k] = v[k]*10 + int(l[j]-'0')
			j++
		}
		if j == i {
			return time.Time{}, 0, false
		}
		if seps[k] != 0 {
			if j >= len(l) || l[j] != seps[k] {
				return time.Time{}, 0, false
			}
			j++
		}
		i = j
	}
	d, m, y, h, mi := v[0], v[1], v[2], v[3], v[4]
	if d < 1 || d > 31 || m < 1 || m > 12 || y < 1990 || h > 23 || mi > 59 {
		return time.Time{}, 0, false
	}
	// Optional ":SS".
	s := 0
	if i+2 < len(l) && l[i] == ':' && l[i+1] >= '0' && l[i+1] <= '9' && l[i+2] >= '0' && l[i+2] <= '9' {
		s = int(l[i+1]-'0')*10 + int(l[i+2]-'0')
		i += 3
	}
	return time.Date(y, time.Month(m), d, h, mi, s, 0, loc), i, true
}

type rec struct {
	r         session.Record
	id        string
	connected bool
	failed    bool
	rejected  bool
	closed    bool
	account   bool
}

type state struct {
	in    *sessionlog.Input
	name  string
	tool  string
	rule  string
	recs  []*rec
	lo    time.Time
	hi    time.Time
	seen  bool
	stamp int
	// minute: the current time came from a "D/M/YYYY HH:MM" line (mslogon.log).
	minute bool
}

func (st *state) see(t time.Time) {
	if !st.seen || t.Before(st.lo) {
		st.lo = t
	}
	if !st.seen || t.After(st.hi) {
		st.hi = t
	}
	st.seen = true
}

func (st *state) add(a *rec, n int, off int64, l []byte, t time.Time, summary string, fields ...string) {
	a.r.Evidence = append(a.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: st.name, Summary: summary,
		Path: st.in.Path, Line: n, Offset: off, Raw: evidence.Clip(string(l)), Fields: fields, Time: session.T(t)})
}

func (st *state) newRec(t time.Time, ip string) *rec {
	a := &rec{}
	a.r = session.Record{Tool: st.tool, Parser: st.name, Direction: session.Incoming, Start: session.T(t), TimeRule: st.rule, RemoteIP: ip}
	if st.minute {
		a.r.MinuteTimes = true
	}
	st.recs = append(st.recs, a)
	return a
}

// newest returns the newest open record matching pred.
func (st *state) newest(pred func(*rec) bool) *rec {
	for i := len(st.recs) - 1; i >= 0; i-- {
		if a := st.recs[i]; !a.closed && pred(a) {
			return a
		}
	}
	return nil
}

func (st *state) result(res *sessionlog.Result, inferredNote string) {
	if st.seen {
		res.FirstTime, res.LastTime = session.T(st.lo), session.T(st.hi)
	}
	for _, a := range st.recs {
		r := a.r
		switch {
		case a.failed:
			r.Outcome = session.FailedAuth
		case a.rejected:
			r.Outcome = session.Rejected
		case a.account:
			r.Outcome = session.Established
		case a.connected:
			r.Outcome = session.Established
			if inferredNote != "" {
				r.Notes = append(r.Notes, inferredNote)
			}
		default:
			r.Outcome = session.AttemptOnly
		}
		if r.RemoteIP != "" {
			r.Key = st.tool + "|incoming|" + r.RemoteIP
		}
		r.Finish()
		res.Sessions = append(res.Sessions, r)
	}
}

func localRule(in *sessionlog.Input) (*time.Location, string) {
	if in.Location != nil {
		return in.Location, "local time converted to UTC with the scan's zone " + in.Location.String()
	}
	return time.UTC, "local time taken as UTC (no zone given)"
}

// ipAfter returns the address token after marker (up to a space or comma).
func ipAfter(msg []byte, marker string) string {
	k := bytes.Index(msg, []byte(marker))
	if k < 0 {
		return ""
	}
	f := bytes.Fields(msg[k+len(marker):])
	if len(f) == 0 {
		return ""
	}
	return strings.TrimRight(string(f[0]), ",.")
}

// idOf reads "(id N)".
func idOf(msg []byte) string {
	k := bytes.Index(msg, []byte("(id "))
	if k < 0 {
		return ""
	}
	j := k + 4
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	return string(msg[k+4 : j])
}

const winvncInferred = "WinVNC logs no authentication success: established inferred from a client connection without \"authentication failed\""

func parseWinVNC(in sessionlog.Input, name, tool string, ultra bool) (sessionlog.Result, error) {
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", name)
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	loc, rule := localRule(&in)
	st := &state{in: &in, name: name, tool: tool, rule: rule}
	var now time.Time
	haveTime := false
	for rd.Next() {
		raw := rd.Bytes()
		l := bytes.TrimSpace(raw)
		if len(l) == 0 {
			continue
		}
		msg := l
		if t, ok := ctime(l, loc); ok {
			now, haveTime, st.minute = t.UTC(), true, false
			st.stamp++
			st.see(now)
			msg = bytes.TrimLeft(l[24:], " -\t")
			if len(msg) == 0 {
				continue
			}
		} else if ultra {
			if t, k, ok := dmy(l, loc); ok {
				now, haveTime, st.minute = t.UTC(), true, true
				st.stamp++
				st.see(now)
				msg = bytes.TrimLeft(l[k:], " -\t")
			}
		}
		if !winvncWords.any(msg) {
			continue
		}
		n, off := rd.N(), rd.Offset()
		if !haveTime {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: n, Offset: off, Msg: "session line before any timestamp"})
			continue
		}
		t := now
		lower := bytes.ToLower(msg)
		switch {
		case bytes.Contains(msg, []byte("accepted connection from ")):
			ip := ipAfter(msg, "accepted connection from ")
			a := st.newRec(t, ip)
			st.add(a, n, off, raw, t, "connection accepted from "+ip, "start", "direction", "remote_ip")
		case bytes.Contains(msg, []byte("client connected : ")):
			ip := ipAfter(msg, "client connected : ")
			a := st.newest(func(a *rec) bool { return a.r.RemoteIP == ip && a.id == "" && !a.connected })
			if a == nil {
				a = st.newRec(t, ip)
			}
			a.connected, a.id = true, idOf(msg)
			st.add(a, n, off, raw, t, "client "+ip+" connected (id "+a.id+")", "remote_ip", "outcome")
		case bytes.Contains(lower, []byte("authentication failed")), bytes.Contains(lower, []byte("invalid password")):
			a := st.newest(func(a *rec) bool { return true })
			if a == nil {
				a = st.newRec(t, "")
			}
			a.failed = true
			st.add(a, n, off, raw, t, "authentication failed", "outcome")
		case bytes.Contains(lower, []byte("reject")) || bytes.Contains(lower, []byte("refused")):
			ip := ipAfter(msg, "from ")
			a := st.newest(func(a *rec) bool { return ip == "" || a.r.RemoteIP == ip })
			if a == nil {
				a = st.newRec(t, ip)
			}
			a.rejected = true
			st.add(a, n, off, raw, t, "connection rejected", "outcome")
		case bytes.Contains(msg, []byte("client disconnected : ")):
			ip := ipAfter(msg, "client disconnected : ")
			id := idOf(msg)
			a := st.newest(func(a *rec) bool { return id != "" && a.id == id && a.r.RemoteIP == ip })
			if a == nil {
				a = st.newest(func(a *rec) bool { return a.r.RemoteIP == ip })
			}
			if a != nil {
				a.closed, a.r.End = true, session.T(t)
				st.add(a, n, off, raw, t, "client "+ip+" disconnected", "end")
			}
		case ultra && bytes.Contains(msg, []byte("Connection received from ")):
			// mslogon.log: "Connection received from <ip> [using <account> account]".
			ip := ipAfter(msg, "Connection received from ")
			a := st.newRec(t, ip)
			fields := []string{"start", "direction", "remote_ip"}
			if k := bytes.Index(msg, []byte(" using ")); k >= 0 {
				acct := strings.TrimSuffix(strings.TrimSpace(string(msg[k+7:])), " account")
				if acct != "" {
					a.account = true
					a.r.AuthMethod, a.r.LocalUser = "MS-Logon", acct
					fields = append(fields, "auth_method", "local_user", "outcome")
				}
			}
			a.connected = true
			st.add(a, n, off, raw, t, "connection received from "+ip, fields...)
		case ultra && bytes.Contains(lower, []byte("client ")) && bytes.Contains(lower, []byte("disconnected")):
			// mslogon.log "Client <ip> disconnected".
			ip := ipAfter(lower, "client ")
			a := st.newest(func(a *rec) bool { return a.r.RemoteIP == ip })
			if a == nil {
				a = st.newest(func(a *rec) bool { return true })
			}
			if a != nil {
				a.closed, a.r.End = true, session.T(t)
				st.add(a, n, off, raw, t, "client disconnected", "end")
			}
		}
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if res.Lines > 0 && st.stamp == 0 {
		return res, fmt.Errorf("%s: %s: no timestamp in the WinVNC/mslogon layout", name, in.Path)
	}
	st.result(&res, winvncInferred)
	return res, nil
}

// RealVNC parses RealVNC Server's vncserver.log.
type RealVNC struct{}

func (RealVNC) Name() string { return "realvnc" }
func (RealVNC) Tool() string { return "realvnc" }

func (RealVNC) Sniff(head []byte, name string) bool {
	for _, l := range bytes.SplitN(head, []byte{'\n'}, 4) {
		if _, ok := isoTime(l); ok {
			return true
		}
	}
	return false
}

// isoTime finds "YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm]" in the first 64 bytes.
// No zone means UTC (RealVNC writes UTC).
func isoTime(l []byte) (time.Time, bool) {
	lim := len(l)
	if lim > 64 {
		lim = 64
	}
	k := bytes.IndexByte(l[:lim], 'T')
	for k >= 10 {
		b := l[k-10:]
		if len(b) >= 19 && b[4] == '-' && b[7] == '-' && b[13] == ':' && b[16] == ':' {
			var v [6]int
			pos := [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}}
			ok := true
			for i, p := range pos {
				for _, c := range b[p[0]:p[1]] {
					if c < '0' || c > '9' {
						ok = false
						break
					}
					v[i] = v[i]*10 + int(c-'0')
				}
			}
			if ok && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31 && v[3] < 24 && v[4] < 60 && v[5] <= 60 {
				j, ns, mul := 19, 0, 100000000
				if j < len(b) && b[j] == '.' {
					j++
					for j < len(b) && b[j] >= '0' && b[j] <= '9' {
						if mul > 0 {
							ns += int(b[j]-'0') * mul
							mul /= 10
						}
						j++
					}
				}
				off := 0
				if j < len(b) && (b[j] == '+' || b[j] == '-') && j+5 < len(b)+1 {
					z := b[j+1:]
					if len(z) >= 4 {
						h, _ := strconv.Atoi(string(z[:2]))
						m := 0
						if z[2] == ':' && len(z) >= 5 {
							m, _ = strconv.Atoi(string(z[3:5]))
						} else {
							m, _ = strconv.Atoi(string(z[2:4]))
						}
						off = h*3600 + m*60
						if b[j] == '-' {
							off = -off
						}
					}
				}
				t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], ns, time.UTC).Add(-time.Duration(off) * time.Second)
				return t, true
			}
		}
		nk := bytes.IndexByte(l[k+1:lim], 'T')
		if nk < 0 {
			break
		}
		k += 1 + nk
	}
	return time.Time{}, false
}

func (p RealVNC) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", p.Name())
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", p.Name(), in.Path, err)
	}
	st := &state{in: &in, name: p.Name(), tool: p.Tool(), rule: "UTC as written (vncserver.log)"}
	for rd.Next() {
		l := rd.Bytes()
		t, ok := isoTime(l)
		if !ok {
			continue
		}
		st.stamp++
		st.see(t)
		k := bytes.Index(l, []byte("Connections: "))
		if k < 0 {
			continue
		}
		msg := l[k+len("Connections: "):]
		n, off := rd.N(), rd.Offset()
		addrOf := func(prefix string) (string, string, uint32) {
			a := ipAfter(msg, prefix)
			ip, port := a, uint32(0)
			if j := strings.LastIndex(a, "::"); j >= 0 {
				ip = a[:j]
				pp, _ := strconv.ParseUint(a[j+2:], 10, 16)
				port = uint32(pp)
			}
			return a, ip, port
		}
		match := func(addr string) *rec {
			return st.newest(func(a *rec) bool { return a.id == addr })
		}
		switch {
		case bytes.HasPrefix(msg, []byte("connected: ")):
			addr, ip, port := addrOf("connected: ")
			a := st.newRec(t, ip)
			a.id, a.r.RemotePort = addr, port
			st.add(a, n, off, l, t, "connection from "+addr, "start", "direction", "remote_ip", "remote_port")
		case bytes.HasPrefix(msg, []byte("authenticated: ")):
			addr, ip, port := addrOf("authenticated: ")
			a := match(addr)
			if a == nil {
				a = st.newRec(t, ip)
				a.id, a.r.RemotePort = addr, port
			}
			a.account = true
			fields := []string{"outcome", "auth_method"}
			a.r.AuthMethod = "authenticated"
			if j := bytes.Index(msg, []byte(", as ")); j >= 0 {
				user := strings.TrimSpace(string(msg[j+5:]))
				if sp := strings.Index(user, " ("); sp >= 0 {
					user = user[:sp]
				}
				a.r.LocalUser = user
				a.r.AuthMethod = "authenticated as " + user
				fields = append(fields, "local_user")
			}
			st.add(a, n, off, l, t, "authenticated "+addr, fields...)
		case bytes.HasPrefix(msg, []byte("disconnected: ")):
			addr, ip, port := addrOf("disconnected: ")
			a := match(addr)
			if a == nil {
				a = st.newRec(t, ip)
				a.id, a.r.RemotePort = addr, port
				a.r.Start = nil
			}
			low := bytes.ToLower(msg)
			if bytes.Contains(low, []byte("authfailure")) || bytes.Contains(low, []byte("password was incorrect")) || bytes.Contains(low, []byte("authentication failed")) {
				a.failed = !a.account
			} else if bytes.Contains(low, []byte("reject")) {
				a.rejected = !a.account
			}
			if j := bytes.IndexByte(msg, '('); j >= 0 {
				a.r.Notes = append(a.r.Notes, "disconnected: "+strings.TrimSpace(string(msg[j:])))
			}
			a.closed, a.r.End = true, session.T(t)
			st.add(a, n, off, l, t, "disconnected "+addr, "end", "outcome")
		}
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if res.Lines > 0 && st.stamp == 0 {
		return res, fmt.Errorf("%s: %s: no line in the vncserver.log layout", p.Name(), in.Path)
	}
	st.result(&res, "")
	return res, nil
}
