package x11vnc

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
	"testing"
	"time"

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
type exp logtest.VNC

func ts(t testing.TB, s string) *time.Time { return logtest.TS(t, s) }

func sameTime(a, b *time.Time) bool { return logtest.SameTime(a, b) }

func checkSessions(t *testing.T, got []session.Record, want []exp) {
	t.Helper()
	w := make([]logtest.VNC, len(want))
	for i, e := range want {
		w[i] = logtest.VNC(e)
	}
	logtest.CheckVNCSessions(t, got, w, "x11vnc", "x11vnc")
}

// checkEvidence verifies that every evidence item points at the exact line in
// data, and that start/end/outcome are each backed by a line.
func checkEvidence(t *testing.T, path string, data []byte, recs []session.Record) {
	t.Helper()
	logtest.CheckEvidence(t, path, data, recs, func(session.Record) string { return name })
}
