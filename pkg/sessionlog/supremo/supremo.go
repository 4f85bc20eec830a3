// Package supremo reads Supremo's own logs in
// %ProgramData%\SupremoRemoteDesktop\Log\ (session-artifacts.md §10):
//
//	Supremo.00.Incoming.log      incoming connections, the remote host name ("[Incoming]")
//	Supremo.00.Client.log        "Connected with ID <id>"
//	Supremo.00.ReportsQueue.log  session start / end ("Supremo Closed")
//	Supremo.00.FileTransfer.log  "[File Transfer]" "Received file …" / "Sent file …"
//
// The layout is second-hand (Ruler / JPCERT JSAC2023, KAPE): no sample
// exists. What is documented is the timestamp "YYYY-MM-DD HH:MM:SS:SSS"
// (local time: converted with Input.Location) and the grep markers above.
// The parser is tolerant: it finds the timestamp near the start of the line,
// then the markers anywhere in the rest, and takes IDs (a run of 6–12
// digits) and host names from the text around them. Assumed, not
// documented: "[Incoming]" lines are established incoming connections (it is
// a connection log); "Connected with ID" lines are connections of unknown
// direction unless the line or file says Incoming/Outgoing; "Supremo Closed"
// ends every open session of the file (the program closed); "session
// started/ended" lines of ReportsQueue.log start and end one; a received
// file went to this PC, a sent file left it.
package supremo

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

const (
	tool        = "supremo"
	name        = "supremo"
	maxEvidence = 200
	xferGap     = time.Hour
	layoutNote  = "Supremo log layout from second-hand documentation (Ruler/JPCERT, KAPE); no sample verified"
)

// Parser is the "supremo" parser.
type Parser struct{}

func New() Parser { return Parser{} }

func (Parser) Name() string { return name }
func (Parser) Tool() string { return tool }

// Sniff: a Supremo timestamp and one of the documented markers in the head.
func (Parser) Sniff(head []byte, _ string) bool {
	head = logkit.TextHead(head)
	for len(head) > 0 {
		var l []byte
		l, head, _ = bytes.Cut(head, []byte{'\n'})
		if _, k, ok := stamp(l); ok && documented(l[k:]) {
			return true
		}
	}
	return false
}

// stamp finds "YYYY-MM-DD HH:MM:SS:SSS" (also with '.' or ',' before the
// milliseconds, or none) in the first 40 bytes; k is the index after it.
type ts struct{ y, mo, d, h, mi, s, ms int }

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func stamp(l []byte) (ts, int, bool) {
	for i := 0; i+19 <= len(l) && i <= 40; i++ {
		if l[i] < '0' || l[i] > '9' {
			continue
		}
		b := l[i:]
		if b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
			continue
		}
		var t ts
		var ok [6]bool
		t.y, ok[0] = num(b[0:4])
		t.mo, ok[1] = num(b[5:7])
		t.d, ok[2] = num(b[8:10])
		t.h, ok[3] = num(b[11:13])
		t.mi, ok[4] = num(b[14:16])
		t.s, ok[5] = num(b[17:19])
		if ok != [6]bool{true, true, true, true, true, true} || t.mo < 1 || t.mo > 12 || t.d < 1 || t.d > 31 || t.h > 23 || t.mi > 59 || t.s > 60 {
			continue
		}
		k := i + 19
		if len(b) >= 23 && (b[19] == ':' || b[19] == '.' || b[19] == ',') {
			if ms, okm := num(b[20:23]); okm {
				t.ms, k = ms, i+23
			}
		}
		return t, k, true
	}
	return ts{}, 0, false
}

func (t ts) in(loc *time.Location) time.Time {
	return time.Date(t.y, time.Month(t.mo), t.d, t.h, t.mi, t.s, t.ms*1e6, loc).UTC()
}

type mark int

const (
	mNone mark = iota
	mIncoming
	mConnected
	mClosed
	mStart
	mEnd
	mRecv
	mSent
)

var (
	kIncoming  = []byte("[Incoming]")
	kConnected = []byte("Connected with ID")
	kClosed    = []byte("Supremo Closed")
	kFT        = []byte("[File Transfer]")
	kRecv      = []byte("Received file")
	kSent      = []byte("Sent file")
	startRE    = regexp.MustCompile(`(?i)\bsession\s+(?:started|start|begin|opened)\b`)
	endRE      = regexp.MustCompile(`(?i)\bsession\s+(?:ended|end|closed|stopped|terminated)\b`)
	idRE       = regexp.MustCompile(`(?:^|[^0-9])([0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{3}|[0-9]{6,12})(?:[^0-9]|$)`)
	hostRE     = regexp.MustCompile(`(?i)\b(?:from|host\s*name|host|computer(?:\s*name)?|pc(?:\s*name)?|name)\s*[:=]?\s*["']?([^\s"',;|()\[\]]+)`)
	sizeRE     = regexp.MustCompile(`(?i)\(?\s*(?:size\s*[:=]?\s*)?([0-9]+)\s*bytes\s*\)?`)
)

// documented: one of the documented greps (Sniff uses these only, not the
// assumed "session started/ended" wording).
func documented(m []byte) bool {
	for _, k := range [][]byte{kIncoming, kConnected, kClosed, kFT, kRecv, kSent} {
		if bytes.Contains(m, k) {
			return true
		}
	}
	return false
}

func marker(m []byte) mark {
	switch {
	case bytes.Contains(m, kRecv):
		return mRecv
	case bytes.Contains(m, kSent):
		return mSent
	case bytes.Contains(m, kClosed):
		return mClosed
	case bytes.Contains(m, kConnected):
		return mConnected
	case bytes.Contains(m, kIncoming):
		return mIncoming
	case bytes.Contains(m, []byte("ession")) && startRE.Match(m):
		return mStart
	case bytes.Contains(m, []byte("ession")) && endRE.Match(m):
		return mEnd
	}
	return mNone
}

// remoteID returns the first 6–12 digit number (Supremo IDs are 9 digits,
// often written "123 456 789") after the marker.
func remoteID(s string) string {
	if m := idRE.FindStringSubmatch(s); m != nil {
		return strings.ReplaceAll(m[1], " ", "")
	}
	return ""
}

func after(s, k string) string {
	if i := strings.Index(s, k); i >= 0 {
		return strings.TrimSpace(s[i+len(k):])
	}
	return ""
}

// fileName cleans the text after "Received file"/"Sent file".
func fileName(s string) (string, int64) {
	s = strings.TrimSpace(strings.TrimLeft(s, " :-="))
	var size int64
	if m := sizeRE.FindStringSubmatchIndex(s); m != nil {
		fmt.Sscan(s[m[2]:m[3]], &size)
		s = strings.TrimSpace(s[:m[0]] + s[m[1]:])
	}
	if len(s) > 1 && (s[0] == '"' || s[0] == '\'') {
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return s[1 : j+1], size
		}
	}
	for _, sep := range []string{" from ", " to ", " | "} {
		if i := strings.LastIndex(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return strings.Trim(strings.TrimSpace(s), `"'`), size
}

type sess struct {
	r       session.Record
	closed  bool
	dropped int
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
	rule := "local time in " + zname + " converted to UTC (Supremo writes no zone)"
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(in.Path, `\`, "/")))
	fileDir := session.DirectionUnknown
	switch {
	case strings.Contains(base, "incoming"):
		fileDir = session.Incoming
	case strings.Contains(base, "outgoing"):
		fileDir = session.Outgoing
	}
	var errs logkit.ErrList
	var all []*sess
	var live []*sess
	stamped := 0
	// Transfers with no open session are grouped while at most xferGap apart.
	var xferOnly *sess
	var xferLast time.Time
	var lastTS ts
	haveLast := false
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
		st, k, ok := stamp(l)
		if !ok {
			continue
		}
		stamped++
		m := marker(l[k:])
		if m == mNone {
			if stamped == 1 {
				see(st.in(loc))
			}
			lastTS, haveLast = st, true
			continue
		}
		haveLast = false
		t := st.in(loc)
		see(t)
		if rd.Truncated() {
			errs.Add(rd.N(), rd.Offset(), "line longer than %d bytes cut", 1<<20)
		}
		msg := strings.TrimSpace(string(l[k:]))
		n, off := rd.N(), rd.Offset()
		raw := evidence.Clip(string(l))
		add := func(s *sess, summary string, fields ...string) {
			if len(s.r.Evidence) >= maxEvidence {
				s.dropped++
				return
			}
			s.r.Evidence = append(s.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: name, Summary: summary,
				Path: in.Path, Line: n, Offset: off, Raw: raw, Fields: fields, Time: session.T(t)})
		}
		lineDir := fileDir
		switch {
		case m == mIncoming || strings.Contains(msg, "Incoming") || strings.Contains(msg, "incoming"):
			lineDir = session.Incoming
		case strings.Contains(msg, "Outgoing") || strings.Contains(msg, "outgoing"):
			lineDir = session.Outgoing
		}
		newSess := func(start bool) *sess {
			s := &sess{r: session.Record{Tool: tool, Parser: name, Direction: lineDir, Outcome: session.Established, TimeRule: rule}}
			s.r.Notes = append(s.r.Notes, layoutNote)
			if lineDir == session.DirectionUnknown {
				s.r.Notes = append(s.r.Notes, "direction not written on the line: unknown")
			}
			if start {
				s.r.Start = session.T(t)
			}
			all = append(all, s)
			live = append(live, s)
			return s
		}
		latest := func() *sess {
			if len(live) > 0 {
				return live[len(live)-1]
			}
			return nil
		}
		closeSess := func(s *sess) {
			s.closed = true
			s.r.End = session.T(t)
			for i, x := range live {
				if x == s {
					live = append(live[:i], live[i+1:]...)
					break
				}
			}
		}
		switch m {
		case mIncoming, mConnected:
			id := remoteID(after(msg, string(kConnected)))
			if m == mIncoming {
				id = remoteID(after(msg, string(kIncoming)))
			}
			// An [Incoming] line and the "Connected with ID" line of the
			// same connection (same second, one open session with no
			// such line yet) are one session.
			var s *sess
			if c := latest(); c != nil && c.r.Start != nil && t.Sub(*c.r.Start) <= 5*time.Second && t.Sub(*c.r.Start) >= 0 &&
				(id == "" || c.r.RemoteID == "" || c.r.RemoteID == id) {
				s = c
			}
			fields := []string{"start", "direction", "outcome"}
			if s == nil {
				s = newSess(true)
			} else {
				fields = nil
				if lineDir != session.DirectionUnknown && s.r.Direction == session.DirectionUnknown {
					s.r.Direction = lineDir
					fields = append(fields, "direction")
				}
			}
			if id != "" && s.r.RemoteID == "" {
				s.r.RemoteID = id
				fields = append(fields, "remote_id")
			}
			summary := "Supremo: connected with ID " + id
			if m == mIncoming {
				rest := after(msg, string(kIncoming))
				host := ""
				if hm := hostRE.FindStringSubmatch(rest); hm != nil {
					host = hm[1]
				} else if f := strings.Fields(rest); len(f) == 1 && f[0] != id {
					host = strings.Trim(f[0], `"'`)
				}
				if host != "" && host != id && s.r.RemoteName == "" {
					s.r.RemoteName = host
					fields = append(fields, "remote_name")
				}
				summary = fmt.Sprintf("Supremo: incoming connection from %q (ID %s)", host, id)
			}
			if len(fields) == 0 {
				fields = []string{"outcome"}
			}
			add(s, summary, fields...)
		case mStart:
			s := newSess(true)
			if id := remoteID(msg); id != "" {
				s.r.RemoteID = id
			}
			add(s, "Supremo: session started", "start", "outcome", "remote_id")
		case mEnd:
			s := latest()
			if s == nil {
				s = newSess(false)
				s.r.Notes = append(s.r.Notes, "session start not in this log: start unknown")
				closeSess(s)
				add(s, "Supremo: session ended", "end", "outcome")
				continue
			}
			closeSess(s)
			add(s, "Supremo: session ended", "end")
		case mClosed:
			if len(live) == 0 {
				continue // the program closed with no session open: not a session fact
			}
			for _, s := range append([]*sess(nil), live...) {
				closeSess(s)
				s.r.Notes = append(s.r.Notes, "end = \"Supremo Closed\" (the program closed)")
				add(s, "Supremo closed", "end")
			}
		case mRecv, mSent:
			dir, verb, k := "to_host", "received", kRecv
			if m == mSent {
				dir, verb, k = "from_host", "sent", kSent
			}
			fname, size := fileName(after(msg, string(k)))
			s := latest()
			fields := []string{"transfers"}
			if s == nil && xferOnly != nil && t.Sub(xferLast) >= 0 && t.Sub(xferLast) <= xferGap {
				s = xferOnly
			} else if s == nil {
				s = newSess(false)
				xferOnly = s
				s.r.Notes = append(s.r.Notes, "file transfer line; the session's start and end are not in this log")
				closeSess(s)
				s.r.End = nil
				fields = append(fields, "outcome")
			}
			xferLast = t
			s.r.Transfers = append(s.r.Transfers, session.Transfer{Time: session.T(t), Direction: dir, Name: fname, Size: size, Line: n})
			add(s, fmt.Sprintf("Supremo: file %s: %s", verb, fname), fields...)
		}
	}
	if haveLast {
		see(lastTS.in(loc))
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "read: %v", err)
	}
	res.Errors = errs.Result()
	if res.Lines > 0 && stamped == 0 {
		return res, fmt.Errorf("%s: %s: no line with a Supremo timestamp (YYYY-MM-DD HH:MM:SS:SSS)", name, in.Path)
	}
	for _, s := range all {
		if s.dropped > 0 {
			s.r.Notes = append(s.r.Notes, fmt.Sprintf("%d more lines not listed as evidence", s.dropped))
		}
		if s.r.RemoteID != "" {
			s.r.Key = tool + "|" + s.r.RemoteID
		}
		s.r.Finish()
		res.Sessions = append(res.Sessions, s.r)
	}
	return res, nil
}
