// Package teamviewer reads TeamViewer's own text logs: TeamViewer<NN>_Logfile.log
// (and _OLD), Connections_incoming.txt and Connections.txt.
//
// Formats: /work/shared/research/session-artifacts.md §2 (real TV15 log and
// Connections files from plaso in shared/samples/teamviewer).
package teamviewer

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

const tool = "teamviewer"

// Parsers returns the TeamViewer parsers.
func Parsers() []sessionlog.Parser {
	return []sessionlog.Parser{Log{}, ConnectionsIncoming{}, Connections{}}
}

// Log parses TeamViewer<NN>_Logfile.log and TeamViewer<NN>_Logfile_OLD.log.
//
//	2024/02/16 06:16:32.444  2216       2492 S0   CommandHandlerRouting[2]::CreatePassiveSession(): incoming session via …
//
// Times are local: the header block written at every service start
// ("Start:              2024/02/16 06:05:19.548 (UTC-8:00)") gives the
// offset of all following lines; lines before the first header take the
// first header's offset. A file without any header (a log rotated away from
// its header) uses Input.Location, else UTC, and TimeRule says which.
//
// Incoming session: "incoming session via <router>" starts it; "client hello
// received from <ID>" / "AuthenticationBlocker::Allocate … DyngateID <ID>"
// name the partner; "authentication using <kind> password was successful"
// (or AuthenticationPublicKey_Passive::Verify: Success) and
// "AddParticipant: [<ID>,…] type=6 name=<name>" prove it was established;
// "punch received a=<ip:port>" gives the partner's IP; StreamType_File,
// FileManager and CopyFilesOperationIncoming lines are file transfers;
// "Session to <ID> ended" ends it. A log that starts in the middle of a
// session (rotation) yields a start-less record that session.Join attaches
// to the open record of the _OLD file.
type Log struct{}

func (Log) Name() string { return "teamviewer-log" }
func (Log) Tool() string { return tool }

// Sniff: a TeamViewer line or header at the start.
func (Log) Sniff(head []byte, name string) bool {
	for _, l := range bytes.SplitN(head, []byte{'\n'}, 4) {
		l = bytes.TrimRight(l, "\r")
		if bytes.HasPrefix(l, []byte("Start:")) {
			return true
		}
		if _, ok := parseTS(l); ok && len(l) > 24 {
			return true
		}
	}
	return false
}

// parseTS reads "YYYY/MM/DD HH:MM:SS.mmm" as a naive (UTC-labelled) time.
func parseTS(b []byte) (time.Time, bool) {
	if len(b) < 23 || b[4] != '/' || b[7] != '/' || b[10] != ' ' || b[13] != ':' || b[16] != ':' || b[19] != '.' {
		return time.Time{}, false
	}
	var v [7]int
	pos := [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 23}}
	for i, p := range pos {
		n := 0
		for _, c := range b[p[0]:p[1]] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n = n*10 + int(c-'0')
		}
		v[i] = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return time.Time{}, false
	}
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*1e6, time.UTC), true
}

// parseOffset reads "(UTC-8:00)", "(UTC+5:30)", "(UTC+01:00)", "(UTC)".
func parseOffset(b []byte) (int, bool) {
	i := bytes.Index(b, []byte("(UTC"))
	if i < 0 {
		return 0, false
	}
	s := b[i+4:]
	j := bytes.IndexByte(s, ')')
	if j < 0 {
		return 0, false
	}
	s = s[:j]
	if len(s) == 0 {
		return 0, true
	}
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	s = s[1:]
	hm := strings.SplitN(string(s), ":", 2)
	h, err := strconv.Atoi(hm[0])
	if err != nil || h > 14 || h < 0 {
		return 0, false
	}
	m := 0
	if len(hm) == 2 {
		if m, err = strconv.Atoi(hm[1]); err != nil || m < 0 || m > 59 {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

type tvRec struct {
	r           session.Record // times naive (local) until finish
	off         int            // UTC offset in seconds
	offKnown    bool
	tvsid       string
	ended       bool
	closed      bool // no more lines attach (ended, or service restarted)
	fragment    bool // began before this file
	established bool
	failed      bool
	fileStreams int
	firstStream *time.Time
	firstLine   int
	copyIn      bool
	marker      bool // fragment has a substantial session marker
	dirHint     session.Direction
}

type logState struct {
	in       *sessionlog.Input
	name     string
	recs     []*tvRec
	off      int
	offKnown bool
	firstOff *int
	hint     struct {
		dir         session.Direction
		established bool
		line        int
	}
	res sessionlog.Result
}

func (Log) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := Log{}
	if in.R == nil {
		return sessionlog.Result{}, fmt.Errorf("%s: no input", p.Name())
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return sessionlog.Result{}, fmt.Errorf("%s: %s: %w", p.Name(), in.Path, err)
	}
	st := &logState{in: &in, name: p.Name()}
	var minTS, maxTS []byte
	var minBuf, maxBuf [23]byte
	tvLines := 0
	for rd.Next() {
		l := rd.Bytes()
		if rd.Truncated() {
			st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "line longer than 1 MiB, cut"})
		}
		if len(l) < 24 || l[4] != '/' {
			if bytes.HasPrefix(l, []byte("Start:")) {
				st.header(rd.N(), rd.Offset(), l)
				tvLines++
			}
			continue
		}
		t, ok := parseTS(l)
		if !ok {
			continue
		}
		tvLines++
		ts := l[:23]
		if minTS == nil || bytes.Compare(ts, minTS) < 0 {
			minTS = append(minBuf[:0], ts...)
		}
		if maxTS == nil || bytes.Compare(ts, maxTS) > 0 {
			maxTS = append(maxBuf[:0], ts...)
		}
		// Skip pid, tid, tag; the rest is the message.
		rest := l[23:]
		var f [3][]byte
		k := 0
		i := 0
		for k < 3 {
			for i < len(rest) && rest[i] == ' ' {
				i++
			}
			j := i
			for j < len(rest) && rest[j] != ' ' {
				j++
			}
			if j == i {
				break
			}
			f[k] = rest[i:j]
			k++
			i = j
		}
		if k < 3 {
			continue
		}
		for i < len(rest) && rest[i] == ' ' {
			i++
		}
		st.line(rd.N(), rd.Offset(), l, t, f[2], rest[i:])
	}
	st.res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if st.res.Lines > 0 && tvLines == 0 {
		return st.res, fmt.Errorf("%s: %s: no line in the TeamViewer log layout", p.Name(), in.Path)
	}
	conv, _ := st.converter()
	for _, x := range [][]byte{minTS, maxTS} {
		if t, ok := parseTS(x); ok {
			u := conv(t, st.firstOffOr(), st.firstOff != nil)
			if st.res.FirstTime == nil || u.Before(*st.res.FirstTime) {
				st.res.FirstTime = session.T(u)
			}
			if st.res.LastTime == nil || u.After(*st.res.LastTime) {
				st.res.LastTime = session.T(u)
			}
		}
	}
	for _, a := range st.recs {
		if a.fragment && !a.marker {
			continue
		}
		st.res.Sessions = append(st.res.Sessions, st.finish(a))
	}
	return st.res, nil
}

func (st *logState) firstOffOr() int {
	if st.firstOff != nil {
		return *st.firstOff
	}
	return 0
}

// converter returns the local→UTC conversion for records without a header
// offset of their own, and its TimeRule.
func (st *logState) converter() (func(t time.Time, off int, known bool) time.Time, string) {
	return func(t time.Time, off int, known bool) time.Time {
			if known {
				return t.Add(-time.Duration(off) * time.Second)
			}
			if st.in.Location != nil {
				return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), st.in.Location).UTC()
			}
			return t
		}, func() string {
			if st.in.Location != nil {
				return "local time converted to UTC with the scan's zone " + st.in.Location.String() + " (no Start: header in this file)"
			}
			return "no Start: header and no zone given: local time taken as UTC (may be off by the zone offset)"
		}()
}

func fmtOffset(off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, off/3600, off%3600/60)
}

func (st *logState) header(n int, offset int64, l []byte) {
	off, ok := parseOffset(l)
	if !ok {
		st.res.Errors = append(st.res.Errors, sessionlog.ParseError{Line: n, Offset: offset, Msg: "Start: header without a readable (UTC±h) offset"})
		return
	}
	st.off, st.offKnown = off, true
	if st.firstOff == nil {
		st.firstOff = &off
		// Lines before the first header belong to the same process start.
		for _, a := range st.recs {
			if !a.offKnown {
				a.off, a.offKnown = off, true
				a.r.Notes = append(a.r.Notes, "time zone taken from the Start: header that follows")
			}
		}
	}
	for _, a := range st.recs {
		if !a.closed {
			a.closed = true
			a.r.Notes = append(a.r.Notes, fmt.Sprintf("TeamViewer service restarted (line %d) before the session end was logged", n))
		}
	}
	st.hint.dir = ""
}

func (st *logState) finish(a *tvRec) session.Record {
	r := a.r
	conv, rule := st.converter()
	if a.offKnown {
		rule = "local time converted to UTC with the log's Start: header offset (" + fmtOffset(a.off) + ")"
	}
	c := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		return session.T(conv(*t, a.off, a.offKnown))
	}
	r.TimeRule = rule
	r.Start, r.End = c(r.Start), c(r.End)
	for i := range r.Transfers {
		r.Transfers[i].Time = c(r.Transfers[i].Time)
	}
	for i := range r.Clipboard {
		r.Clipboard[i].Time = c(r.Clipboard[i].Time)
	}
	for i := range r.Evidence {
		r.Evidence[i].Time = c(r.Evidence[i].Time)
	}
	switch {
	case a.established:
		r.Outcome = session.Established
	case a.failed:
		r.Outcome = session.FailedAuth
	default:
		r.Outcome = session.AttemptOnly
	}
	if len(r.Transfers) == 0 && a.fileStreams > 0 {
		dir := "unknown"
		if a.copyIn {
			dir = "to_host"
		}
		r.Transfers = append(r.Transfers, session.Transfer{Time: c(a.firstStream), Direction: dir, Line: a.firstLine})
		r.Notes = append(r.Notes, fmt.Sprintf("%d file-transfer stream(s) opened; file names not logged", a.fileStreams))
	}
	if a.fragment {
		r.Notes = append(r.Notes, "session began before this log file starts (rotated log: see the _OLD file)")
		if r.Direction == session.DirectionUnknown {
			r.Notes = append(r.Notes, "direction unknown: no incoming-only line (desktop process D1, outgoing=0) for this session in this file")
		}
	}
	r.Key = key(r.Direction, r.RemoteID, r.RemoteIP)
	r.Finish()
	return r
}

func key(dir session.Direction, id, ip string) string {
	peer := strings.ReplaceAll(id, " ", "")
	if peer == "" {
		peer = ip
	}
	if peer == "" {
		return ""
	}
	return tool + "|" + string(dir) + "|" + peer
}

func (st *logState) add(a *tvRec, n int, off int64, l []byte, t time.Time, summary string, fields ...string) {
	a.r.Evidence = append(a.r.Evidence, evidence.Evidence{
		Kind: evidence.KindLogLine, Scanner: st.name, Summary: summary, Path: st.in.Path,
		Line: n, Offset: off, Raw: evidence.Clip(string(l)), Fields: fields, Time: session.T(t),
	})
}

// open returns the newest record still taking lines, optionally for a
// partner ID (a record without an ID also matches).
func (st *logState) open(id string) *tvRec {
	var anyOpen *tvRec
	for i := len(st.recs) - 1; i >= 0; i-- {
		a := st.recs[i]
		if a.closed {
			continue
		}
		if id == "" || a.r.RemoteID == id {
			return a
		}
		if a.r.RemoteID == "" && anyOpen == nil {
			anyOpen = a
		}
	}
	return anyOpen
}

// current returns the open record for a session line, or a fragment record
// when the log starts inside a session.
func (st *logState) current(id string, t time.Time) *tvRec {
	if a := st.open(id); a != nil {
		return a
	}
	a := &tvRec{fragment: true, off: st.off, offKnown: st.offKnown}
	a.r = session.Record{Tool: tool, Parser: st.name, Direction: session.DirectionUnknown, RemoteID: id}
	st.recs = append(st.recs, a)
	return a
}

var (
	kIncomingVia   = []byte("incoming session via ")
	kHello         = []byte("client hello received from ")
	kAllocate      = []byte("AuthenticationBlocker::Allocate: allocate ok for DyngateID ")
	kConnIncoming  = []byte("Connection incoming, sessionID = ")
	kAuthUsing     = []byte("authentication using ")
	kPubKeyOK      = []byte("AuthenticationPublicKey_Passive::Verify: Success")
	kSecretBad     = []byte("clientSecret!=serverSecret")
	kAuthSrvFailed = []byte("AuthenticateServer failed")
	kAddPart       = []byte("AddParticipant: [")
	kRemovePart    = []byte("RemoveParticipant: [")
	kPunch         = []byte("punch received a=")
	kStreamType    = []byte("(StreamType_")
	kCreateDir     = []byte("FileManager::CreateRecursiveDirectory")
	kCopyIn        = []byte("CopyFilesOperationIncoming")
	kWriteFile     = []byte("Write file ")
	kSendFile      = []byte("Send file ")
	kDownloadFrom  = []byte("Download from ")
	kSessionTo     = []byte("Session to ")
	kEnded         = []byte(" ended")
	kTerminate     = []byte("SessionTerminate: removing session")
	kSponsored     = []byte("ShowSponsoredSessionDialog:")
)

// triggers are every keyword line() reacts to. anyTrigger finds them in one
// pass: a 64 Ki bit table of their first two bytes, then a prefix compare at
// the (few) positions whose byte pair matches. No allocation.
var triggers = [][]byte{kIncomingVia, kHello, kAllocate, kConnIncoming, kAuthUsing, kPubKeyOK, kSecretBad,
	kAuthSrvFailed, kAddPart, kRemovePart, kPunch, kStreamType, kCreateDir, kCopyIn, kWriteFile, kSendFile,
	kDownloadFrom, kSessionTo, kTerminate, kSponsored}

var (
	pairBits  [1 << 16 / 64]uint64
	pairTrigs = map[uint16][][]byte{}
	pairList  [1 << 16]uint8 // 1 + index in pairGroups
	pairGroup [][][]byte
)

func init() {
	for _, t := range triggers {
		p := uint16(t[0])<<8 | uint16(t[1])
		pairBits[p>>6] |= 1 << (p & 63)
		pairTrigs[p] = append(pairTrigs[p], t)
	}
	for p, ts := range pairTrigs {
		pairGroup = append(pairGroup, ts)
		pairList[p] = uint8(len(pairGroup))
	}
}

func anyTrigger(msg []byte) bool {
	if len(msg) < 2 {
		return false
	}
	p := uint16(msg[0])
	for i := 1; i < len(msg); i++ {
		p = p<<8 | uint16(msg[i])
		if pairBits[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, t := range pairGroup[pairList[p]-1] {
			if bytes.HasPrefix(msg[i-1:], t) {
				return true
			}
		}
	}
	return false
}

// line handles one log line; msg is the text after the process tag.
func (st *logState) line(n int, off int64, l []byte, t time.Time, tag, msg []byte) {
	if !anyTrigger(msg) {
		return
	}
	switch {
	case bytes.Contains(msg, kIncomingVia):
		a := &tvRec{off: st.off, offKnown: st.offKnown, firstLine: n}
		a.r = session.Record{Tool: tool, Parser: st.name, Direction: session.Incoming, Start: session.T(t)}
		router := strings.TrimSpace(string(upto(msg[bytes.Index(msg, kIncomingVia)+len(kIncomingVia):], ",")))
		if router != "" {
			a.r.Notes = append(a.r.Notes, "incoming via "+router)
		}
		st.recs = append(st.recs, a)
		st.add(a, n, off, l, t, "incoming session via "+router, "start", "direction")
	case bytes.Contains(msg, kHello):
		id := digits(msg[bytes.Index(msg, kHello)+len(kHello):])
		if a := st.open(""); a != nil && !a.fragment && id != "" {
			if a.r.RemoteID == "" {
				a.r.RemoteID = id
			}
			if a.r.RemoteID == id && !hasLine(a, n) {
				st.add(a, n, off, l, t, "encryption handshake with "+id, "remote_id")
			}
		}
	case bytes.Contains(msg, kAllocate):
		id := digits(msg[bytes.Index(msg, kAllocate)+len(kAllocate):])
		if a := st.open(id); a != nil && !a.fragment && id != "" {
			if a.r.RemoteID == "" {
				a.r.RemoteID = id
			}
			st.add(a, n, off, l, t, "authentication attempt by "+id, "remote_id")
		}
	case bytes.Contains(msg, kConnIncoming):
		sid := digitsSigned(msg[bytes.Index(msg, kConnIncoming)+len(kConnIncoming):])
		if a := st.open(""); a != nil && !a.fragment && (a.tvsid == "" || a.tvsid == sid) {
			a.tvsid = sid
			st.add(a, n, off, l, t, "TeamViewer session id "+sid, "direction")
		}
	case bytes.Contains(msg, kAuthUsing) || bytes.Contains(msg, kPubKeyOK) || bytes.Contains(msg, kSecretBad) || bytes.Contains(msg, kAuthSrvFailed):
		a := st.open("")
		if a == nil || a.fragment {
			return
		}
		switch {
		case bytes.Contains(msg, kAuthUsing) && bytes.Contains(msg, []byte("was successful")):
			a.established = true
			kind := string(bytes.TrimSpace(upto(msg[bytes.Index(msg, kAuthUsing)+len(kAuthUsing):], " was ")))
			a.r.AuthMethod = kind
			st.add(a, n, off, l, t, "authentication using "+kind+" was successful", "auth_method", "outcome")
		case bytes.Contains(msg, kPubKeyOK):
			a.established = true
			a.r.AuthMethod = "public key (TeamViewer account / Easy Access)"
			st.add(a, n, off, l, t, "public-key authentication succeeded", "auth_method", "outcome")
		case bytes.Contains(msg, []byte("was denied")) || bytes.Contains(msg, kSecretBad) || bytes.Contains(msg, kAuthSrvFailed):
			a.failed = true
			a.r.Notes = append(a.r.Notes, "failed authentication: "+strings.TrimSpace(string(msg)))
			st.add(a, n, off, l, t, "authentication failed", "outcome")
		}
	case bytes.Contains(msg, kAddPart):
		rest := msg[bytes.Index(msg, kAddPart)+len(kAddPart):]
		if !bytes.Contains(rest, []byte("type=6")) {
			return
		}
		id := digits(rest)
		a := st.current(id, t)
		a.established, a.marker = true, true
		if a.r.RemoteID == "" {
			a.r.RemoteID = id
		}
		if k := bytes.Index(rest, []byte("name=")); k >= 0 {
			a.r.RemoteName = strings.TrimSpace(string(rest[k+5:]))
		}
		st.add(a, n, off, l, t, "remote participant "+id+" joined", "remote_id", "remote_name", "outcome")
	case bytes.Contains(msg, kPunch):
		addr := string(upto(msg[bytes.Index(msg, kPunch)+len(kPunch):], " "))
		addr = strings.TrimSuffix(addr, ":")
		ip, port := splitAddr(addr)
		if ip == "" || ip == "*" {
			return
		}
		if a := st.open(""); a != nil {
			if a.r.RemoteIP == "" {
				a.r.RemoteIP, a.r.RemotePort = ip, port
			}
			st.add(a, n, off, l, t, "UDP punch from "+addr, "remote_ip", "remote_port")
		}
	case bytes.Contains(msg, kStreamType):
		st.stream(n, off, l, t, msg)
	case bytes.Contains(msg, kCreateDir):
		// FileManager::CreateRecursiveDirectory: … create_directories: Access is denied [system:5]: "cert-bundle.crt\", "cert-bundle.crt", …
		name := ""
		if k := bytes.LastIndex(msg, []byte(`", "`)); k >= 0 {
			name = string(upto(msg[k+4:], `"`))
		}
		a := st.current("", t)
		a.marker = true
		a.r.Transfers = append(a.r.Transfers, session.Transfer{Time: session.T(t), Direction: "to_host", Name: name, Line: n, Failed: true})
		reason := "error"
		if bytes.Contains(msg, []byte("Access is denied")) {
			reason = "Access is denied"
		}
		a.r.Notes = append(a.r.Notes, fmt.Sprintf("incoming file %q could not be written here (%s)", name, reason))
		st.add(a, n, off, l, t, "incoming file "+name+" (write failed)", "transfers")
	case bytes.Contains(msg, kCopyIn):
		a := st.current("", t)
		a.marker, a.copyIn = true, true
		st.add(a, n, off, l, t, "incoming file copy operation", "transfers")
	case bytes.Contains(msg, kWriteFile), bytes.Contains(msg, kSendFile), bytes.Contains(msg, kDownloadFrom):
		// TV12/13 wording (Ruler-Project greps; no sample here).
		dir, k := "to_host", kWriteFile
		switch {
		case bytes.Contains(msg, kSendFile):
			dir, k = "from_host", kSendFile
		case bytes.Contains(msg, kDownloadFrom):
			dir, k = "unknown", kDownloadFrom
		}
		name := strings.Trim(strings.TrimSpace(string(msg[bytes.Index(msg, k)+len(k):])), `"'`)
		a := st.current("", t)
		a.marker = true
		a.r.Transfers = append(a.r.Transfers, session.Transfer{Time: session.T(t), Direction: dir, Name: name, Line: n})
		st.add(a, n, off, l, t, strings.TrimSpace(string(msg)), "transfers")
	case bytes.Contains(msg, kSponsored):
		// "… outgoing=0, established=1" right before the end of a session.
		st.hint.line = n
		st.hint.dir = ""
		if bytes.Contains(msg, []byte("outgoing=0")) {
			st.hint.dir = session.Incoming
		} else if bytes.Contains(msg, []byte("outgoing=1")) {
			st.hint.dir = session.Outgoing
		}
		st.hint.established = bytes.Contains(msg, []byte("established=1"))
	case bytes.Contains(msg, kSessionTo) && bytes.Contains(msg, kEnded):
		rest := msg[bytes.Index(msg, kSessionTo)+len(kSessionTo):]
		id := digits(rest)
		a := st.open(id)
		if a == nil || (a.r.RemoteID != "" && id != "" && a.r.RemoteID != id) {
			if st.hint.dir == session.Outgoing {
				return // an outgoing session's end: not reconstructed from this log
			}
			a = st.current(id, t)
		}
		if a.r.RemoteID == "" {
			a.r.RemoteID = id
		}
		if a.fragment {
			a.marker = true
			if st.hint.line > 0 && n-st.hint.line < 5 {
				if st.hint.dir != "" {
					a.r.Direction = st.hint.dir
				}
				if st.hint.established {
					a.established = true
				}
			}
		}
		a.r.End, a.ended, a.closed = session.T(t), true, true
		st.add(a, n, off, l, t, "session to "+id+" ended", "end")
	case bytes.Contains(msg, kTerminate):
		sid := ""
		if k := bytes.Index(msg, []byte("TVSessionID = ")); k >= 0 {
			sid = digitsSigned(msg[k+14:])
		}
		// Runs after "Session to … ended": find the record by session id.
		for i := len(st.recs) - 1; i >= 0; i-- {
			a := st.recs[i]
			if a.tvsid == sid && sid != "" || a.fragment && a.tvsid == "" && a.ended && a.r.End != nil && t.Sub(*a.r.End) < time.Second {
				if a.fragment && string(tag) != "" && tag[0] == 'D' {
					a.r.Direction = session.Incoming // the desktop process runs only for incoming sessions
					a.tvsid = sid
				}
				if a.r.End == nil {
					a.r.End = session.T(t)
				}
				a.ended, a.closed = true, true
				st.add(a, n, off, l, t, "desktop session "+sid+" terminated", "end")
				return
			}
		}
	case bytes.Contains(msg, kRemovePart):
		id := digits(msg[bytes.Index(msg, kRemovePart)+len(kRemovePart):])
		if a := st.open(id); a != nil && a.r.RemoteID == id && id != "" {
			st.add(a, n, off, l, t, "remote participant "+id+" left", "end")
		}
	}
}

func (st *logState) stream(n int, off int64, l []byte, t time.Time, msg []byte) {
	isFile := bytes.Contains(msg, []byte("(StreamType_File"))
	isClip := bytes.Contains(msg, []byte("(StreamType_Clipboard"))
	if !isFile && !isClip {
		return
	}
	src := ""
	if k := bytes.Index(msg, []byte("source=[")); k >= 0 {
		src = digits(msg[k+8:])
	}
	a := st.open("")
	if a == nil {
		return
	}
	from := "this PC"
	if src != "" && src == a.r.RemoteID {
		from = "the remote side"
	}
	if isFile {
		a.fileStreams++
		if a.firstStream == nil {
			a.firstStream, a.firstLine = session.T(t), n
		}
		st.add(a, n, off, l, t, "file-transfer stream opened by "+from, "transfers")
		return
	}
	a.r.Clipboard = append(a.r.Clipboard, session.Event{Time: session.T(t), What: "clipboard stream opened by " + from, Line: n})
	st.add(a, n, off, l, t, "clipboard stream opened by "+from, "clipboard")
}

func hasLine(a *tvRec, n int) bool {
	for _, e := range a.r.Evidence {
		if e.Line == n {
			return true
		}
	}
	return false
}

func upto(b []byte, stop string) []byte {
	if i := bytes.Index(b, []byte(stop)); i >= 0 {
		return b[:i]
	}
	return b
}

func digits(b []byte) string {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return string(b[:i])
}

func digitsSigned(b []byte) string {
	if len(b) > 0 && b[0] == '-' {
		if d := digits(b[1:]); d != "" {
			return "-" + d
		}
		return ""
	}
	return digits(b)
}

func splitAddr(s string) (string, uint32) {
	if strings.HasPrefix(s, "[") {
		if k := strings.Index(s, "]:"); k > 0 {
			p, _ := strconv.ParseUint(s[k+2:], 10, 16)
			return s[1:k], uint32(p)
		}
		return strings.Trim(s, "[]"), 0
	}
	k := strings.LastIndexByte(s, ':')
	if k < 0 || strings.Count(s, ":") > 1 {
		return s, 0
	}
	p, _ := strconv.ParseUint(s[k+1:], 10, 16)
	return s[:k], uint32(p)
}
