package tigervnc

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// samplePath returns ../shared/samples/linux-vnc-rdp/<file> (skipped outside
// CI when absent, failed in CI).
func samplePath(t testing.TB, file string) string {
	return shared.Path(t, "samples/linux-vnc-rdp/"+file)
}

func sampleFile(file string) (string, bool) { return shared.File("samples/linux-vnc-rdp/" + file) }

func readSample(t testing.TB, file string) (string, []byte) {
	return shared.Read(t, "samples/linux-vnc-rdp/"+file)
}

func parse(t testing.TB, path string, data []byte, loc *time.Location) sessionlog.Result {
	t.Helper()
	res, err := New().Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data), Location: loc})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

// exp is one expected session, written from reading the sample by hand.
type exp struct {
	start, end string // RFC 3339 UTC, "" = none
	ip         string
	port       uint32
	outcome    session.Outcome
	auth       string
	input      map[string]int
	open       bool
	clipboard  int
}

func ts(t testing.TB, s string) *time.Time {
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func checkSessions(t *testing.T, got []session.Record, want []exp) {
	t.Helper()
	if len(got) != len(want) {
		for _, r := range got {
			t.Logf("got %s %v-%v %s:%d", r.Outcome, r.Start, r.End, r.RemoteIP, r.RemotePort)
		}
		t.Fatalf("got %d sessions, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if !sameTime(r.Start, ts(t, w.start)) || !sameTime(r.End, ts(t, w.end)) {
			t.Errorf("#%d: time %v–%v, want %s–%s", i, r.Start, r.End, w.start, w.end)
		}
		if r.RemoteIP != w.ip || r.RemotePort != w.port {
			t.Errorf("#%d: remote %s:%d, want %s:%d", i, r.RemoteIP, r.RemotePort, w.ip, w.port)
		}
		if r.Outcome != w.outcome {
			t.Errorf("#%d: outcome %s, want %s (notes %q)", i, r.Outcome, w.outcome, r.Notes)
		}
		if r.AuthMethod != w.auth {
			t.Errorf("#%d: auth %q, want %q", i, r.AuthMethod, w.auth)
		}
		if !reflect.DeepEqual(r.Input, w.input) {
			t.Errorf("#%d: input %v, want %v", i, r.Input, w.input)
		}
		if r.Open != w.open {
			t.Errorf("#%d: open %v, want %v", i, r.Open, w.open)
		}
		if len(r.Clipboard) != w.clipboard {
			t.Errorf("#%d: %d clipboard events, want %d", i, len(r.Clipboard), w.clipboard)
		}
		if r.Direction != session.Incoming || r.Tool != "tigervnc" || r.Parser != name {
			t.Errorf("#%d: tool/parser/direction %s/%s/%s", i, r.Tool, r.Parser, r.Direction)
		}
	}
}

// checkEvidence verifies that every evidence item points at the exact line in
// data, and that start/end/outcome are each backed by a line.
func checkEvidence(t *testing.T, path string, data []byte, recs []session.Record) {
	t.Helper()
	for i, r := range recs {
		has := map[string]bool{}
		for _, e := range r.Evidence {
			if e.Kind != evidence.KindLogLine || e.Scanner != name || e.Path != path || e.Line < 1 || e.SHA256 != "" {
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
