package anydesk

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
)

// sampleDir resolves <repo root>/../shared/samples/<sub> by walking up from the
// test's working directory to the directory holding go.mod. Samples are read
// in place (MIT, see shared/samples/anydesk/SOURCES.md), not copied.
func sampleDir(t testing.TB, sub string) string {
	t.Helper()
	return shared.Path(t, "samples/"+sub)
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir(t, "anydesk"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, p sessionlog.Parser, path string, data []byte) sessionlog.Result {
	t.Helper()
	res, err := p.Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	return res
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

func ts(t *time.Time) string { return logtest.Fmt(t, "2006-01-02 15:04:05.000") }

// want is one expected session, written from reading the sample by hand.
type want struct {
	dir      session.Direction
	outcome  session.Outcome
	start    string
	end      string // "" = open
	id, ip   string
	port     uint32
	name     string
	auth     string
	clip     int
	transfer []session.Transfer
}

func check(t *testing.T, label string, got []session.Record, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, r := range got {
			t.Logf("got %s %s %s-%s id=%s ip=%s", r.Direction, r.Outcome, ts(r.Start), ts(r.End), r.RemoteID, r.RemoteIP)
		}
		t.Fatalf("%s: %d sessions, want %d", label, len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if r.Direction != w.dir || r.Outcome != w.outcome || ts(r.Start) != w.start {
			t.Errorf("%s #%d: %s %s start %s, want %s %s %s", label, i, r.Direction, r.Outcome, ts(r.Start), w.dir, w.outcome, w.start)
		}
		wantEnd := w.end
		if wantEnd == "" {
			wantEnd = "<nil>"
		}
		if ts(r.End) != wantEnd || r.Open != (w.end == "") {
			t.Errorf("%s #%d: end %s open %v, want %s", label, i, ts(r.End), r.Open, wantEnd)
		}
		if w.end != "" && r.Duration != utc(w.end).Sub(utc(w.start)).String() {
			t.Errorf("%s #%d: duration %q", label, i, r.Duration)
		}
		if r.RemoteID != w.id || r.RemoteIP != w.ip || r.RemotePort != w.port || r.RemoteName != w.name || r.AuthMethod != w.auth {
			t.Errorf("%s #%d: id=%q ip=%q port=%d name=%q auth=%q, want %q %q %d %q %q", label, i,
				r.RemoteID, r.RemoteIP, r.RemotePort, r.RemoteName, r.AuthMethod, w.id, w.ip, w.port, w.name, w.auth)
		}
		if len(r.Clipboard) != w.clip {
			t.Errorf("%s #%d: %d clipboard events, want %d: %+v", label, i, len(r.Clipboard), w.clip, r.Clipboard)
		}
		if len(r.Transfers) != len(w.transfer) {
			t.Errorf("%s #%d: transfers %+v, want %+v", label, i, r.Transfers, w.transfer)
		} else {
			for k, x := range w.transfer {
				g := r.Transfers[k]
				if g.Direction != x.Direction || g.Name != x.Name || g.Line != x.Line || ts(g.Time) != ts(x.Time) {
					t.Errorf("%s #%d transfer %d: %+v (time %s), want %+v (time %s)", label, i, k, g, ts(g.Time), x, ts(x.Time))
				}
			}
		}
		if r.Tool != "anydesk" || r.TimeRule == "" || len(r.Evidence) == 0 {
			t.Errorf("%s #%d: tool %q rule %q, %d evidence", label, i, r.Tool, r.TimeRule, len(r.Evidence))
		}
		for _, e := range r.Evidence {
			if e.Kind != "log-line" || e.Line == 0 || e.Raw == "" || len(e.Fields) == 0 || e.SHA256 != "" {
				t.Errorf("%s #%d: bad evidence %+v", label, i, e)
			}
		}
		if w.id != "" && r.Key == "" {
			t.Errorf("%s #%d: no join key", label, i)
		}
	}
}

// Service trace /var/log/anydesk.trace, read by hand (line numbers after NUL
// stripping, `tr -d '\000' | grep -n`):
//   - five incoming requests from 1001025310 that never reach authentication:
//     "Accept request from" → "Fiber exit (net)" on the connection's fiber
//     (lines 359, 424, 508, 567, 646);
//   - three outgoing requests to 1001025310 (lines 696, 807, 861), each closed
//     by the remote side "display_server_not_supported";
//   - the real session: Accept request 00:53:50.850 (l. 911), "Logged in from
//     23.162.8.100:58346", "3: Authenticated by local user." 00:53:56.043
//     (l. 965), "Session closed by remote side: desk_rt_ipc_error."
//     00:57:14.134 (l. 986).
var serviceWant = []want{
	{dir: session.Incoming, outcome: session.AttemptOnly, start: "2025-09-22 00:23:41.720", end: "2025-09-22 00:23:41.977", id: "1001025310", ip: "23.162.8.100", port: 50104},
	{dir: session.Incoming, outcome: session.AttemptOnly, start: "2025-09-22 00:46:40.847", end: "2025-09-22 00:46:41.102", id: "1001025310", ip: "23.162.8.100", port: 50104},
	{dir: session.Incoming, outcome: session.AttemptOnly, start: "2025-09-22 00:46:45.002", end: "2025-09-22 00:46:45.336", id: "1001025310", ip: "23.162.8.100", port: 50104},
	{dir: session.Incoming, outcome: session.AttemptOnly, start: "2025-09-22 00:52:52.552", end: "2025-09-22 00:52:52.871", id: "1001025310", ip: "23.162.8.100", port: 58346},
	{dir: session.Incoming, outcome: session.AttemptOnly, start: "2025-09-22 00:52:56.178", end: "2025-09-22 00:52:56.720", id: "1001025310", ip: "23.162.8.100", port: 58346},
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:11.303", end: "2025-09-22 00:53:12.276", id: "1001025310", ip: "23.162.8.100", port: 58346},
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:40.796", end: "2025-09-22 00:53:41.374", id: "1001025310", ip: "23.162.8.100", port: 58346},
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:46.020", end: "2025-09-22 00:53:46.645", id: "1001025310", ip: "23.162.8.100", port: 58346},
	{dir: session.Incoming, outcome: session.Established, start: "2025-09-22 00:53:50.850", end: "2025-09-22 00:57:14.134", id: "1001025310", ip: "23.162.8.100", port: 58346,
		auth: "interactive (accepted by the local user)"},
}

func tp(s string) *time.Time { t := utc(s); return &t }

// User trace ~/.anydesk/anydesk.trace, read by hand:
//   - three outgoing attempts by the frontend: "Sending a connection request
//     for address 1001025310" (lines 267, 371, 398) → "The socket was closed
//     remotely." → "Session stopped." (lines 285, 389, 416);
//   - the incoming session in backend pid 6086: "Incoming session request:
//     centos (1001025310)" 00:53:51.221 (l. 501), "Remote OS: Linux",
//     "Starting session" 00:53:56.058, clipboard "Got a text offer (50 b)" and
//     "Putting text data on the clipboard (24)" (l. 622, 623), the tray
//     preparing files in '/home/ubu/.local/share' 00:54:22.933 (l. 626) then
//     "Download started/finished", "Session stopped." 00:57:14.139 (l. 659).
var userWant = []want{
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:11.233", end: "2025-09-22 00:53:12.290", id: "1001025310"},
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:40.767", end: "2025-09-22 00:53:41.382", id: "1001025310"},
	{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:46.002", end: "2025-09-22 00:53:46.657", id: "1001025310"},
	{dir: session.Incoming, outcome: session.Established, start: "2025-09-22 00:53:51.221", end: "2025-09-22 00:57:14.139", id: "1001025310", name: "centos", clip: 2,
		transfer: []session.Transfer{{Direction: "from_host", Folder: "/home/ubu/.local/share", Line: 626, Time: tp("2025-09-22 00:54:22.933")}}},
}

func TestServiceTraceSample(t *testing.T) {
	res := parse(t, Trace{}, "/var/log/anydesk.trace", readSample(t, "artemis_linux_anydesk_var_log.trace"))
	check(t, "service trace", res.Sessions, serviceWant)
	if ts(res.FirstTime) != "2025-09-21 23:51:13.459" || ts(res.LastTime) != "2025-09-22 01:28:38.910" {
		t.Errorf("bounds %s .. %s", ts(res.FirstTime), ts(res.LastTime))
	}
	if res.Lines != 2098 {
		t.Errorf("lines %d, want 2098", res.Lines)
	}
	// The evidence of the established session names the auth line.
	est := res.Sessions[8]
	found := false
	for _, e := range est.Evidence {
		if e.Line == 965 && strings.Contains(e.Raw, "Authenticated by local user") {
			found = true
			if e.Offset <= 0 || e.Path != "/var/log/anydesk.trace" || e.Scanner != "anydesk-trace" {
				t.Errorf("auth evidence %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no evidence for line 965")
	}
}

func TestUserTraceSample(t *testing.T) {
	res := parse(t, Trace{}, "/home/ubu/.anydesk/anydesk.trace", readSample(t, "artemis_linux_anydesk.trace"))
	check(t, "user trace", res.Sessions, userWant)
	in := res.Sessions[3]
	var notes = strings.Join(in.Notes, "|")
	if !strings.Contains(notes, "remote OS: Linux") || !strings.Contains(notes, "remote version: 7.1.0") {
		t.Errorf("notes %q", notes)
	}
	if in.Clipboard[0].Line != 622 || in.Clipboard[1].Line != 623 {
		t.Errorf("clipboard %+v", in.Clipboard)
	}
}

// TestJoinSample: the service and user traces of one PC give one record per
// session: the 00:53:50 incoming session with IP (service), alias, clipboard
// and transfer (user), and the three outgoing attempts each seen twice.
func TestJoinSample(t *testing.T) {
	svc := parse(t, Trace{}, "/var/log/anydesk.trace", readSample(t, "artemis_linux_anydesk_var_log.trace"))
	usr := parse(t, Trace{}, "/home/ubu/.anydesk/anydesk.trace", readSample(t, "artemis_linux_anydesk.trace"))
	all := session.Join(append(append([]session.Record{}, svc.Sessions...), usr.Sessions...))
	wants := []want{
		serviceWant[0], serviceWant[1], serviceWant[2], serviceWant[3], serviceWant[4],
		{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:11.233", end: "2025-09-22 00:53:12.290", id: "1001025310", ip: "23.162.8.100", port: 58346},
		{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:40.767", end: "2025-09-22 00:53:41.382", id: "1001025310", ip: "23.162.8.100", port: 58346},
		{dir: session.Outgoing, outcome: session.AttemptOnly, start: "2025-09-22 00:53:46.002", end: "2025-09-22 00:53:46.657", id: "1001025310", ip: "23.162.8.100", port: 58346},
		{dir: session.Incoming, outcome: session.Established, start: "2025-09-22 00:53:50.850", end: "2025-09-22 00:57:14.139", id: "1001025310", ip: "23.162.8.100", port: 58346,
			name: "centos", auth: "interactive (accepted by the local user)", clip: 2, transfer: userWant[3].transfer},
	}
	check(t, "joined", all, wants)
	est := all[8]
	if len(est.Evidence) != len(svc.Sessions[8].Evidence)+len(usr.Sessions[3].Evidence) {
		t.Errorf("joined evidence %d, want every item of both", len(est.Evidence))
	}
	if est.Parser != "anydesk-trace" || !strings.Contains(est.Notes[0], "joined 2 records") {
		t.Errorf("parser %q notes %q", est.Parser, est.Notes)
	}
	established := 0
	for _, r := range all {
		if r.IsSession() {
			established++
		}
	}
	if established != 1 {
		t.Errorf("%d established sessions after join, want 1 (no double count)", established)
	}
}
