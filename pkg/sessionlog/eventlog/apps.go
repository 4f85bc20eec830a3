package eventlog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
)

// ---- ScreenConnect client (Application log) ------------------------------

// scText is the single <Data> string of a ScreenConnect client event:
//
//	<line>\n[more lines]\n\nVersion: 23.8.6.8735\nExecutable Path: C:\…\ScreenConnect Client (<thumbprint>)\ScreenConnect.ClientService.exe
type scText struct {
	first    string   // "USERNAME Connected", "Transferred files with action 'RunElevated':"
	body     []string // lines after the first, up to the blank line
	version  string
	exe      string
	instance string // "ScreenConnect Client (<thumbprint>)"
}

var scInstanceRE = regexp.MustCompile(`ScreenConnect Client \([^)\\]*\)`)

func parseSCText(s string) scText {
	var t scText
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	inBody := true
	for i, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case i == 0:
			t.first = l
		case strings.HasPrefix(l, "Version:"):
			t.version = strings.TrimSpace(strings.TrimPrefix(l, "Version:"))
			inBody = false
		case strings.HasPrefix(l, "Executable Path:"):
			t.exe = strings.TrimSpace(strings.TrimPrefix(l, "Executable Path:"))
			t.instance = scInstanceRE.FindString(t.exe)
			inBody = false
		case l == "":
			inBody = false
		case inBody:
			t.body = append(t.body, l)
		}
	}
	return t
}

func (j *joiner) scNotes(r *rec, t scText) {
	if t.version != "" {
		r.note("ScreenConnect client version " + t.version)
	}
	if t.exe != "" {
		r.note("client service: " + t.exe)
	}
}

func removeRec(l []*rec, r *rec) []*rec {
	for i, x := range l {
		if x == r {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	return l
}

func (j *joiner) screenConnect(e *event) {
	t := parseSCText(e.text())
	h := strings.ToLower(e.Computer)
	open := j.scOpen[h]
	latestOpen := func() *rec {
		if len(open) == 0 {
			return nil
		}
		return open[len(open)-1]
	}
	raw := e.raw()
	switch e.act {
	case aSCConnect:
		name := strings.TrimSpace(strings.TrimSuffix(t.first, "Connected"))
		r := j.newRec(ToolScreenConnect, e, session.Established)
		r.id = strings.ToLower(name)
		r.start(e.Time)
		r.setName(name)
		j.scNotes(r, t)
		j.scOpen[h] = append(open, r)
		j.add(r, e, raw, fmt.Sprintf("ScreenConnect: %q connected to this PC", name), "start", "outcome", "remote_name")
	case aSCDisconnect:
		name := strings.TrimSpace(strings.TrimSuffix(t.first, "Disconnected"))
		var r *rec
		for i := len(open) - 1; i >= 0; i-- {
			if open[i].id == strings.ToLower(name) {
				r = open[i]
				break
			}
		}
		if r == nil && len(open) == 1 {
			// One session open: the disconnect is its end even if the
			// display name is written differently.
			r = open[0]
			r.note(fmt.Sprintf("disconnect event names %q, connect event %q", name, r.r.RemoteName))
		}
		summary := fmt.Sprintf("ScreenConnect: %q disconnected", name)
		if r != nil {
			r.close(e.Time)
			j.scOpen[h] = removeRec(open, r)
			j.scLast[h] = r
			j.add(r, e, raw, summary, "end")
			return
		}
		r = j.newRec(ToolScreenConnect, e, session.Established)
		r.id = strings.ToLower(name)
		r.close(e.Time)
		r.setName(name)
		j.scNotes(r, t)
		r.note("connect event not in this log: start unknown")
		j.scLast[h] = r
		j.add(r, e, raw, summary, "end", "outcome", "remote_name")
	case aSCEnded:
		summary := "ScreenConnect: " + t.first
		if r := latestOpen(); r != nil {
			r.close(e.Time)
			j.scOpen[h] = removeRec(open, r)
			j.scLast[h] = r
			j.add(r, e, raw, summary, "end")
			return
		}
		if r := j.scLast[h]; r != nil && !r.end.IsZero() && e.Time.Sub(r.end) <= lateWindow {
			j.add(r, e, raw, summary)
			return
		}
		r := j.newRec(ToolScreenConnect, e, session.Established)
		r.close(e.Time)
		j.scNotes(r, t)
		r.note("connect event not in this log: start unknown")
		j.scLast[h] = r
		j.add(r, e, raw, summary, "end", "outcome")
	case aSCTransfer, aSCCommand:
		fields := []string{}
		r := latestOpen()
		if r == nil {
			r = j.newRec(ToolScreenConnect, e, session.Established)
			j.scNotes(r, t)
			r.note("session connect/disconnect events not in this log")
			fields = append(fields, "outcome")
		}
		if e.act == aSCCommand {
			when := "time unknown"
			if !e.Time.IsZero() {
				when = e.Time.Format(time.RFC3339)
			}
			r.note(fmt.Sprintf("%s: %s (ScreenConnect does not log the command text)", when, t.first))
			j.add(r, e, raw, "ScreenConnect: "+t.first, fields...)
			return
		}
		action := ""
		if i := strings.IndexByte(t.first, '\''); i >= 0 {
			if k := strings.IndexByte(t.first[i+1:], '\''); k >= 0 {
				action = t.first[i+1 : i+1+k]
			}
		}
		if action != "" {
			r.note("files transferred to this PC with action '" + action + "'")
		}
		var tm *time.Time
		if !e.Time.IsZero() {
			tm = session.T(e.Time)
		}
		for _, f := range t.body {
			r.r.Transfers = append(r.r.Transfers, session.Transfer{Time: tm, Direction: "to_host", Name: f})
		}
		j.add(r, e, raw, fmt.Sprintf("ScreenConnect: files transferred to this PC (%s): %s", action, strings.Join(t.body, ", ")), append(fields, "transfers")...)
	}
}

// ---- Splashtop Streamer (Remote Session/Operational) --------------------

// parseClock reads Duration_Time "hh:mm:ss" (hours may exceed 24).
func parseClock(s string) (time.Duration, bool) {
	p := strings.Split(strings.TrimSpace(s), ":")
	if len(p) != 3 {
		return 0, false
	}
	h, e1 := strconv.Atoi(p[0])
	m, e2 := strconv.Atoi(p[1])
	sec, e3 := strconv.ParseFloat(p[2], 64)
	if e1 != nil || e2 != nil || e3 != nil || h < 0 || m < 0 || m > 59 || sec < 0 || sec >= 60 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second)), true
}

func (j *joiner) appRec(key string, open bool) *rec {
	l := j.byApp[key]
	for i := len(l) - 1; i >= 0; i-- {
		if !open || !l[i].closed {
			return l[i]
		}
	}
	return nil
}

func (j *joiner) splashtop(e *event) {
	sid := e.get("Session_ID")
	key := ToolSplashtop + "|" + strings.ToLower(e.Computer) + "|" + sid
	raw := e.raw()
	newRec := func() *rec {
		r := j.newRec(ToolSplashtop, e, session.Established)
		r.id = sid
		j.byApp[key] = append(j.byApp[key], r)
		if v := e.get("Version_number"); v != "" {
			r.note("Splashtop Streamer version " + v)
		}
		return r
	}
	switch e.act {
	case aSTStart:
		summary := fmt.Sprintf("Splashtop session %s started: %s from %s", sid, e.get("SPID"), e.get("SRC_Name"))
		if r := j.appRec(key, true); r != nil {
			j.add(r, e, raw, summary)
			return
		}
		r := newRec()
		r.start(e.Time)
		r.r.RemoteID = e.get("SPID")
		r.setName(e.get("SRC_Name"))
		j.add(r, e, raw, summary, "start", "outcome", "remote_id", "remote_name")
	case aSTEnd:
		dur := e.get("Duration_Time")
		summary := fmt.Sprintf("Splashtop session %s ended after %s", sid, dur)
		if r := j.appRec(key, true); r != nil {
			r.close(e.Time)
			j.add(r, e, raw, summary, "end")
			return
		}
		r := newRec()
		r.close(e.Time)
		fields := []string{"end", "outcome"}
		if d, ok := parseClock(dur); ok && !e.Time.IsZero() {
			r.start(e.Time.Add(-d))
			r.r.TimeRule += "; start = end − Duration_Time (event 1001)"
			r.note("session start event not in this log: start computed from Duration_Time " + dur)
			fields = append(fields, "start")
		} else {
			r.note("session start event not in this log: start unknown")
		}
		j.add(r, e, raw, summary, fields...)
	case aSTTransfer:
		name := e.get("File_Name")
		r := j.appRec(key, false)
		fields := []string{"transfers"}
		if r == nil {
			r = newRec()
			r.setName(e.get("SRC_Name"))
			r.note("session start/end events not in this log")
			fields = append(fields, "outcome", "remote_name")
		}
		var tm *time.Time
		if !e.Time.IsZero() {
			tm = session.T(e.Time)
		}
		r.r.Transfers = append(r.r.Transfers, session.Transfer{Time: tm, Direction: "unknown", Name: name, Kind: fmt.Sprintf("event %d", e.ID)})
		r.note(fmt.Sprintf("event %d file %q: streamer (this PC) %s path %s, client %s path %s; which of 1100/1101 is upload or download is not documented",
			e.ID, name, e.get("SRS_Name"), e.get("SRS_Path"), e.get("SRC_Name"), e.get("SRC_Path")))
		j.add(r, e, raw, fmt.Sprintf("Splashtop file transfer (event %d) in session %s: %s", e.ID, sid, name), fields...)
	}
}

// ---- Chrome Remote Desktop host (Application log, source chromoting) -----

var (
	crdClientRE = regexp.MustCompile(`(?:Client connected|Client disconnected|Access denied for client): (.*?)\.?$`)
	crdRouteRE  = regexp.MustCompile(`Channel IP for client: (\S+) ip='([^']*)' host_ip='([^']*)' channel='([^']*)' connection='([^']*)'`)
)

// crdArgs returns the insertion strings of a chromoting event: the unnamed
// <Data> values (remoting/host/win/host_messages.mc: %1 client, and for 4:
// %2 ip, %3 host_ip, %4 channel, %5 connection), or the same parsed from the
// rendered message.
func crdArgs(e *event) []string {
	if u := e.unnamed(); len(u) > 0 {
		return u
	}
	if m := crdRouteRE.FindStringSubmatch(e.Message); m != nil {
		return m[1:]
	}
	if m := crdClientRE.FindStringSubmatch(strings.TrimSpace(e.Message)); m != nil {
		return m[1:]
	}
	return nil
}

func (j *joiner) crd(e *event) {
	args := crdArgs(e)
	arg := func(i int) string {
		if i < len(args) {
			return strings.TrimSpace(args[i])
		}
		return ""
	}
	client := arg(0)
	account := client
	if i := strings.IndexByte(account, '/'); i >= 0 {
		account = account[:i]
	}
	key := ToolCRD + "|" + strings.ToLower(e.Computer) + "|" + strings.ToLower(client)
	raw := e.raw()
	newRec := func(out session.Outcome) *rec {
		r := j.newRec(ToolCRD, e, out)
		r.id = strings.ToLower(client)
		r.r.RemoteID = client
		r.setName(account)
		j.byApp[key] = append(j.byApp[key], r)
		return r
	}
	switch e.act {
	case aCRDConnect:
		summary := "Chrome Remote Desktop: client connected: " + client
		r := j.appRec(key, true)
		if r == nil || r.connected || e.Time.Sub(r.last) > mergeWindow {
			r = newRec(session.Established)
		}
		r.connected = true
		r.start(e.Time)
		j.add(r, e, raw, summary, "start", "outcome", "remote_id", "remote_name")
	case aCRDDisconnect:
		summary := "Chrome Remote Desktop: client disconnected: " + client
		if r := j.appRec(key, true); r != nil {
			r.close(e.Time)
			j.add(r, e, raw, summary, "end")
			return
		}
		r := newRec(session.Established)
		r.close(e.Time)
		r.note("client connected event not in this log: start unknown")
		j.add(r, e, raw, summary, "end", "outcome", "remote_id", "remote_name")
	case aCRDDenied:
		r := newRec(session.FailedAuth)
		r.failed = true
		r.count++
		r.start(e.Time)
		j.add(r, e, raw, "Chrome Remote Desktop: access denied for client "+client, "start", "outcome", "remote_id", "remote_name")
	case aCRDRoute:
		ip, port, _ := parseAddr(arg(1))
		conn := arg(4)
		summary := fmt.Sprintf("Chrome Remote Desktop: channel %s for %s: %s connection, client %s, host %s", arg(3), client, conn, arg(1), arg(2))
		r := j.appRec(key, true)
		if r == nil {
			if last := j.appRec(key, false); last != nil && !last.end.IsZero() && e.Time.Sub(last.end) <= lateWindow {
				r = last
			}
		}
		fields := []string{"remote_ip"}
		if r == nil {
			r = newRec(session.Established)
			r.start(e.Time)
			r.note("client connected event not in this log: start = first channel event")
			fields = append(fields, "start", "outcome", "remote_id", "remote_name")
		}
		relay := strings.EqualFold(conn, "relay")
		if ip != "" && (r.r.RemoteIP == "" || (r.relayIP && !relay)) {
			r.r.RemoteIP, r.r.RemotePort, r.ip, r.relayIP = ip, port, ip, relay
		}
		if relay {
			r.note("a channel went through a relay: its address " + arg(1) + " is a Google relay server, not the client")
		}
		r.note(fmt.Sprintf("channel %s: connection %s, client %s, host %s", arg(3), conn, arg(1), arg(2)))
		j.add(r, e, raw, summary, fields...)
	}
}

// ---- LogMeIn host (Application log, provider LogMeIn) -------------------
//
// Second-hand layout (session-artifacts.md §6: Ruler, KAPE; no sample):
//
//	102 "<user> has successfully logged on from IP address x.x.x.x"
//	202 "Remote control session started … from IP address x.x.x.x"
//	205 "… ended a Remote Control Session"
//
// A 102 logon and the 202 remote-control start of the same IP (and user,
// when both name one) within lmiWindow are one session; a 205 ends the
// open session of the same user / IP, or the only open one.

// lmiWindow joins a 202 to the 102 logon before it.
const lmiWindow = 10 * time.Minute

var (
	lmiIPRE    = regexp.MustCompile(`(?i)IP address:?\s*\[?([0-9A-Fa-f.:]+[0-9A-Fa-f])\]?`)
	lmiByRE    = regexp.MustCompile(`(?i)\b(?:by|for)\s+(?:user\s+)?(.+?)\s+from IP address`)
	lmiUserPfx = regexp.MustCompile(`(?i)^(?:the\s+)?user\s+`)
	lmiParenRE = regexp.MustCompile(`\(([0-9A-Fa-f.:]+)\)`)
)

// lmiText returns the user and remote IP a LogMeIn message names.
func lmiText(act action, text string) (user, ip string) {
	text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(text, "\r", " "), "\n", " "))
	if m := lmiIPRE.FindStringSubmatch(text); m != nil {
		if a, _, ok := parseAddr(m[1]); ok {
			ip = a
		}
	} else if m := lmiParenRE.FindStringSubmatch(text); m != nil {
		if a, _, ok := parseAddr(m[1]); ok {
			ip = a
		}
	}
	low := strings.ToLower(text)
	cut := func(marker string) string {
		if i := strings.Index(low, marker); i > 0 {
			return strings.TrimSpace(text[:i])
		}
		return ""
	}
	switch act {
	case aLMILogon:
		user = cut(" has successfully logged on")
		if user == "" {
			user = cut(" successfully logged on")
		}
	case aLMIStart:
		if m := lmiByRE.FindStringSubmatch(text); m != nil {
			user = strings.TrimSpace(m[1])
		}
	case aLMIEnd:
		user = cut(" ended a remote control session")
		if user == "" {
			user = cut(" has ended a remote control session")
		}
		user = strings.TrimSuffix(user, " has")
	}
	user = strings.Trim(lmiUserPfx.ReplaceAllString(user, ""), " \"'")
	if ip != "" {
		// "alice (203.0.113.5)": keep the name only.
		if i := strings.Index(user, "("+ip); i > 0 {
			user = strings.TrimSpace(user[:i])
		}
	}
	return user, ip
}

func (j *joiner) logMeIn(e *event) {
	text := e.text()
	user, ip := lmiText(e.act, text)
	key := ToolLogMeIn + "|" + strings.ToLower(e.Computer)
	raw := e.raw()
	matches := func(r *rec) bool {
		if ip != "" && r.ip != "" && ip != r.ip {
			return false
		}
		return user == "" || r.user == "" || strings.EqualFold(bareUser(user), r.user)
	}
	newRec := func() *rec {
		r := j.newRec(ToolLogMeIn, e, session.Established)
		r.id = ip
		r.ip = ip
		r.r.RemoteIP = ip
		r.setUser(user)
		j.byApp[key] = append(j.byApp[key], r)
		return r
	}
	fill := func(r *rec, fields []string) []string {
		if ip != "" && r.r.RemoteIP == "" {
			r.r.RemoteIP, r.ip, r.id = ip, ip, ip
			fields = append(fields, "remote_ip")
		}
		if user != "" && r.r.LocalUser == "" {
			r.setUser(user)
			fields = append(fields, "local_user")
		}
		return fields
	}
	open := func(pred func(*rec) bool) *rec {
		l := j.byApp[key]
		for i := len(l) - 1; i >= 0; i-- {
			if !l[i].closed && pred(l[i]) {
				return l[i]
			}
		}
		return nil
	}
	switch e.act {
	case aLMILogon:
		summary := fmt.Sprintf("LogMeIn: %q logged on from %s", user, ip)
		r := newRec()
		r.start(e.Time)
		r.note("logon event 102 has no documented logoff counterpart: without a 205 the end is unknown")
		j.add(r, e, raw, summary, "start", "direction", "outcome", "remote_ip", "local_user")
	case aLMIStart:
		summary := fmt.Sprintf("LogMeIn: remote control session started from %s", ip)
		r := open(func(r *rec) bool {
			return !r.connected && matches(r) && !e.Time.IsZero() && !r.last.IsZero() &&
				e.Time.Sub(r.last) >= 0 && e.Time.Sub(r.last) <= lmiWindow
		})
		fields := []string{"outcome"}
		if r == nil {
			r = newRec()
			r.start(e.Time)
			fields = []string{"start", "direction", "outcome", "remote_ip", "local_user"}
		} else {
			fields = fill(r, fields)
		}
		r.connected = true
		r.note("remote control started (event 202)")
		j.add(r, e, raw, summary, fields...)
	case aLMIEnd:
		summary := "LogMeIn: " + firstLine(text)
		r := open(func(r *rec) bool { return r.connected && matches(r) })
		if r == nil {
			var rc []*rec
			for _, x := range j.byApp[key] {
				if !x.closed && x.connected {
					rc = append(rc, x)
				}
			}
			if len(rc) == 1 {
				r = rc[0]
				r.note(fmt.Sprintf("end event names %q / %q, start event %q / %q", user, ip, r.r.LocalUser, r.r.RemoteIP))
			}
		}
		if r != nil {
			r.close(e.Time)
			j.add(r, e, raw, summary, fill(r, []string{"end"})...)
			return
		}
		r = newRec()
		r.close(e.Time)
		r.note("remote control start event not in this log: start unknown")
		j.add(r, e, raw, summary, "end", "direction", "outcome", "remote_ip", "local_user")
	}
}
