// Package logtest holds test helpers shared by the line-oriented server-log
// parsers (x11vnc, TigerVNC, xrdp, freerdp-shadow).
package logtest

import (
	"bytes"
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
