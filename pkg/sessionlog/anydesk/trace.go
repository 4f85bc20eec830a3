package anydesk

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// Trace parses ad.trace, ad_svc.trace and Linux/macOS anydesk.trace.
//
// Line layout (session-artifacts.md §1.2):
//
//	level  YYYY-MM-DD HH:MM:SS.mmm  role  [thread]  PID  TID  [fiber]  component - message
//
// Two kinds of lines describe a session, and an installed AnyDesk writes them
// to two files (the portable one writes both to ad.trace):
//   - service side (roles svc/service/gsvc/lsvc): "Accept request from <id>",
//     "Logged in from <ip>:<port> on relay", "Authenticated by local user",
//     "Session closed by …", "Received outgoing connection request for
//     address <id>". Lines of one connection share a fiber id (Linux, and
//     Windows lsvc/gsvc lines have it), which binds them to their session.
//   - session UI side (roles back/backend, front/frontend, tray, ad):
//     "Incoming session request: <alias> (<id>)", "Remote OS", "Starting
//     session", clipboard, file transfer, "Session stopped.", and "Sending a
//     connection request for address <id>" for outgoing sessions.
//
// Within one file a service-side and a UI-side record of the same peer and
// direction that start within two minutes are one session. Across files
// session.Join does the same.
type Trace struct{}

func (Trace) Name() string { return "anydesk-trace" }
func (Trace) Tool() string { return tool }

// Sniff recognises the trace layout on the first non-blank line.
func (Trace) Sniff(head []byte, name string) bool {
	head = bytes.ReplaceAll(head, []byte{0}, nil)
	for _, l := range bytes.Split(head, []byte{'\n'}) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		_, _, ok := tsOf(l)
		return ok && bytes.Contains(l, []byte(" - "))
	}
	return false
}

const traceRule = "UTC as written: AnyDesk traces log UTC without a zone marker"

type flow struct {
	on     bool
	closed bool
	end    *time.Time
}

type adRec struct {
	r            session.Record
	svc, ui      flow
	sessFiber    string // pid/fiber of the service-side session fiber
	sockFiber    string // pid/fiber of the accept/connect socket fiber
	uiPID        string
	lastTransfer int // index in r.Transfers of the last "Preparing files" transfer, -1 if none
	established  bool
	failed       bool
	rejected     bool
}

func (a *adRec) live() bool {
	return (a.svc.on && !a.svc.closed) || (a.ui.on && !a.ui.closed)
}

type traceState struct {
	in     *sessionlog.Input
	name   string
	recs   []*adRec
	fibers map[string]*adRec
	res    sessionlog.Result
}

// fields of one parsed trace line
type tline struct {
	ts     time.Time
	role   []byte
	thread []byte
	pid    []byte
	fiber  []byte
	comp   []byte
	msg    []byte
}

// tsOf finds the timestamp after the level column.
func tsOf(l []byte) (time.Time, int, bool) {
	i := 0
	for i < len(l) && l[i] == ' ' {
		i++
	}
	j := i
	for j < len(l) && l[j] != ' ' {
		j++
	}
	if j == i || j-i > 10 {
		return time.Time{}, 0, false
	}
	for j < len(l) && l[j] == ' ' {
		j++
	}
	t, n, ok := parseDateTime(l[j:], " ")
	return t, j + n, ok
}

// fieldsBefore splits b on runs of spaces into at most len(dst) fields.
func fieldsBefore(b []byte, dst [][]byte) int {
	n := 0
	i := 0
	for i < len(b) && n < len(dst) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i >= len(b) {
			break
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' {
			j++
		}
		dst[n] = b[i:j]
		n++
		i = j
	}
	return n
}

// parseLine splits a trace line. ok is false for banners and foreign lines.
func parseLine(l []byte, tl *tline) bool {
	t, p, ok := tsOf(l)
	if !ok {
		return false
	}
	sep := bytes.Index(l[p:], []byte(" - "))
	var msg []byte
	if sep < 0 {
		if !bytes.HasSuffix(l, []byte(" -")) {
			return false
		}
		sep = len(l) - p - 2
		msg = nil
	} else {
		msg = l[p+sep+3:]
	}
	var f [8][]byte
	n := fieldsBefore(l[p:p+sep], f[:])
	// role [thread] pid tid [fiber] component
	if n < 4 {
		return false
	}
	tl.ts = t
	tl.role = f[0]
	tl.comp = f[n-1]
	mid := f[1 : n-1]
	tl.thread, tl.pid, tl.fiber = nil, nil, nil
	if len(mid) > 0 && !isDigits(mid[0]) {
		tl.thread = mid[0]
		mid = mid[1:]
	}
	if len(mid) < 2 {
		return false
	}
	tl.pid = mid[0]
	if len(mid) >= 3 {
		tl.fiber = mid[2]
	}
	tl.msg = msg
	return true
}

// interesting components: everything else is skipped after one lookup.
func interesting(comp []byte) bool {
	switch string(comp) {
	case "anynet.any_socket", "app.service", "app.session", "app.backend_session",
		"app.frontend_session", "unix_app.frontend", "app.prepare_task",
		"app.local_file_transfer", "app.clipbrd_comp", "app.ctrl_clip_comp",
		"clipbrd.sink", "winapp.gui.permissions_panel":
		return true
	}
	return false
}

func isServiceRole(role []byte) bool {
	switch string(role) {
	case "svc", "service", "gsvc", "lsvc":
		return true
	}
	return false
}

func (Trace) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := Trace{}
	rd, err := open(p.Name(), in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	st := &traceState{in: &in, name: p.Name(), fibers: map[string]*adRec{}}
	var first, last []byte
	var firstBuf, lastBuf [32]byte
	traceLines := 0
	var tl tline
	for rd.Next() {
		l := rd.Bytes()
		if rd.Truncated() {
			st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "line longer than 1 MiB, cut"})
		}
		// Cheap path: timestamp bounds by byte comparison (fixed-width,
		// lexically ordered), then the component lookup.
		i := 0
		for i < len(l) && l[i] == ' ' {
			i++
		}
		j := bytes.IndexByte(l[i:], ' ')
		if j < 0 || j > 10 {
			continue
		}
		j += i
		for j < len(l) && l[j] == ' ' {
			j++
		}
		if len(l) < j+23 || l[j+4] != '-' || l[j+10] != ' ' || l[j+13] != ':' {
			continue
		}
		ts := l[j : j+23]
		traceLines++
		if first == nil || bytes.Compare(ts, first) < 0 {
			first = append(firstBuf[:0], ts...)
		}
		if last == nil || bytes.Compare(ts, last) > 0 {
			last = append(lastBuf[:0], ts...)
		}
		sep := bytes.Index(l[j+23:], []byte(" - "))
		if sep < 0 {
			continue
		}
		sep += j + 23
		k := sep
		for k > 0 && l[k-1] != ' ' {
			k--
		}
		if !interesting(l[k:sep]) {
			continue
		}
		if !parseLine(l, &tl) {
			st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "unreadable trace line"})
			continue
		}
		st.line(rd.N(), rd.Offset(), l, &tl)
	}
	st.res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if st.res.Lines > 0 && traceLines == 0 {
		return st.res, fmt.Errorf("%s: %s: no line in the AnyDesk trace layout", p.Name(), in.Path)
	}
	var b bounds
	for _, x := range [][]byte{first, last} {
		if t, _, ok := parseDateTime(x, " "); ok {
			b.see(t)
		}
	}
	st.res.FirstTime, st.res.LastTime = b.first, b.last
	for _, a := range st.recs {
		st.res.Sessions = append(st.res.Sessions, a.finish())
	}
	return st.res, nil
}

func (a *adRec) finish() session.Record {
	r := a.r
	switch {
	case a.established:
		r.Outcome = session.Established
	case a.rejected:
		r.Outcome = session.Rejected
	case a.failed:
		r.Outcome = session.FailedAuth
	default:
		r.Outcome = session.AttemptOnly
	}
	var end *time.Time
	for _, f := range []flow{a.svc, a.ui} {
		if f.on && f.end != nil && (end == nil || f.end.After(*end)) {
			end = f.end
		}
	}
	// A flow that never logged its end leaves the session open.
	if (a.svc.on && !a.svc.closed) || (a.ui.on && !a.ui.closed) {
		end = nil
	}
	r.End = end
	r.Key = key(r.Direction, r.RemoteID, r.RemoteIP)
	r.Finish()
	return r
}

func (st *traceState) newRec(dir session.Direction, t time.Time) *adRec {
	a := &adRec{lastTransfer: -1}
	a.r = session.Record{Tool: tool, Parser: st.name, Direction: dir, Outcome: session.AttemptOnly, Start: session.T(t), TimeRule: traceRule}
	st.recs = append(st.recs, a)
	return a
}

// partner finds a record of the other side (service vs UI) of the same
// session: same direction and peer, started within two minutes, not yet
// claimed by that side.
func (st *traceState) partner(dir session.Direction, id string, t time.Time, uiSide bool) *adRec {
	for i := len(st.recs) - 1; i >= 0; i-- {
		a := st.recs[i]
		if a.r.Direction != dir || a.r.Start == nil {
			continue
		}
		if d := t.Sub(*a.r.Start); d > 2*time.Minute || d < -2*time.Minute {
			continue
		}
		if uiSide && (a.ui.on || !a.svc.on) || !uiSide && (a.svc.on || !a.ui.on) {
			continue
		}
		if id != "" && a.r.RemoteID != "" && a.r.RemoteID != id {
			continue
		}
		return a
	}
	return nil
}

// newest returns the newest record with a live side matching pred.
func (st *traceState) newest(pred func(*adRec) bool) *adRec {
	for i := len(st.recs) - 1; i >= 0; i-- {
		if a := st.recs[i]; pred(a) {
			return a
		}
	}
	return nil
}

func svcOpen(a *adRec) bool { return a.svc.on && !a.svc.closed }

func fiberKey(tl *tline) string {
	if tl.fiber == nil {
		return ""
	}
	return string(tl.pid) + "/" + string(tl.fiber)
}

func (st *traceState) add(a *adRec, n int, off int64, l []byte, t time.Time, summary string, fields ...string) {
	a.r.Evidence = append(a.r.Evidence, ev(st.name, st.in, n, off, l, session.T(t), summary, fields...))
}

func (st *traceState) closeSvc(a *adRec, t time.Time) {
	a.svc.closed = true
	a.svc.end = session.T(t)
	for k, v := range st.fibers {
		if v == a {
			delete(st.fibers, k)
		}
	}
}

// svcRec finds the service-side record a line belongs to: by fiber, else the
// newest open one (Windows lines without a fiber column).
func (st *traceState) svcRec(tl *tline, fallback bool) *adRec {
	if fk := fiberKey(tl); fk != "" {
		if a := st.fibers[fk]; a != nil {
			return a
		}
	}
	if !fallback {
		return nil
	}
	return st.newest(svcOpen)
}

func (st *traceState) line(n int, off int64, l []byte, tl *tline) {
	msg := tl.msg
	t := tl.ts
	comp := string(tl.comp)
	switch comp {
	case "anynet.any_socket":
		st.anySocket(n, off, l, tl)
	case "app.service":
		switch {
		case bytes.HasPrefix(msg, []byte("Creating a ANY accept socket")):
			if a := st.newest(func(a *adRec) bool {
				return svcOpen(a) && a.r.Direction == session.Incoming && a.sessFiber == ""
			}); a != nil && fiberKey(tl) != "" {
				a.sessFiber = fiberKey(tl)
				st.fibers[a.sessFiber] = a
			}
		case bytes.HasPrefix(msg, []byte("Received outgoing connection request for address ")):
			id := string(upto(after(msg, "address "), " "))
			id = strings.TrimSuffix(id, ".")
			a := st.partner(session.Outgoing, id, t, false)
			if a == nil {
				a = st.newRec(session.Outgoing, t)
			} else if t.Before(*a.r.Start) {
				a.r.Start = session.T(t)
			}
			a.svc.on = true
			if a.r.RemoteID == "" {
				a.r.RemoteID = id
			}
			if fk := fiberKey(tl); fk != "" {
				a.sessFiber = fk
				st.fibers[fk] = a
			}
			st.add(a, n, off, l, t, "outgoing connection request", "start", "direction", "remote_id")
		case bytes.HasPrefix(msg, []byte("Fiber exit (")):
			if a := st.svcRec(tl, false); a != nil && a.sessFiber == fiberKey(tl) && !a.svc.closed {
				st.add(a, n, off, l, t, "service connection fiber ended", "end")
				st.closeSvc(a, t)
			}
		}
	case "app.session":
		st.appSession(n, off, l, tl)
	case "app.backend_session", "app.frontend_session":
		st.uiSession(n, off, l, tl)
	case "unix_app.frontend":
		if bytes.HasPrefix(msg, []byte("Sending a connection request for address ")) {
			id := strings.TrimSuffix(string(after(msg, "address ")), ".")
			a := st.partner(session.Outgoing, id, t, true)
			if a == nil {
				a = st.newRec(session.Outgoing, t)
			} else if t.Before(*a.r.Start) {
				a.r.Start = session.T(t)
			}
			a.ui.on = true
			a.uiPID = string(tl.pid)
			if a.r.RemoteID == "" {
				a.r.RemoteID = id
			}
			st.add(a, n, off, l, t, "this PC requests a session to "+id, "start", "direction", "remote_id")
		}
	case "app.prepare_task", "app.local_file_transfer":
		st.fileTransfer(n, off, l, tl)
	case "app.clipbrd_comp", "app.ctrl_clip_comp", "clipbrd.sink":
		st.clipboard(n, off, l, tl)
	case "winapp.gui.permissions_panel":
		if bytes.HasPrefix(msg, []byte("Selecting Profile:")) {
			if a := st.hostRec(tl); a != nil {
				a.r.Notes = append(a.r.Notes, "permission profile: "+strings.TrimSpace(string(after(msg, "Selecting Profile:"))))
				st.add(a, n, off, l, t, "permission profile", "notes")
			}
		}
	}
}

func (st *traceState) anySocket(n int, off int64, l []byte, tl *tline) {
	msg, t := tl.msg, tl.ts
	switch {
	case bytes.HasPrefix(msg, []byte("Accept request from ")):
		id := string(upto(after(msg, "Accept request from "), " "))
		id = strings.TrimSuffix(id, ".")
		a := st.partner(session.Incoming, id, t, false)
		if a == nil {
			a = st.newRec(session.Incoming, t)
		} else if t.Before(*a.r.Start) {
			a.r.Start = session.T(t)
		}
		a.svc.on = true
		if a.r.RemoteID == "" {
			a.r.RemoteID = id
		}
		st.add(a, n, off, l, t, "incoming connection request from "+id, "start", "direction", "remote_id")
	case bytes.HasPrefix(msg, []byte("Accept fiber spawned")), bytes.HasPrefix(msg, []byte("Connect fiber spawned")):
		dir := session.Incoming
		if bytes.HasPrefix(msg, []byte("Connect")) {
			dir = session.Outgoing
		}
		if a := st.newest(func(a *adRec) bool {
			return svcOpen(a) && a.r.Direction == dir && a.sockFiber == ""
		}); a != nil && fiberKey(tl) != "" {
			a.sockFiber = fiberKey(tl)
			st.fibers[a.sockFiber] = a
		}
	case bytes.HasPrefix(msg, []byte("Logged in from ")):
		if a := st.svcRec(tl, true); a != nil {
			addr := string(upto(after(msg, "Logged in from "), " on relay"))
			addr = strings.TrimSuffix(strings.Fields(addr + " x")[0], ".")
			ip, port := splitHostPort(addr)
			if a.r.RemoteIP == "" {
				a.r.RemoteIP, a.r.RemotePort = ip, port
			}
			st.add(a, n, off, l, t, "remote address "+addr, "remote_ip", "remote_port")
		}
	case bytes.HasPrefix(msg, []byte("Client-ID: ")):
		if a := st.svcRec(tl, true); a != nil {
			rest := after(msg, "Client-ID: ")
			id := string(upto(rest, " "))
			id = strings.TrimSuffix(id, ".")
			if a.r.RemoteID == "" {
				a.r.RemoteID = id
			}
			if fpr := upto(after(rest, "FPR: "), ")"); len(fpr) > 0 && bytes.Contains(rest, []byte("FPR: ")) {
				a.r.Notes = appendOnce(a.r.Notes, "remote certificate fingerprint "+string(fpr))
			}
			st.add(a, n, off, l, t, "remote client ID "+id, "remote_id")
		}
	}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// authMethod maps the documented "Authenticated …" messages.
func authMethod(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "by local user"):
		return "interactive (accepted by the local user)"
	case strings.Contains(m, "token"):
		return "token"
	case strings.Contains(m, "password"), strings.Contains(m, "passphrase"):
		return "password"
	}
	return strings.TrimSuffix(strings.TrimSpace(msg), ".")
}

// stripStep drops the "3: " / "1 - " step prefix of app.session messages.
func stripStep(msg []byte) []byte {
	i := 0
	for i < len(msg) && msg[i] >= '0' && msg[i] <= '9' {
		i++
	}
	if i == 0 {
		return msg
	}
	switch {
	case bytes.HasPrefix(msg[i:], []byte(": ")):
		return msg[i+2:]
	case bytes.HasPrefix(msg[i:], []byte(" - ")):
		return msg[i+3:]
	}
	return msg
}

func (st *traceState) appSession(n int, off int64, l []byte, tl *tline) {
	msg, t := stripStep(tl.msg), tl.ts
	low := bytes.ToLower(msg)
	switch {
	case bytes.HasPrefix(msg, []byte("Authenticated")):
		if a := st.svcRec(tl, true); a != nil {
			a.established = true
			a.r.AuthMethod = authMethod(string(msg))
			if bytes.Contains(msg, []byte("elevated")) {
				a.r.Notes = appendOnce(a.r.Notes, "accepted with elevation")
			}
			st.add(a, n, off, l, t, string(msg), "auth_method", "outcome")
		}
	case bytes.HasPrefix(msg, []byte("Issuing a permanent token")), bytes.HasPrefix(msg, []byte("The remote peer has sent a token")),
		bytes.HasPrefix(msg, []byte("Profile was used:")):
		if a := st.svcRec(tl, true); a != nil {
			note := strings.TrimSuffix(string(msg), ".")
			if bytes.HasPrefix(msg, []byte("Issuing")) {
				note += ": the remote side can come back without a password"
			}
			a.r.Notes = appendOnce(a.r.Notes, note)
			st.add(a, n, off, l, t, string(msg), "auth_method", "notes")
		}
	case bytes.HasPrefix(msg, []byte("Session closed by")), bytes.HasPrefix(msg, []byte("Processing done")):
		if a := st.svcRec(tl, true); a != nil && !a.svc.closed {
			if bytes.HasPrefix(msg, []byte("Session closed by")) {
				a.r.Notes = appendOnce(a.r.Notes, strings.TrimSuffix(string(msg), "."))
			}
			st.add(a, n, off, l, t, "session closed", "end")
			st.closeSvc(a, t)
		}
	case bytes.Contains(low, []byte("wrong password")), bytes.Contains(low, []byte("authentication failed")),
		bytes.Contains(low, []byte("password was incorrect")):
		// Not seen in a sample: wording assumed from the documented auth lines.
		if a := st.svcRec(tl, true); a != nil {
			a.failed = true
			st.add(a, n, off, l, t, string(msg), "outcome")
		}
	case bytes.Contains(low, []byte("reject")), bytes.Contains(low, []byte("declined")), bytes.Contains(low, []byte("denied by")):
		if a := st.svcRec(tl, true); a != nil {
			a.rejected = true
			st.add(a, n, off, l, t, string(msg), "outcome")
		}
	}
}

// uiRec finds the UI-side record of a backend/frontend line by process id.
func (st *traceState) uiRec(tl *tline) *adRec {
	pid := string(tl.pid)
	return st.newest(func(a *adRec) bool { return a.ui.on && !a.ui.closed && a.uiPID == pid })
}

// hostRec is the open session a host-side side event (clipboard, file
// transfer) belongs to: the emitting process's own session, else the newest
// open incoming one, else the newest open one.
func (st *traceState) hostRec(tl *tline) *adRec {
	if a := st.uiRec(tl); a != nil {
		return a
	}
	if a := st.newest(func(a *adRec) bool { return a.live() && a.r.Direction == session.Incoming }); a != nil {
		return a
	}
	return st.newest(func(a *adRec) bool { return a.live() })
}

func (st *traceState) uiSession(n int, off int64, l []byte, tl *tline) {
	msg, t := tl.msg, tl.ts
	switch {
	case bytes.HasPrefix(msg, []byte("Incoming session request: ")):
		rest := bytes.TrimSpace(after(msg, "Incoming session request: "))
		alias, id := string(rest), ""
		if k := bytes.LastIndexByte(rest, '('); k >= 0 && bytes.HasSuffix(rest, []byte(")")) {
			alias = strings.TrimSpace(string(rest[:k]))
			id = string(rest[k+1 : len(rest)-1])
		}
		a := st.partner(session.Incoming, id, t, true)
		if a == nil {
			a = st.newRec(session.Incoming, t)
		} else if t.Before(*a.r.Start) {
			a.r.Start = session.T(t)
		}
		a.ui.on = true
		a.uiPID = string(tl.pid)
		if a.r.RemoteID == "" {
			a.r.RemoteID = id
		}
		if alias != "" {
			a.r.RemoteName = alias
		}
		st.add(a, n, off, l, t, "incoming session request from "+string(rest), "start", "direction", "remote_id", "remote_name")
		return
	}
	a := st.uiRec(tl)
	if a == nil {
		return
	}
	switch {
	case bytes.HasPrefix(msg, []byte("Remote OS: ")), bytes.HasPrefix(msg, []byte("Remote version: ")):
		note := string(msg)
		if i := strings.Index(note, ", Connection flags"); i >= 0 {
			note = note[:i]
		}
		a.r.Notes = appendOnce(a.r.Notes, strings.ToLower(note[:1])+note[1:])
		st.add(a, n, off, l, t, note, "notes")
	case bytes.HasPrefix(msg, []byte("Starting session")), bytes.HasPrefix(msg, []byte("Session started")):
		a.established = true
		st.add(a, n, off, l, t, "session started", "outcome")
	case bytes.HasPrefix(msg, []byte("Requesting session")):
		st.add(a, n, off, l, t, "session requested", "start")
	case bytes.HasPrefix(msg, []byte("The user has requested a connection quit")),
		bytes.HasPrefix(msg, []byte("The socket was closed remotely")):
		if a.ui.end == nil {
			a.ui.end = session.T(t)
		}
		st.add(a, n, off, l, t, strings.TrimSuffix(string(msg), "."), "end")
	case bytes.HasPrefix(msg, []byte("Session stopped")):
		a.ui.closed = true
		a.ui.end = session.T(t)
		st.add(a, n, off, l, t, "session stopped", "end")
	case bytes.HasPrefix(msg, []byte("Session closed by")):
		a.ui.closed = true
		a.ui.end = session.T(t)
		a.r.Notes = appendOnce(a.r.Notes, strings.TrimSuffix(string(msg), "."))
		st.add(a, n, off, l, t, string(msg), "end")
	}
}

func (st *traceState) orphan(t time.Time, what string) *adRec {
	a := st.newRec(session.DirectionUnknown, t)
	a.established = true
	a.ui.on, a.ui.closed, a.ui.end = true, true, session.T(t)
	a.r.Notes = append(a.r.Notes, what+" seen outside any session start in this file (log rotated or the session began in another trace)")
	return a
}

func (st *traceState) fileTransfer(n int, off int64, l []byte, tl *tline) {
	msg, t := tl.msg, tl.ts
	switch {
	case bytes.HasPrefix(msg, []byte("Preparing files in '")):
		dir := string(after(msg, "Preparing files in '"))
		if k := strings.LastIndex(dir, "'"); k >= 0 {
			dir = dir[:k]
		}
		a := st.hostRec(tl)
		if a == nil {
			a = st.orphan(t, "file transfer")
		}
		a.established = true
		a.r.Transfers = append(a.r.Transfers, session.Transfer{Time: session.T(t), Direction: "from_host", Folder: dir, Line: n})
		a.lastTransfer = len(a.r.Transfers) - 1
		st.add(a, n, off, l, t, "files prepared for sending from this PC: "+dir, "transfers")
	case bytes.HasPrefix(msg, []byte("Preparation of ")):
		if a := st.hostRec(tl); a != nil && a.lastTransfer >= 0 {
			a.r.Notes = appendOnce(a.r.Notes, strings.TrimSuffix(string(msg), ".")+" (files in "+a.r.Transfers[a.lastTransfer].Folder+"; their names are not logged)")
			st.add(a, n, off, l, t, string(msg), "transfers")
		}
	case bytes.HasPrefix(msg, []byte("Download started")), bytes.HasPrefix(msg, []byte("Download finished")),
		bytes.HasPrefix(msg, []byte("Upload started")), bytes.HasPrefix(msg, []byte("Upload finished")):
		a := st.hostRec(tl)
		if a == nil {
			a = st.orphan(t, "file transfer")
		}
		a.established = true
		if a.lastTransfer < 0 && bytes.HasSuffix(bytes.Fields(msg)[1], []byte("started")) {
			// No "Preparing files" line: direction not documented for this case.
			a.r.Transfers = append(a.r.Transfers, session.Transfer{Time: session.T(t), Direction: "unknown", Line: n})
			a.lastTransfer = len(a.r.Transfers) - 1
		}
		st.add(a, n, off, l, t, strings.TrimSuffix(string(msg), "."), "transfers")
	}
}

func (st *traceState) clipboard(n int, off int64, l []byte, tl *tline) {
	msg, t := tl.msg, tl.ts
	var what string
	switch {
	case bytes.HasPrefix(msg, []byte("Got a text offer")):
		what = "text offered by the remote side " + string(bytes.TrimSuffix(after(msg, "offer "), []byte(".")))
	case bytes.HasPrefix(msg, []byte("Got a file offer")):
		what = "files offered over the clipboard " + string(bytes.TrimSpace(after(msg, "file offer")))
	case bytes.HasPrefix(msg, []byte("Putting text data on the clipboard")):
		what = "text put on this PC's clipboard " + string(bytes.TrimSuffix(after(msg, "clipboard "), []byte(".")))
	default:
		return
	}
	a := st.hostRec(tl)
	if a == nil {
		a = st.orphan(t, "clipboard transfer")
	}
	a.r.Clipboard = append(a.r.Clipboard, session.Event{Time: session.T(t), What: strings.TrimSpace(what), Line: n})
	if bytes.HasPrefix(msg, []byte("Got a file offer")) {
		a.established = true
		a.r.Transfers = append(a.r.Transfers, session.Transfer{Time: session.T(t), Direction: "to_host", Line: n})
		st.add(a, n, off, l, t, "clipboard file offer", "clipboard", "transfers")
		return
	}
	st.add(a, n, off, l, t, strings.TrimSpace(what), "clipboard")
}
