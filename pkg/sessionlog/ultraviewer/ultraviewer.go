// Package ultraviewer reads UltraViewer's connection logs
// (session-artifacts.md §9):
//
//	%AppData%\UltraViewer\Connection_IN_Log.txt            incoming: time, partner ID, partner computer name
//	C:\Program Files (x86)\UltraViewer\ConnectionLog.Log   service level: time, direction, ID
//
// The layout is second-hand (Ruler, KAPE): pipe-delimited, time as
// "MM/DD/YYYY hh:mm:ss AM/PM" in local time, no IPs. No sample exists, so
// the order of the fields is not known and the parser is tolerant: it splits
// a line on '|', takes the field holding a date as the time, the field made
// only of digits (6–12 of them, spaces allowed: "123 456 789") as the
// partner ID, a field naming a direction (IN/OUT, incoming/outgoing) as the
// direction, and the first other non-empty field as the partner's computer
// name. A line without '|' is read the same way from its text.
//
// Each line with a time and an ID is one connection: it is a connection log,
// so the record is established, with the line's time as its start. The log
// writes no end. Direction: the line's own, else incoming for
// Connection_IN_Log*, else unknown.
package ultraviewer

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
	tool       = "ultraviewer"
	name       = "ultraviewer"
	layoutNote = "UltraViewer log layout from second-hand documentation (Ruler, KAPE): field order assumed, no sample verified"
	endNote    = "the log records the connection time only: end unknown"
)

var (
	notesKnown   = []string{layoutNote, endNote}
	notesUnknown = []string{layoutNote, endNote, "direction not written on the line: unknown"}
)

// Parser is the "ultraviewer" parser.
type Parser struct{}

func New() Parser { return Parser{} }

func (Parser) Name() string { return name }
func (Parser) Tool() string { return tool }

// Sniff: a pipe-delimited line with an UltraViewer time and an ID field.
func (Parser) Sniff(head []byte, _ string) bool {
	head = logkit.TextHead(head)
	for len(head) > 0 {
		var l []byte
		l, head, _ = bytes.Cut(head, []byte{'\n'})
		if bytes.IndexByte(l, '|') < 0 {
			continue
		}
		if f, ok := fields(string(bytes.TrimRight(l, "\r"))); ok && f.id != "" {
			return true
		}
	}
	return false
}

var (
	idRE = regexp.MustCompile(`(?:^|[^0-9/:])(\d{3} \d{3} \d{3}|\d{6,12})(?:[^0-9/:]|$)`)
)

type wall struct{ y, mo, d, h, mi, s int }

type parsed struct {
	t    wall
	id   string
	name string
	dir  session.Direction
	tsOK bool
}

func digitsOnly(s string) (string, bool) {
	d := strings.ReplaceAll(s, " ", "")
	if len(d) < 6 || len(d) > 12 {
		return "", false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return d, true
}

// digits reads 1..max digits at s[i:]; it returns the value and the index after.
func digits(s string, i, minN, maxN int) (int, int, bool) {
	n, j := 0, i
	for j < len(s) && j-i < maxN && s[j] >= '0' && s[j] <= '9' {
		n = n*10 + int(s[j]-'0')
		j++
	}
	return n, j, j-i >= minN
}

// parseTS finds "M/D/YYYY h:mm[:ss][.fff] [AM|PM]" in s (hand-written: it
// runs on every line); a and b bound it.
func parseTS(s string) (wall, int, int, bool) {
	for i := 0; i+12 <= len(s); i++ {
		if s[i] < '0' || s[i] > '9' || (i > 0 && s[i-1] >= '0' && s[i-1] <= '9') {
			continue
		}
		if w, b, ok := tsAt(s, i); ok {
			return w, i, b, true
		}
	}
	return wall{}, 0, 0, false
}

func tsAt(s string, i int) (wall, int, bool) {
	var w wall
	var ok bool
	if w.mo, i, ok = digits(s, i, 1, 2); !ok || i >= len(s) || s[i] != '/' {
		return w, 0, false
	}
	if w.d, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != '/' {
		return w, 0, false
	}
	if w.y, i, ok = digits(s, i+1, 4, 4); !ok || i >= len(s) || (s[i] != ' ' && s[i] != 'T') {
		return w, 0, false
	}
	for i < len(s) && (s[i] == ' ' || s[i] == 'T') {
		i++
	}
	if w.h, i, ok = digits(s, i, 1, 2); !ok || i >= len(s) || s[i] != ':' {
		return w, 0, false
	}
	if w.mi, i, ok = digits(s, i+1, 2, 2); !ok {
		return w, 0, false
	}
	if i < len(s) && s[i] == ':' {
		if w.s, i, ok = digits(s, i+1, 2, 2); !ok {
			return w, 0, false
		}
	}
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		if _, j, ok := digits(s, i+1, 1, 9); ok {
			i = j
		}
	}
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		return w, 0, false
	}
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j+1 < len(s) && (s[j]|0x20 == 'a' || s[j]|0x20 == 'p') {
		k := j + 1
		if k < len(s) && s[k] == '.' {
			k++
		}
		if k < len(s) && s[k]|0x20 == 'm' && (k+1 == len(s) || !isLetter(s[k+1])) {
			k++
			if k < len(s) && s[k] == '.' {
				k++
			}
			if w.h < 1 || w.h > 12 {
				return w, 0, false
			}
			if s[j]|0x20 == 'p' && w.h != 12 {
				w.h += 12
			} else if s[j]|0x20 == 'a' && w.h == 12 {
				w.h = 0
			}
			i = k
		}
	}
	if w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > 31 || w.h > 23 || w.mi > 59 || w.s > 60 || w.y < 1990 || w.y > 2200 {
		return w, 0, false
	}
	return w, i, true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func dirOf(s string) session.Direction {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "in" || s == "inbound" || s == "income" || strings.Contains(s, "incoming"):
		return session.Incoming
	case s == "out" || s == "outbound" || s == "outcome" || strings.Contains(s, "outgoing"):
		return session.Outgoing
	}
	return session.DirectionUnknown
}

// fields reads one line; ok when it has a time.
func fields(l string) (parsed, bool) {
	var p parsed
	if !strings.Contains(l, "/") {
		return p, false
	}
	parts := strings.Split(l, "|")
	tsField := -1
	for i, f := range parts {
		if w, a, b, ok := parseTS(f); ok {
			p.t, p.tsOK, tsField = w, true, i
			// The rest of the time field (no-pipe lines) is read too.
			rest := strings.TrimSpace(f[:a] + " " + f[b:])
			parts[i] = rest
			break
		}
	}
	if !p.tsOK {
		return p, false
	}
	used := make([]bool, len(parts))
	for i, f := range parts {
		if id, ok := digitsOnly(strings.TrimSpace(f)); ok && p.id == "" {
			p.id, used[i] = id, true
		}
	}
	for i, f := range parts {
		if used[i] {
			continue
		}
		if d := dirOf(f); d != session.DirectionUnknown && p.dir == "" {
			p.dir, used[i] = d, true
		}
	}
	if p.id == "" {
		// No ID field of its own: an ID in the text (no-pipe lines).
		for i, f := range parts {
			if m := idRE.FindStringSubmatch(f); m != nil {
				p.id = strings.ReplaceAll(m[1], " ", "")
				if i != tsField && strings.TrimSpace(strings.Replace(f, m[1], "", 1)) == "" {
					used[i] = true
				}
				break
			}
		}
	}
	if p.dir == "" {
		// "incoming"/"outgoing" within a field's text.
		switch {
		case strings.Contains(l, "ncoming") || strings.Contains(l, "NCOMING"):
			p.dir = session.Incoming
		case strings.Contains(l, "utgoing") || strings.Contains(l, "UTGOING"):
			p.dir = session.Outgoing
		}
	}
	for i, f := range parts {
		f = strings.TrimSpace(f)
		if used[i] || f == "" || (i == tsField && len(parts) > 1) {
			continue
		}
		p.name = f
		break
	}
	return p, true
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
	rule := "local time (MM/DD/YYYY hh:mm:ss AM/PM) in " + zname + " converted to UTC"
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(in.Path, `\`, "/")))
	fileDir := session.DirectionUnknown
	if strings.Contains(base, "_in_") || strings.HasPrefix(base, "connection_in") {
		fileDir = session.Incoming
	}
	var errs logkit.ErrList
	stamped := 0
	for rd.Next() {
		l := rd.Bytes()
		if bytes.IndexByte(l, '/') < 0 {
			continue
		}
		f, ok := fields(string(l))
		if !ok {
			continue
		}
		stamped++
		t := time.Date(f.t.y, time.Month(f.t.mo), f.t.d, f.t.h, f.t.mi, f.t.s, 0, loc).UTC()
		if res.FirstTime == nil || t.Before(*res.FirstTime) {
			res.FirstTime = session.T(t)
		}
		if res.LastTime == nil || t.After(*res.LastTime) {
			res.LastTime = session.T(t)
		}
		if f.id == "" {
			errs.Add(rd.N(), rd.Offset(), "time but no partner ID: not read as a connection")
			continue
		}
		if rd.Truncated() {
			errs.Add(rd.N(), rd.Offset(), "line longer than %d bytes cut", 1<<20)
		}
		dir := f.dir
		if dir == "" {
			dir = fileDir
		}
		r := session.Record{Tool: tool, Parser: name, Direction: dir, Outcome: session.Established, Start: session.T(t), TimeRule: rule,
			RemoteID: f.id, RemoteName: f.name, Key: tool + "|" + f.id}
		// Shared, capacity-capped note lists: an append by a caller copies.
		r.Notes = notesKnown[:2:2]
		if dir == session.DirectionUnknown {
			r.Notes = notesUnknown[:3:3]
		}
		fl := []string{"start", "direction", "outcome", "remote_id"}
		if f.name != "" {
			fl = append(fl, "remote_name")
		}
		r.Evidence = []evidence.Evidence{{Kind: evidence.KindLogLine, Scanner: name,
			Summary: fmt.Sprintf("UltraViewer: %s connection, partner ID %s (%s)", dir, f.id, f.name),
			Path:    in.Path, Line: rd.N(), Offset: rd.Offset(), Raw: evidence.Clip(string(l)), Fields: fl, Time: session.T(t)}}
		r.Finish()
		res.Sessions = append(res.Sessions, r)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "read: %v", err)
	}
	res.Errors = errs.Result()
	if res.Lines > 0 && stamped == 0 {
		return res, fmt.Errorf("%s: %s: no line with an UltraViewer time (MM/DD/YYYY hh:mm:ss AM/PM)", name, in.Path)
	}
	return res, nil
}
