package eventlog

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// samplesDir resolves <repo root>/../shared/samples, the repo root being the
// first directory above the test's working directory that holds go.mod.
// Without it the test is skipped, unless CI is set (then it fails).
func samplesDir(t testing.TB) string {
	t.Helper()
	return shared.Path(t, "samples")
}

func sample(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(samplesDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("sample %s missing (CI is set)", p)
		}
		t.Skipf("sample %s not available", p)
	}
	return p
}

func parseFile(t testing.TB, path string) sessionlog.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(t, path, data)
}

func parseBytes(t testing.TB, path string, data []byte) sessionlog.Result {
	t.Helper()
	res, err := New().Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

// want is the expected shape of one session record. Empty fields are not
// checked except where noted; rids is always checked (evidence RecordIDs in
// order).
type want struct {
	tool    string
	outcome session.Outcome
	start   string // RFC 3339; "" = must be nil
	end     string // RFC 3339; "" = must be nil
	open    bool
	ip      string
	port    uint32
	user    string
	name    string
	rid     string // RemoteID
	auth    string
	rids    []uint64
	xfers   []string // "direction name"
	notes   []string // substrings each found in some note
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad expected time %q: %v", s, err)
	}
	return tm
}

// checkTime compares a record time with the expected one. tol is 0 where the
// sample gives an exact time (record header FILETIME or a TimeCreated string),
// 1 µs where the library only gives TimeCreated as a float64.
func checkTime(t testing.TB, what string, got *time.Time, exp string, tol time.Duration) {
	t.Helper()
	if exp == "" {
		if got != nil {
			t.Errorf("%s = %s, want none", what, got.Format(time.RFC3339Nano))
		}
		return
	}
	if got == nil {
		t.Errorf("%s missing, want %s", what, exp)
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s not UTC: %v", what, got.Location())
	}
	d := got.Sub(mustTime(t, exp))
	if d < 0 {
		d = -d
	}
	if d > tol {
		t.Errorf("%s = %s, want %s (±%s)", what, got.Format(time.RFC3339Nano), exp, tol)
	}
}

func checkSessions(t *testing.T, path string, got []session.Record, wants []want, tol time.Duration) {
	t.Helper()
	if len(got) != len(wants) {
		for i, s := range got {
			t.Logf("got[%d] %s %s start=%v end=%v ip=%s user=%s rids=%v", i, s.Tool, s.Outcome, s.Start, s.End, s.RemoteIP, s.LocalUser, rids(s))
		}
		t.Fatalf("%d sessions, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		s := got[i]
		t.Run("", func(t *testing.T) {
			t.Helper()
			if s.Tool != w.tool || s.Outcome != w.outcome {
				t.Errorf("#%d tool/outcome = %s/%s, want %s/%s", i, s.Tool, s.Outcome, w.tool, w.outcome)
			}
			if s.Parser != Name || s.Direction != session.Incoming {
				t.Errorf("#%d parser/direction = %s/%s", i, s.Parser, s.Direction)
			}
			checkTime(t, "start", s.Start, w.start, tol)
			checkTime(t, "end", s.End, w.end, tol)
			if s.Open != w.open {
				t.Errorf("#%d open = %v, want %v", i, s.Open, w.open)
			}
			if s.Start != nil && s.End != nil && s.Duration != s.End.Sub(*s.Start).String() {
				t.Errorf("#%d duration %q not from Finish()", i, s.Duration)
			}
			if s.TimeRule == "" || !strings.Contains(s.TimeRule, "UTC") {
				t.Errorf("#%d time rule %q", i, s.TimeRule)
			}
			if s.RemoteIP != w.ip || s.RemotePort != w.port {
				t.Errorf("#%d remote = %s:%d, want %s:%d", i, s.RemoteIP, s.RemotePort, w.ip, w.port)
			}
			if s.LocalUser != w.user {
				t.Errorf("#%d local user = %q, want %q", i, s.LocalUser, w.user)
			}
			if s.RemoteName != w.name {
				t.Errorf("#%d remote name = %q, want %q", i, s.RemoteName, w.name)
			}
			if s.RemoteID != w.rid {
				t.Errorf("#%d remote id = %q, want %q", i, s.RemoteID, w.rid)
			}
			if w.auth != "" && s.AuthMethod != w.auth {
				t.Errorf("#%d auth = %q, want %q", i, s.AuthMethod, w.auth)
			}
			if r := rids(s); !slices.Equal(r, w.rids) {
				t.Errorf("#%d evidence record ids = %v, want %v", i, r, w.rids)
			}
			var xf []string
			for _, x := range s.Transfers {
				xf = append(xf, x.Direction+" "+x.Name)
			}
			if !slices.Equal(xf, w.xfers) {
				t.Errorf("#%d transfers = %q, want %q", i, xf, w.xfers)
			}
			for _, n := range w.notes {
				if !slices.ContainsFunc(s.Notes, func(x string) bool { return strings.Contains(x, n) }) {
					t.Errorf("#%d no note containing %q in %q", i, n, s.Notes)
				}
			}
			for _, e := range s.Evidence {
				if e.Kind != evidence.KindRecord || e.Scanner != Name || e.Path != path || e.Raw == "" || e.SHA256 != "" {
					t.Errorf("#%d bad evidence %+v", i, e)
				}
				if strings.ContainsAny(e.Raw, "\r\n") {
					t.Errorf("#%d raw not one line: %q", i, e.Raw)
				}
				if e.Time == nil || e.Time.Location() != time.UTC {
					t.Errorf("#%d evidence time %v", i, e.Time)
				}
			}
		})
	}
}

func rids(s session.Record) []uint64 {
	var out []uint64
	for _, e := range s.Evidence {
		out = append(out, e.RecordID)
	}
	return out
}
