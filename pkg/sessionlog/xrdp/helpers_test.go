package xrdp

import (
	"bytes"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/shared"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
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

func parse(t testing.TB, p sessionlog.Parser, path string, data []byte, loc *time.Location) sessionlog.Result {
	t.Helper()
	res, err := p.Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data), Location: loc})
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
	user       string
	display    string
	open       bool
	key        string
}

func ts(t testing.TB, s string) *time.Time { return logtest.TS(t, s) }

func sameTime(a, b *time.Time) bool { return logtest.SameTime(a, b) }

func checkSessions(t *testing.T, got []session.Record, want []exp) {
	t.Helper()
	logtest.CheckCount(t, got, len(want))
	for i, w := range want {
		r := got[i]
		logtest.CheckCore(t, i, &r, w.start, w.end, w.ip, w.port, w.outcome)
		if r.LocalUser != w.user || r.Display != w.display {
			t.Errorf("#%d: user %q display %q, want %q %q", i, r.LocalUser, r.Display, w.user, w.display)
		}
		if r.Open != w.open {
			t.Errorf("#%d: open %v, want %v", i, r.Open, w.open)
		}
		if r.Key != w.key {
			t.Errorf("#%d: key %q, want %q", i, r.Key, w.key)
		}
		if r.Direction != session.Incoming || r.Tool != "xrdp" || (r.Parser != xrdpName && r.Parser != sesmanName) {
			t.Errorf("#%d: tool/parser/direction %s/%s/%s", i, r.Tool, r.Parser, r.Direction)
		}
		if r.AuthMethod != "password" {
			t.Errorf("#%d: auth %q", i, r.AuthMethod)
		}
	}
}

// checkEvidence verifies that every evidence item points at the exact line in
// data, and that start/end/outcome are each backed by a line.
func checkEvidence(t *testing.T, path string, data []byte, recs []session.Record) {
	t.Helper()
	logtest.CheckEvidence(t, path, data, recs, func(r session.Record) string { return r.Parser })
}
