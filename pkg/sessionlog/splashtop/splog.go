// Package splashtop reads the Splashtop Streamer's own text log SPLog.txt
// (session-artifacts.md §4.2; the Splashtop event log is another parser's).
//
// Line layout (documented from dissect.target's test data; no public SPLog
// file exists — dissect's is a Git-LFS pointer):
//
//	<L>MonDD HH:MM:SS.mmm  <message>
//
// one level letter, the month and day, the local time of day, and the
// message, e.g. "SM_03280[Network] [LAN-S][Server] client connected from
// 10.199.5.134 (2), 288" or "SM_03280[FTCnnel] OnUploadFileCPRequest 1, 1
// =>{"fileID":"353841253","fileName":"NOTE.txt","fileSize":"34",…}". "Mon"
// is read both as a month name (May21) and as two digits (0521).
//
// There is no year: it is taken from Input.Modified (in Input.Location), and
// a line whose month is after the file's month belongs to the year before
// (a log that crossed New Year). Times are local: converted with
// Input.Location, else taken as UTC; TimeRule says which.
//
// Sessions: "client connected from <ip>" opens one; transfer requests
// (OnUploadRequest, OnUploadFileCPRequest = to this PC; OnDownloadRequest =
// from it) prove it was established. The end line is not documented; "client
// disconnected" is accepted as the assumed counterpart of "client connected".
package splashtop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const tool = "splashtop"

// SPLog is the "splashtop-splog" parser.
type SPLog struct{}

func (SPLog) Name() string { return "splashtop-splog" }
func (SPLog) Tool() string { return tool }

// Sniff: the first line has the SPLog timestamp.
func (SPLog) Sniff(head []byte, name string) bool {
	l, _, _ := bytes.Cut(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), []byte{'\n'})
	_, _, _, ok := stamp(l)
	return ok
}

var months = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

func d2(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// stamp reads "<L>MonDD HH:MM:SS.mmm" and returns month, day, time of day
// and the index of the message.
type tod struct{ h, m, s, ns int }

func stamp(l []byte) (int, int, tod, bool) {
	var mo, day int
	i := 0
	if len(l) > 0 && l[0] >= 'A' && l[0] <= 'Z' && len(l) > 1 && (l[1] >= '0' && l[1] <= '9' || l[1] >= 'A' && l[1] <= 'Z') {
		i = 1 // level letter
	}
	if len(l) < i+4 {
		return 0, 0, tod{}, false
	}
	if n, ok := d2(l[i:]); ok {
		mo = n
		i += 2
	} else if len(l) >= i+3 {
		mo = months[strings.ToLower(string(l[i:i+3]))]
		i += 3
		if i < len(l) && l[i] == ' ' {
			i++
		}
	}
	if mo < 1 || mo > 12 {
		return 0, 0, tod{}, false
	}
	// day: two digits, or one digit after a month name
	if n, ok := d2(l[i:]); ok {
		day = n
		i += 2
	} else if i < len(l) && l[i] >= '1' && l[i] <= '9' {
		day = int(l[i] - '0')
		i++
	}
	if day < 1 || day > 31 || len(l) < i+9 || l[i] != ' ' || l[i+3] != ':' || l[i+6] != ':' {
		return 0, 0, tod{}, false
	}
	h, ok1 := d2(l[i+1:])
	m, ok2 := d2(l[i+4:])
	s, ok3 := d2(l[i+7:])
	if !(ok1 && ok2 && ok3) || h > 23 || m > 59 || s > 60 {
		return 0, 0, tod{}, false
	}
	t := tod{h, m, s, 0}
	j := i + 9
	if j < len(l) && l[j] == '.' {
		mul := 100000000
		j++
		for j < len(l) && l[j] >= '0' && l[j] <= '9' {
			if mul > 0 {
				t.ns += int(l[j]-'0') * mul
				mul /= 10
			}
			j++
		}
	}
	return mo, day, t, true
}

type conn struct {
	r           session.Record
	established bool
	closed      bool
}

func (SPLog) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := SPLog{}
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", p.Name())
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", p.Name(), in.Path, err)
	}
	loc := in.Location
	rule := "local time converted to UTC with the scan's zone"
	if loc == nil {
		loc = time.UTC
		rule = "local time taken as UTC (no zone given)"
	} else {
		rule += " " + loc.String()
	}
	ref := in.Modified
	if ref.IsZero() {
		ref = time.Now()
		rule += "; year from the current date (no file modification time)"
	} else {
		rule += "; year from the file's modification time (a month after it is the year before)"
	}
	ref = ref.In(loc)
	when := func(mo, day int, t tod) time.Time {
		y := ref.Year()
		if mo > int(ref.Month()) {
			y--
		}
		return time.Date(y, time.Month(mo), day, t.h, t.m, t.s, t.ns, loc).UTC()
	}
	var conns []*conn
	var cur *conn
	stamped := 0
	add := func(c *conn, n int, off int64, l []byte, t time.Time, summary string, fields ...string) {
		c.r.Evidence = append(c.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: p.Name(), Summary: summary,
			Path: in.Path, Line: n, Offset: off, Raw: evidence.Clip(string(l)), Fields: fields, Time: session.T(t)})
	}
	// Bounds without time math on every line: an ordered integer key of
	// (year-before flag, month, day, time), converted once at the end.
	type stampKey struct {
		k       int64
		mo, day int
		t       tod
	}
	var lo, hi stampKey
	keyOf := func(mo, day int, t tod) int64 {
		adj := int64(1)
		if mo > int(ref.Month()) {
			adj = 0
		}
		return (((((adj*13+int64(mo))*32+int64(day))*24+int64(t.h))*60+int64(t.m))*61+int64(t.s))*1e9 + int64(t.ns)
	}
	for rd.Next() {
		l := rd.Bytes()
		mo, day, td, ok := stamp(l)
		if !ok {
			continue
		}
		stamped++
		if k := keyOf(mo, day, td); stamped == 1 || k < lo.k {
			lo = stampKey{k, mo, day, td}
			if stamped == 1 {
				hi = lo
			}
		} else if k > hi.k {
			hi = stampKey{k, mo, day, td}
		}
		if !bytes.Contains(l, []byte("client ")) && !bytes.Contains(l, []byte("Request")) {
			continue
		}
		t := when(mo, day, td)
		connected := bytes.Contains(l, []byte("client connected from "))
		disconnected := bytes.Contains(l, []byte("client disconnected"))
		up := bytes.Contains(l, []byte("OnUploadRequest")) || bytes.Contains(l, []byte("OnUploadFileCPRequest"))
		down := bytes.Contains(l, []byte("OnDownloadRequest"))
		n, off := rd.N(), rd.Offset()
		switch {
		case connected:
			rest := l[bytes.Index(l, []byte("client connected from "))+len("client connected from "):]
			ip := ""
			if f := bytes.Fields(rest); len(f) > 0 {
				ip = string(bytes.TrimRight(f[0], ","))
			}
			c := &conn{}
			c.r = session.Record{Tool: tool, Parser: p.Name(), Direction: session.Incoming, Start: session.T(t), TimeRule: rule, RemoteIP: ip}
			if bytes.Contains(l, []byte("[LAN-S]")) {
				c.r.Notes = append(c.r.Notes, "LAN connection (LAN-S)")
			}
			conns = append(conns, c)
			cur = c
			add(c, n, off, l, t, "client connected from "+ip, "start", "direction", "remote_ip")
		case up || down:
			c := cur
			if c == nil || c.closed {
				c = &conn{}
				c.r = session.Record{Tool: tool, Parser: p.Name(), Direction: session.Incoming, TimeRule: rule,
					Notes: []string{"file transfer without a \"client connected\" line in this log"}}
				conns = append(conns, c)
				cur = c
			}
			c.established = true
			tr := session.Transfer{Time: session.T(t), Direction: "to_host", Line: n}
			if down {
				tr.Direction = "from_host"
			}
			if k := bytes.Index(l, []byte("=>")); k >= 0 {
				var req struct {
					FileName string      `json:"fileName"`
					FileSize json.Number `json:"fileSize"`
				}
				if json.Unmarshal(bytes.TrimSpace(l[k+2:]), &req) == nil {
					tr.Name = req.FileName
					if sz, err := strconv.ParseInt(req.FileSize.String(), 10, 64); err == nil && sz >= 0 {
						tr.Size = sz
					}
				}
			}
			c.r.Transfers = append(c.r.Transfers, tr)
			add(c, n, off, l, t, "file transfer "+tr.Direction+" "+tr.Name, "transfers", "outcome")
		case disconnected:
			if cur != nil && !cur.closed {
				cur.closed = true
				cur.r.End = session.T(t)
				add(cur, n, off, l, t, "client disconnected", "end")
			}
		}
	}
	if stamped > 0 {
		res.FirstTime, res.LastTime = session.T(when(lo.mo, lo.day, lo.t)), session.T(when(hi.mo, hi.day, hi.t))
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if res.Lines > 0 && stamped == 0 {
		return res, fmt.Errorf("%s: %s: no line in the SPLog layout", p.Name(), in.Path)
	}
	for _, c := range conns {
		r := c.r
		if c.established {
			r.Outcome = session.Established
		} else {
			r.Outcome = session.AttemptOnly
			r.Notes = append(r.Notes, "\"client connected\" alone: confirm with the Splashtop event log (1000)")
		}
		if r.RemoteIP != "" {
			r.Key = tool + "|" + string(r.Direction) + "|" + r.RemoteIP
		}
		r.Finish()
		res.Sessions = append(res.Sessions, r)
	}
	return res, nil
}
