// Package logtest holds test helpers shared by the line-oriented server-log
// parsers (x11vnc, TigerVNC, xrdp, freerdp-shadow).
package logtest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// TS parses an RFC 3339 time; "" is nil.
func TS(t testing.TB, s string) *time.Time {
	t.Helper()
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// SameTime compares optional times.
func SameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// Fmt formats an optional time in UTC with layout; nil is "<nil>".
func Fmt(t *time.Time, layout string) string {
	if t == nil {
		return "<nil>"
	}
	return t.UTC().Format(layout)
}

// FmtUTC is Fmt for a time the parser must have put in UTC already: any
// other location formats as "not UTC: …", so a comparison with the expected
// text fails.
func FmtUTC(t *time.Time, layout string) string {
	if t != nil && t.Location() != time.UTC {
		return "not UTC: " + t.String()
	}
	return Fmt(t, layout)
}

// CheckCount stops the test when got does not hold n sessions, logging
// what it holds.
func CheckCount(t *testing.T, got []session.Record, n int) {
	t.Helper()
	if len(got) != n {
		for _, r := range got {
			t.Logf("got %s %v-%v %s:%d", r.Outcome, r.Start, r.End, r.RemoteIP, r.RemotePort)
		}
		t.Fatalf("got %d sessions, want %d", len(got), n)
	}
}

// CheckCore compares the fields every server log gives a session (record
// #i): start and end (RFC 3339, "" = none), peer address and outcome.
func CheckCore(t *testing.T, i int, r *session.Record, start, end, ip string, port uint32, outcome session.Outcome) {
	t.Helper()
	if !SameTime(r.Start, TS(t, start)) || !SameTime(r.End, TS(t, end)) {
		t.Errorf("#%d: time %v–%v, want %s–%s", i, r.Start, r.End, start, end)
	}
	if r.RemoteIP != ip || r.RemotePort != port {
		t.Errorf("#%d: remote %s:%d, want %s:%d", i, r.RemoteIP, r.RemotePort, ip, port)
	}
	if r.Outcome != outcome {
		t.Errorf("#%d: outcome %s, want %s (notes %q)", i, r.Outcome, outcome, r.Notes)
	}
}

// CheckEvidence checks every record's evidence: a log-line from the right
// parser and file, Raw equal to the line found at Offset in data, and a
// supporting item for start, end, outcome and input; plus a join key and a
// time rule. scanner gives the parser name expected on a record's evidence.
func CheckEvidence(t *testing.T, path string, data []byte, recs []session.Record, scanner func(session.Record) string) {
	t.Helper()
	for i, r := range recs {
		has := map[string]bool{}
		for _, e := range r.Evidence {
			if e.Kind != evidence.KindLogLine || e.Scanner != scanner(r) || e.Path != path || e.Line < 1 || e.SHA256 != "" {
				t.Errorf("#%d: bad evidence header %+v", i, e)
			}
			if e.Offset < 0 || e.Offset >= int64(len(data)) {
				t.Errorf("#%d: offset %d outside the file", i, e.Offset)
				continue
			}
			line := data[e.Offset:]
			if j := bytes.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			if string(line) != e.Raw && !strings.HasSuffix(e.Raw, "…") {
				t.Errorf("#%d: raw %q is not the line at offset %d (%q)", i, e.Raw, e.Offset, line)
			}
			for _, f := range e.Fields {
				has[f] = true
			}
		}
		if r.Start != nil && !has["start"] {
			t.Errorf("#%d: no evidence for start", i)
		}
		if r.End != nil && !has["end"] {
			t.Errorf("#%d: no evidence for end", i)
		}
		if !has["outcome"] && r.Outcome != session.AttemptOnly {
			t.Errorf("#%d: no evidence for outcome %s", i, r.Outcome)
		}
		if r.Input != nil && !has["input"] {
			t.Errorf("#%d: no evidence for input", i)
		}
		if r.Key == "" || r.TimeRule == "" {
			t.Errorf("#%d: key %q, time rule %q", i, r.Key, r.TimeRule)
		}
	}
}

// VNC is one expected session of a VNC server log (x11vnc, TigerVNC),
// written from reading the sample by hand. Tests use it positionally.
type VNC struct {
	Start, End string // RFC 3339 UTC, "" = none
	IP         string
	Port       uint32
	Outcome    session.Outcome
	Auth       string
	Input      map[string]int
	Open       bool
	Clipboard  int
}

// CheckVNCSessions compares a VNC server parser's records with the expected
// ones field by field; every record must be incoming, of tool and parser.
func CheckVNCSessions(t *testing.T, got []session.Record, want []VNC, tool, parser string) {
	t.Helper()
	CheckCount(t, got, len(want))
	for i, w := range want {
		r := got[i]
		CheckCore(t, i, &r, w.Start, w.End, w.IP, w.Port, w.Outcome)
		if r.AuthMethod != w.Auth {
			t.Errorf("#%d: auth %q, want %q", i, r.AuthMethod, w.Auth)
		}
		if !reflect.DeepEqual(r.Input, w.Input) {
			t.Errorf("#%d: input %v, want %v", i, r.Input, w.Input)
		}
		if r.Open != w.Open {
			t.Errorf("#%d: open %v, want %v", i, r.Open, w.Open)
		}
		if len(r.Clipboard) != w.Clipboard {
			t.Errorf("#%d: %d clipboard events, want %d", i, len(r.Clipboard), w.Clipboard)
		}
		if r.Direction != session.Incoming || r.Tool != tool || r.Parser != parser {
			t.Errorf("#%d: tool/parser/direction %s/%s/%s", i, r.Tool, r.Parser, r.Direction)
		}
	}
}
