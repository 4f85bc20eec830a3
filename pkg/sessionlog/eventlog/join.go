package eventlog

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
)

const (
	// mergeWindow joins the events of one RDP connection that different logs
	// write (RCM 1149, Security 4624, LSM 21/22/25, 4778): same host, source
	// IP and user, each within this time of the previous one.
	mergeWindow = 2 * time.Minute
	// listenerWindow attaches an RCM 261 ("listener received a connection",
	// no IP) to a session starting this long after it at most. Clients make
	// two connections per logon (the first one for the certificate / NLA
	// prompt); in the samples the first is up to 121 s before the 1149.
	listenerWindow = 3 * time.Minute
	// udpWindow joins an RdpCoreTS 131 UDP transport to the TCP connection.
	udpWindow = 30 * time.Second
	// failedGap groups failed logons of one source and user.
	failedGap = 5 * time.Minute
	// lateWindow attaches trailing end events (LSM 24 after 23, ScreenConnect
	// 30 after 101) to a session that already ended.
	lateWindow = 2 * time.Minute
	// maxEvidence bounds the evidence list of one record (brute force).
	maxEvidence = 200
)

// rec is a session record under construction.
type rec struct {
	r        session.Record
	computer string
	user     string // bare, lower-case, for matching
	ip       string
	last     time.Time // last event joined
	end      time.Time
	closed   bool
	attempt  bool // RDP transport / listener only so far
	failed   bool

	// RDP
	logons map[uint64]bool // TargetLogonId → still the active logon
	lsm    string          // LSM SessionID
	hasSec bool
	hasRCM bool
	hasLSM bool

	// apps
	id        string
	connected bool // CRD "client connected" seen; LogMeIn 202 seen
	relayIP   bool // CRD RemoteIP came from a relay route

	transport bool // RdpCoreTS 131 record
	zone      bool // has its RdpCoreTS 104 (one per connection)

	count    int
	dropped  int
	noteSeen map[string]bool
}

func (r *rec) touch(t time.Time) {
	if !t.IsZero() && t.After(r.last) {
		r.last = t
	}
}

func (r *rec) start(t time.Time) {
	if !t.IsZero() && (r.r.Start == nil || t.Before(*r.r.Start)) {
		r.r.Start = session.T(t)
	}
}

func (r *rec) close(t time.Time) {
	r.closed = true
	if !t.IsZero() {
		r.end = t
		r.r.End = session.T(t)
	}
}

func (r *rec) note(s string) {
	if r.noteSeen == nil {
		r.noteSeen = map[string]bool{}
	}
	if !r.noteSeen[s] {
		r.noteSeen[s] = true
		r.r.Notes = append(r.r.Notes, s)
	}
}

func (r *rec) setUser(u string) {
	if u == "" {
		return
	}
	cur := r.r.LocalUser
	if cur == "" || (!strings.Contains(cur, `\`) && strings.Contains(u, `\`) && bareUser(cur) == bareUser(u)) {
		r.r.LocalUser = u
	}
	if r.user == "" {
		r.user = bareUser(u)
	}
}

func (r *rec) setName(n string) {
	n = strings.TrimSpace(n)
	if n == "" || n == "-" || strings.EqualFold(n, "Unknown") {
		return
	}
	if r.r.RemoteName == "" {
		r.r.RemoteName = n
	}
}

type joiner struct {
	path, timeRule string
	recs           []*rec
	byLogon        map[string]*rec
	byLSM          map[string]*rec
	byIP           map[string][]*rec
	failed         map[string]*rec
	listeners      []*event
	byApp          map[string][]*rec
	scOpen         map[string][]*rec
	scLast         map[string]*rec
}

func newJoiner(path, timeRule string) *joiner {
	return &joiner{
		path: path, timeRule: timeRule,
		byLogon: map[string]*rec{}, byLSM: map[string]*rec{}, byIP: map[string][]*rec{},
		failed: map[string]*rec{}, byApp: map[string][]*rec{},
		scOpen: map[string][]*rec{}, scLast: map[string]*rec{},
	}
}

func (j *joiner) newRec(tool string, e *event, out session.Outcome) *rec {
	r := &rec{computer: e.Computer}
	r.r = session.Record{
		Tool: tool, Parser: Name, Direction: session.Incoming, Outcome: out,
		TimeRule: j.timeRule,
	}
	j.recs = append(j.recs, r)
	return r
}

// add appends the evidence item for e.
func (j *joiner) add(r *rec, e *event, raw, summary string, fields ...string) {
	r.touch(e.Time)
	if len(r.r.Evidence) >= maxEvidence {
		r.dropped++
		return
	}
	ev := evidence.Evidence{
		Kind: evidence.KindRecord, Scanner: Name, Summary: summary,
		Path: j.path, Line: e.Line, Offset: e.Offset, RecordID: e.RecordID,
		Raw: raw, Fields: fields,
	}
	if !e.Time.IsZero() {
		ev.Time = session.T(e.Time)
	}
	r.r.Evidence = append(r.r.Evidence, ev)
}

func (j *joiner) handle(e *event) {
	switch e.act {
	case aRDPLogon:
		j.rdpLogon(e)
	case aRDPFailed:
		j.rdpFailed(e)
	case aRDPReconnect:
		j.rdpReconnect(e)
	case aRDPDisconnect:
		j.rdpDisconnect(e)
	case aRDPLogoff:
		j.rdpLogoff(e)
	case aRCMAuth:
		j.rcmAuth(e)
	case aRCMListener:
		j.listeners = append(j.listeners, e)
	case aLSMLogon:
		j.lsmLogon(e)
	case aLSMDisconnect:
		j.lsmDisconnect(e)
	case aLSMLogoff:
		j.lsmLogoff(e)
	case aRDPTransport:
		j.rdpTransport(e)
	case aRDPClientZone:
		j.rdpClientZone(e)
	case aSCConnect, aSCDisconnect, aSCCommand, aSCTransfer, aSCEnded:
		j.screenConnect(e)
	case aSTStart, aSTEnd, aSTTransfer:
		j.splashtop(e)
	case aCRDConnect, aCRDDisconnect, aCRDDenied, aCRDRoute:
		j.crd(e)
	case aLMILogon, aLMIStart, aLMIEnd:
		j.logMeIn(e)
	}
}

// finish completes the records and orders them by time.
func (j *joiner) finish() []session.Record {
	j.attachListeners()
	out := make([]session.Record, 0, len(j.recs))
	for _, r := range j.recs {
		if (r.attempt || r.failed) && r.r.Start != nil && r.r.End == nil {
			// An attempt is not "still running": it spans its events.
			r.r.End = session.T(r.last)
		}
		switch {
		case r.failed && r.count > 1:
			r.note(fmt.Sprintf("%d failed logons grouped (same source and user, at most %s apart)", r.count, failedGap))
		case r.attempt && r.transport:
			r.r.OutcomeUnlogged = true
			if r.r.RemoteIP == "" {
				r.note("RDP client connected (RdpCoreTS 104, its time zone), no address in the event; no authentication result for this connection in this log")
			} else {
				r.note("transport accepted (RdpCoreTS 131); no authentication result for this connection in this log")
			}
		case r.attempt && r.r.Tool == ToolRDP && r.count > 1:
			r.note(fmt.Sprintf("%d listener connections grouped (at most %s apart)", r.count, listenerWindow))
		}
		if r.r.Tool == ToolRDP && r.hasRCM && !r.hasSec && !r.hasLSM && !r.attempt {
			// What 1149 proves, and what it does not.
			r.note("RCM 1149: the user's credentials were accepted (network-level authentication); the logon itself (Security 4624 type 10, LocalSessionManager 21) is not in this log")
		}
		if r.computer != "" {
			r.r.Host = r.computer
			r.note("computer: " + r.computer)
		}
		if r.dropped > 0 {
			r.note(fmt.Sprintf("%d more events not listed as evidence", r.dropped))
		}
		r.r.Key = j.key(r)
		sort.SliceStable(r.r.Evidence, func(a, b int) bool {
			ta, tb := r.r.Evidence[a].Time, r.r.Evidence[b].Time
			return ta != nil && tb != nil && ta.Before(*tb)
		})
		r.r.Finish()
		out = append(out, r.r)
	}
	sort.SliceStable(out, func(a, b int) bool {
		ta, tb := firstTime(&out[a]), firstTime(&out[b])
		if !ta.Equal(tb) {
			if ta.IsZero() || tb.IsZero() {
				return !ta.IsZero()
			}
			return ta.Before(tb)
		}
		return firstRecordID(&out[a]) < firstRecordID(&out[b])
	})
	return out
}

func firstTime(r *session.Record) time.Time {
	switch {
	case r.Start != nil:
		return *r.Start
	case r.End != nil:
		return *r.End
	}
	for _, e := range r.Evidence {
		if e.Time != nil {
			return *e.Time
		}
	}
	return time.Time{}
}

func firstRecordID(r *session.Record) uint64 {
	if len(r.Evidence) > 0 {
		return r.Evidence[0].RecordID
	}
	return 0
}

// key is the join key other artifacts can meet: tool, host and the identity
// the log gives the session.
func (j *joiner) key(r *rec) string {
	host := strings.ToLower(r.computer)
	switch r.r.Tool {
	case ToolRDP:
		return strings.Join([]string{ToolRDP, host, r.ip, r.user}, "|")
	default:
		return strings.Join([]string{r.r.Tool, host, r.id}, "|")
	}
}

// ---- RDP ---------------------------------------------------------------

var (
	keysLogon  = []string{"LogonType", "TargetUserName", "TargetDomainName", "TargetLogonId", "TargetLinkedLogonId", "IpAddress", "IpPort", "WorkstationName", "LogonProcessName", "AuthenticationPackageName"}
	keysFailed = []string{"LogonType", "TargetUserName", "TargetDomainName", "IpAddress", "IpPort", "WorkstationName", "Status", "SubStatus", "FailureReason", "AuthenticationPackageName"}
	keysLogoff = []string{"TargetUserName", "TargetDomainName", "TargetLogonId", "LogonType"}
	keysRecon  = []string{"AccountName", "AccountDomain", "LogonID", "SessionName", "ClientName", "ClientAddress"}
)

func logonKey(computer string, id uint64) string {
	return strings.ToLower(computer) + "|" + strconv.FormatUint(id, 16)
}

func ipKey(computer, ip string) string { return strings.ToLower(computer) + "|" + ip }

func lsmKey(computer, sid string) string { return strings.ToLower(computer) + "|lsm|" + sid }

func (j *joiner) newRDP(e *event, out session.Outcome) *rec {
	r := j.newRec(ToolRDP, e, out)
	r.logons = map[uint64]bool{}
	return r
}

func (j *joiner) setIP(r *rec, ip string, port uint32) {
	if ip != "" && r.ip == "" {
		r.ip = ip
		r.r.RemoteIP = ip
		k := ipKey(r.computer, ip)
		j.byIP[k] = append(j.byIP[k], r)
		if isLoopback(ip) {
			r.note("source address " + ip + " is loopback: the RDP connection was tunnelled or port-forwarded through this host (e.g. plink, ngrok, chisel); the real remote end is not in this event")
		}
	}
	if port != 0 && r.r.RemotePort == 0 {
		r.r.RemotePort = port
	}
}

// establish marks r as an established session from t on; an attempt record
// (RdpCoreTS 131) that gets its authentication is upgraded, and its start
// becomes the first authenticated event.
func (j *joiner) establish(r *rec, t time.Time) {
	if r.attempt {
		r.attempt = false
		r.r.Outcome = session.Established
		r.r.Start = nil
	}
	r.start(t)
	r.touch(t)
}

// findMerge returns the open RDP record of the same host, source IP and user
// whose last event is within mergeWindow of t and that ok accepts.
func (j *joiner) findMerge(computer, ip, user string, t time.Time, ok func(*rec) bool) *rec {
	if ip == "" || t.IsZero() {
		return nil
	}
	l := j.byIP[ipKey(computer, ip)]
	for i, n := len(l)-1, 0; i >= 0 && n < 64; i, n = i-1, n+1 {
		r := l[i]
		if r.closed || r.failed {
			continue
		}
		if d := t.Sub(r.last); d > mergeWindow || d < -mergeWindow {
			continue
		}
		if user != "" && r.user != "" && r.user != user {
			continue
		}
		if ok(r) {
			return r
		}
	}
	return nil
}

var logonTypeNames = map[int]string{2: "Interactive", 3: "Network", 7: "Unlock", 10: "RemoteInteractive", 11: "CachedInteractive", 12: "CachedRemoteInteractive"}

func authMethod(e *event) string {
	lt := logonType(e)
	s := "LogonType " + strconv.Itoa(lt)
	if n := logonTypeNames[lt]; n != "" {
		s += " (" + n + ")"
	}
	if p := e.get("AuthenticationPackageName"); p != "" && p != "-" {
		s += ", " + p
	}
	return s
}

func portOf(s string) uint32 {
	p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil {
		return 0
	}
	return uint32(p)
}

func hexID(id uint64) string { return "0x" + strconv.FormatUint(id, 16) }

func (j *joiner) rdpLogon(e *event) {
	lt := logonType(e)
	user := joinUser(e.get("TargetDomainName"), e.get("TargetUserName"))
	ip, _, _ := parseAddr(e.get("IpAddress"))
	port := portOf(e.get("IpPort"))
	id, _ := parseUint(e.get("TargetLogonId"))
	linked, _ := parseUint(e.get("TargetLinkedLogonId"))
	raw := e.raw(keysLogon...)
	from := ip
	if from == "" {
		from = "an unknown address"
	}
	if linked != 0 {
		if r := j.byLogon[logonKey(e.Computer, linked)]; r != nil && !r.closed {
			r.logons[id] = r.logons[linked]
			j.byLogon[logonKey(e.Computer, id)] = r
			j.add(r, e, raw, fmt.Sprintf("linked logon %s of %s (split token of %s)", hexID(id), user, hexID(linked)), "local_user")
			return
		}
	}
	r := j.findMerge(e.Computer, ip, bareUser(user), e.Time, func(r *rec) bool { return !r.hasSec })
	if r == nil {
		r = j.newRDP(e, session.Established)
	}
	j.establish(r, e.Time)
	r.hasSec = true
	r.logons[id] = true
	j.byLogon[logonKey(e.Computer, id)] = r
	r.setUser(user)
	j.setIP(r, ip, port)
	if ws := e.get("WorkstationName"); hostLabel(ws) != hostLabel(e.Computer) {
		r.setName(ws)
	}
	if r.r.AuthMethod == "" {
		r.r.AuthMethod = authMethod(e)
	}
	fields := []string{"start", "outcome", "local_user", "auth_method"}
	if ip != "" {
		fields = append(fields, "remote_ip")
	}
	if port != 0 {
		fields = append(fields, "remote_port")
	}
	j.add(r, e, raw, fmt.Sprintf("RDP logon (LogonType %d) of %s from %s, logon ID %s", lt, user, from, hexID(id)), fields...)
}

func (j *joiner) rdpFailed(e *event) {
	user := joinUser(e.get("TargetDomainName"), e.get("TargetUserName"))
	ip, _, _ := parseAddr(e.get("IpAddress"))
	k := ipKey(e.Computer, ip) + "|" + bareUser(user)
	r := j.failed[k]
	if r == nil || e.Time.IsZero() || e.Time.Sub(r.last) > failedGap {
		r = j.newRDP(e, session.FailedAuth)
		r.failed = true
		j.failed[k] = r
		r.start(e.Time)
		r.setUser(user)
		r.user = bareUser(user)
		r.ip = ip
		r.r.RemoteIP = ip
		r.r.RemotePort = portOf(e.get("IpPort"))
		r.r.AuthMethod = authMethod(e)
		r.setName(e.get("WorkstationName"))
	}
	r.count++
	if st := e.get("SubStatus"); st != "" {
		r.note("failure status " + e.get("Status") + " substatus " + st)
	}
	fields := []string{"outcome"}
	if r.count == 1 {
		fields = append(fields, "start", "local_user", "remote_ip", "auth_method")
	} else {
		fields = append(fields, "end")
	}
	j.add(r, e, e.raw(keysFailed...), fmt.Sprintf("failed RDP logon of %s from %s", user, ip), fields...)
}

func (j *joiner) rdpReconnect(e *event) {
	id, _ := parseUint(e.get("LogonID"))
	user := joinUser(e.get("AccountDomain"), e.get("AccountName"))
	ip, _, _ := parseAddr(e.get("ClientAddress"))
	raw := e.raw(keysRecon...)
	summary := fmt.Sprintf("RDP session %s reconnected: %s from %s (client %s), logon ID %s", e.get("SessionName"), user, ip, e.get("ClientName"), hexID(id))
	fields := []string{"start", "outcome", "local_user", "remote_ip", "remote_name"}
	if r := j.byLogon[logonKey(e.Computer, id)]; r != nil && !r.closed && r.logons[id] {
		r.setName(e.get("ClientName"))
		j.add(r, e, raw, summary, "remote_name")
		return
	}
	r := j.findMerge(e.Computer, ip, bareUser(user), e.Time, func(*rec) bool { return true })
	if r != nil {
		// The user went back to an existing logon session: the logon made
		// for this connection is discarded, its logoff does not end it.
		for k, active := range r.logons {
			if active && k != id {
				r.logons[k] = false
			}
		}
	} else {
		r = j.newRDP(e, session.Established)
	}
	j.establish(r, e.Time)
	r.hasSec = true
	r.logons[id] = true
	j.byLogon[logonKey(e.Computer, id)] = r
	r.setUser(user)
	j.setIP(r, ip, 0)
	r.setName(e.get("ClientName"))
	j.add(r, e, raw, summary, fields...)
}

func (j *joiner) rdpDisconnect(e *event) {
	id, _ := parseUint(e.get("LogonID"))
	user := joinUser(e.get("AccountDomain"), e.get("AccountName"))
	ip, _, _ := parseAddr(e.get("ClientAddress"))
	raw := e.raw(keysRecon...)
	summary := fmt.Sprintf("RDP session %s disconnected: %s from %s, logon ID %s", e.get("SessionName"), user, ip, hexID(id))
	r := j.byLogon[logonKey(e.Computer, id)]
	switch {
	case r != nil && !r.closed && r.logons[id]:
		r.close(e.Time)
		j.add(r, e, raw, summary, "end")
	case r != nil:
		j.add(r, e, raw, summary)
	default:
		r = j.newRDP(e, session.Established)
		r.close(e.Time)
		r.hasSec = true
		r.logons[id] = false
		j.byLogon[logonKey(e.Computer, id)] = r
		r.setUser(user)
		j.setIP(r, ip, 0)
		r.setName(e.get("ClientName"))
		r.note("connect event not in this log: start unknown")
		j.add(r, e, raw, summary, "end", "outcome", "local_user", "remote_ip", "remote_name")
	}
}

func (j *joiner) rdpLogoff(e *event) {
	id, _ := parseUint(e.get("TargetLogonId"))
	user := joinUser(e.get("TargetDomainName"), e.get("TargetUserName"))
	raw := e.raw(keysLogoff...)
	what := "logoff"
	if e.ID == 4647 {
		what = "user-initiated logoff"
	}
	r := j.byLogon[logonKey(e.Computer, id)]
	switch {
	case r == nil:
		lt := logonType(e)
		if e.ID != 4634 || (lt != 10 && lt != 12) {
			return // not an RDP logon we know of
		}
		r = j.newRDP(e, session.Established)
		r.close(e.Time)
		r.hasSec = true
		r.logons[id] = false
		j.byLogon[logonKey(e.Computer, id)] = r
		r.setUser(user)
		r.r.AuthMethod = authMethod(e)
		r.note("logon event not in this log: start and source unknown")
		j.add(r, e, raw, fmt.Sprintf("RDP %s of %s, logon ID %s", what, user, hexID(id)), "end", "outcome", "local_user", "auth_method")
	case !r.closed && r.logons[id]:
		r.close(e.Time)
		j.add(r, e, raw, fmt.Sprintf("RDP %s of %s, logon ID %s", what, user, hexID(id)), "end")
	case !r.logons[id] && !r.closed:
		j.add(r, e, raw, fmt.Sprintf("%s of logon %s, replaced by the reconnected logon session", what, hexID(id)))
	default:
		j.add(r, e, raw, fmt.Sprintf("%s of %s, logon ID %s, after the connection ended", what, user, hexID(id)))
	}
}

func (j *joiner) rcmAuth(e *event) {
	user := joinUser(e.get("Param2"), e.get("Param1"))
	ip, _, _ := parseAddr(e.get("Param3"))
	r := j.findMerge(e.Computer, ip, bareUser(user), e.Time, func(r *rec) bool { return !r.hasRCM })
	if r == nil {
		r = j.newRDP(e, session.Established)
	}
	j.establish(r, e.Time)
	r.hasRCM = true
	r.setUser(user)
	j.setIP(r, ip, 0)
	j.add(r, e, e.raw(), fmt.Sprintf("RDP user authentication succeeded (RCM 1149) for %s from %s", user, e.get("Param3")),
		"start", "outcome", "local_user", "remote_ip")
}

func (j *joiner) lsmLogon(e *event) {
	sid := e.get("SessionID")
	user := e.get("User")
	ip, _, _ := parseAddr(e.get("Address"))
	what := map[uint32]string{21: "session logon succeeded", 22: "shell start notification", 25: "session reconnection succeeded"}[e.ID]
	summary := fmt.Sprintf("RDP %s (LSM %d): session %s, %s from %s", what, e.ID, sid, user, ip)
	k := lsmKey(e.Computer, sid)
	if r := j.byLSM[k]; r != nil && !r.closed {
		if e.ID != 21 || e.Time.Sub(r.last) <= mergeWindow {
			r.setUser(user)
			j.setIP(r, ip, 0)
			j.add(r, e, e.raw(), summary, "local_user", "remote_ip")
			return
		}
		r.closed = true // a new logon on this session id: the old one ended unseen
	}
	r := j.findMerge(e.Computer, ip, bareUser(user), e.Time, func(r *rec) bool { return !r.hasLSM })
	if r == nil {
		r = j.newRDP(e, session.Established)
	}
	j.establish(r, e.Time)
	r.hasLSM = true
	r.lsm = sid
	j.byLSM[k] = r
	r.setUser(user)
	j.setIP(r, ip, 0)
	j.add(r, e, e.raw(), summary, "start", "outcome", "local_user", "remote_ip")
}

func (j *joiner) lsmDisconnect(e *event) {
	sid := e.get("SessionID")
	user := e.get("User")
	ip, _, _ := parseAddr(e.get("Address"))
	summary := fmt.Sprintf("RDP session %s disconnected (LSM 24): %s from %s", sid, user, ip)
	k := lsmKey(e.Computer, sid)
	r := j.byLSM[k]
	switch {
	case r != nil && !r.closed:
		r.close(e.Time)
		j.add(r, e, e.raw(), summary, "end")
	case r != nil && !r.end.IsZero() && e.Time.Sub(r.end) <= lateWindow:
		j.add(r, e, e.raw(), summary)
	default:
		r = j.newRDP(e, session.Established)
		r.close(e.Time)
		r.hasLSM = true
		r.lsm = sid
		j.byLSM[k] = r
		r.setUser(user)
		j.setIP(r, ip, 0)
		r.note("session logon/reconnect event not in this log: start unknown")
		j.add(r, e, e.raw(), summary, "end", "outcome", "local_user", "remote_ip")
	}
}

func (j *joiner) lsmLogoff(e *event) {
	sid := e.get("SessionID")
	summary := fmt.Sprintf("RDP session %s logoff (LSM 23): %s", sid, e.get("User"))
	r := j.byLSM[lsmKey(e.Computer, sid)]
	switch {
	case r == nil:
		// console or unknown session
	case !r.closed:
		r.close(e.Time)
		j.add(r, e, e.raw(), summary, "end")
	case !r.end.IsZero() && e.Time.Sub(r.end) <= lateWindow:
		j.add(r, e, e.raw(), summary)
	}
}

func (j *joiner) rdpTransport(e *event) {
	ip, port, _ := parseAddr(e.get("ClientIP"))
	conn := e.get("ConnType")
	summary := fmt.Sprintf("RDP server accepted a %s connection from %s (RdpCoreTS 131)", conn, e.get("ClientIP"))
	if strings.EqualFold(conn, "UDP") && ip != "" {
		l := j.byIP[ipKey(e.Computer, ip)]
		if n := len(l); n > 0 {
			if r := l[n-1]; e.Time.Sub(r.last) <= udpWindow && e.Time.Sub(r.last) >= -udpWindow {
				j.add(r, e, e.raw(), summary)
				return
			}
		}
	}
	r := j.newRDP(e, session.AttemptOnly)
	r.attempt = true
	r.transport = true
	r.start(e.Time)
	j.setIP(r, ip, port)
	fields := []string{"start", "outcome", "remote_ip"}
	if port != 0 {
		fields = append(fields, "remote_port")
	}
	j.add(r, e, e.raw(), summary, fields...)
}

// rdpClientZone: RdpCoreTS 104, the time zone an RDP client sent in its
// Client Info (TimezoneBiasHour): a client connected that far. It belongs to
// the connection accepted (131) just before on the same host; alone it is a
// connection with no address and no authentication result.
func (j *joiner) rdpClientZone(e *event) {
	summary := fmt.Sprintf("RDP client reported its time zone, bias %s h (RdpCoreTS 104)", strings.Trim(e.get("TimezoneBiasHour"), "[]"))
	for i := len(j.recs) - 1; i >= 0; i-- {
		r := j.recs[i]
		if r.transport && !r.zone && strings.EqualFold(r.computer, e.Computer) && e.Time.Sub(r.last) >= 0 && e.Time.Sub(r.last) <= udpWindow {
			r.zone = true
			j.add(r, e, e.raw(), summary)
			return
		}
	}
	r := j.newRDP(e, session.AttemptOnly)
	r.attempt, r.transport, r.zone = true, true, true
	r.start(e.Time)
	j.add(r, e, e.raw(), summary, "start", "outcome")
}

// attachListeners gives each RCM 261 to the session that starts at most
// listenerWindow after it on the same host; the others become attempt_only
// records (consecutive ones less than listenerWindow apart grouped).
func (j *joiner) attachListeners() {
	if len(j.listeners) == 0 {
		return
	}
	starts := map[string][]*rec{}
	for _, r := range j.recs {
		if r.r.Tool == ToolRDP && r.r.Start != nil {
			h := strings.ToLower(r.computer)
			starts[h] = append(starts[h], r)
		}
	}
	for _, l := range starts {
		sort.SliceStable(l, func(a, b int) bool { return l[a].r.Start.Before(*l[b].r.Start) })
	}
	group := map[string]*rec{}
	for _, e := range j.listeners {
		h := strings.ToLower(e.Computer)
		summary := "RDP listener " + e.get("listenerName") + " received a connection (RCM 261)"
		if !e.Time.IsZero() {
			l := starts[h]
			i := sort.Search(len(l), func(i int) bool { return !l[i].r.Start.Before(e.Time) })
			if i < len(l) && l[i].r.Start.Sub(e.Time) <= listenerWindow {
				j.add(l[i], e, e.raw(), summary)
				continue
			}
		}
		g := group[h]
		if g == nil || e.Time.IsZero() || e.Time.Sub(g.last) > listenerWindow {
			g = j.newRDP(e, session.AttemptOnly)
			g.attempt = true
			g.start(e.Time)
			g.note("RCM 261 gives no source address and no authentication followed within " + listenerWindow.String())
			group[h] = g
		}
		g.count++
		fields := []string{"outcome"}
		if g.count == 1 {
			fields = append(fields, "start")
		}
		j.add(g, e, e.raw(), summary, fields...)
	}
}
