package teamviewer

import (
	"bytes"
	"errors"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// sampleDir resolves <repo root>/../shared/samples/<sub> by walking up to
// go.mod. The plaso samples (Apache-2.0, shared/samples/teamviewer/SOURCES.md)
// are read in place.
func sampleDir(t testing.TB, sub string) string {
	t.Helper()
	return shared.Path(t, "samples/"+sub)
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir(t, "teamviewer"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, p sessionlog.Parser, path string, data []byte, loc *time.Location) sessionlog.Result {
	t.Helper()
	res, err := p.Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data), Location: loc})
	if err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	return res
}

func ts(t *time.Time) string { return logtest.Fmt(t, "2006-01-02 15:04:05.000") }

type xfer struct {
	dir, name, time string
	line            int
}

type want struct {
	dir                session.Direction
	outcome            session.Outcome
	start, end         string
	open               bool
	id, ip, name, user string
	auth               string
	clip               int
	transfers          []xfer
	ruleHas            string
	parser             string
}

func check(t *testing.T, label string, got []session.Record, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, r := range got {
			t.Logf("got %s %s %s-%s id=%s", r.Direction, r.Outcome, ts(r.Start), ts(r.End), r.RemoteID)
		}
		t.Fatalf("%s: %d sessions, want %d", label, len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if r.Tool != "teamviewer" || r.Direction != w.dir || r.Outcome != w.outcome || ts(r.Start) != w.start || ts(r.End) != w.end || r.Open != w.open {
			t.Errorf("%s #%d: %s %s %s..%s open=%v, want %s %s %s..%s open=%v", label, i, r.Direction, r.Outcome, ts(r.Start), ts(r.End), r.Open,
				w.dir, w.outcome, w.start, w.end, w.open)
		}
		if r.RemoteID != w.id || r.RemoteIP != w.ip || r.RemoteName != w.name || r.LocalUser != w.user || r.AuthMethod != w.auth {
			t.Errorf("%s #%d: id=%q ip=%q name=%q user=%q auth=%q, want %q %q %q %q %q", label, i, r.RemoteID, r.RemoteIP, r.RemoteName, r.LocalUser, r.AuthMethod,
				w.id, w.ip, w.name, w.user, w.auth)
		}
		if len(r.Clipboard) != w.clip {
			t.Errorf("%s #%d: %d clipboard events, want %d", label, i, len(r.Clipboard), w.clip)
		}
		if len(r.Transfers) != len(w.transfers) {
			t.Errorf("%s #%d: transfers %+v, want %+v", label, i, r.Transfers, w.transfers)
		} else {
			for k, x := range w.transfers {
				g := r.Transfers[k]
				if g.Direction != x.dir || g.Name != x.name || ts(g.Time) != x.time || g.Line != x.line {
					t.Errorf("%s #%d transfer %d: %+v at %s, want %+v", label, i, k, g, ts(g.Time), x)
				}
			}
		}
		if w.ruleHas != "" && !strings.Contains(r.TimeRule, w.ruleHas) {
			t.Errorf("%s #%d: time rule %q lacks %q", label, i, r.TimeRule, w.ruleHas)
		}
		if w.parser != "" && r.Parser != w.parser {
			t.Errorf("%s #%d: parser %q, want %q", label, i, r.Parser, w.parser)
		}
		if r.Start != nil && r.End != nil && r.Duration != r.End.Sub(*r.Start).String() {
			t.Errorf("%s #%d: duration %q", label, i, r.Duration)
		}
		if len(r.Evidence) == 0 || (r.RemoteID != "" && r.Key == "") {
			t.Errorf("%s #%d: %d evidence, key %q", label, i, len(r.Evidence), r.Key)
		}
		for _, e := range r.Evidence {
			if e.Kind != "log-line" || e.Line <= 0 || e.Raw == "" || len(e.Fields) == 0 || e.SHA256 != "" {
				t.Errorf("%s #%d: bad evidence %+v", label, i, e)
			}
		}
	}
}

// The TV15 log, read by hand. Header line 19: "Start: 2024/02/16 06:05:19.548
// (UTC-8:00)" (again at line 309), so UTC = local + 8 h. One incoming session:
//   - l. 557 06:16:32.444 "CreatePassiveSession(): incoming session via gb-man-anx-r001…"
//   - l. 618 "AuthenticationBlocker::Allocate: allocate ok for DyngateID 1660360496"
//   - l. 624 06:16:47.312 "authentication using dynamic password was successful"
//   - l. 648 "AddParticipant: [1660360496,115469523] type=6 name=TestAccountRedacted"
//   - StreamType_Clipboard at l. 802, 835, 957, 959, 961 (5)
//   - StreamType_File at l. 940, 941, 947, 952; the remote's files could not
//     be written: l. 948 06:18:02.205 "cert-bundle.crt" and l. 953
//     06:18:14.750 "test" (FileManager::CreateRecursiveDirectory: Access is denied)
//   - l. 984 06:18:36.136 "SessionStatistics[2] Session to 1660360496 ended."
//
// No "punch received a=" line (only "punching: (*)"), so no partner IP.
var logWant = want{dir: session.Incoming, outcome: session.Established,
	start: "2024-02-16 14:16:32.444", end: "2024-02-16 14:18:36.136",
	id: "1660360496", name: "TestAccountRedacted", auth: "dynamic password", clip: 5,
	transfers: []xfer{
		{"to_host", "cert-bundle.crt", "2024-02-16 14:18:02.205", 948},
		{"to_host", "test", "2024-02-16 14:18:14.750", 953},
	},
	ruleHas: "UTC-8:00", parser: "teamviewer-log"}

// Connections_incoming.txt: empty first line, then
// 1660360496 \t TestUserRedacted \t 16-02-2024 14:16:32 \t 16-02-2024 14:18:36 \t IEUser \t RemoteControl \t {b3a4df33-…} \t
var incomingWant = want{dir: session.Incoming, outcome: session.Established,
	start: "2024-02-16 14:16:32.000", end: "2024-02-16 14:18:36.000",
	id: "1660360496", name: "TestUserRedacted", user: "IEUser", parser: "teamviewer-connections-incoming"}

// Connections.txt (space padded): 1660360496  20-02-2024 13:10:33  20-02-2024 13:11:52  IEUser  RemoteControl  {b35110b2-…}
var outgoingWant = want{dir: session.Outgoing, outcome: session.Established,
	start: "2024-02-20 13:10:33.000", end: "2024-02-20 13:11:52.000",
	id: "1660360496", user: "IEUser", parser: "teamviewer-connections"}

const logPath = `C:\Program Files\TeamViewer\TeamViewer15_Logfile.log`

func TestLogSample(t *testing.T) {
	res := parse(t, Log{}, logPath, readSample(t, "plaso_TeamViewer15_Logfile.log"), nil)
	check(t, "TV15 log", res.Sessions, []want{logWant})
	if res.Lines != 1049 || ts(res.FirstTime) != "2024-02-16 14:05:19.349" || ts(res.LastTime) != "2024-02-16 14:18:36.370" {
		t.Errorf("lines %d, bounds %s .. %s", res.Lines, ts(res.FirstTime), ts(res.LastTime))
	}
	// The UTC conversion agrees with the router clock the log itself quotes:
	// l. 610 at 06:16:33.262 local says "received router time: 20240216T141637".
	r := res.Sessions[0]
	if r.Evidence[0].Line != 557 || r.Evidence[0].Offset <= 0 || ts(r.Evidence[0].Time) != "2024-02-16 14:16:32.444" {
		t.Errorf("first evidence %+v", r.Evidence[0])
	}
}

func TestConnectionsSamples(t *testing.T) {
	in := parse(t, ConnectionsIncoming{}, `C:\Program Files\TeamViewer\Connections_incoming.txt`, readSample(t, "plaso_connections_incoming.txt"), nil)
	check(t, "incoming", in.Sessions, []want{incomingWant})
	if in.Lines != 2 || in.Sessions[0].Evidence[0].Line != 2 || in.Sessions[0].Evidence[0].Offset != 1 {
		t.Errorf("lines %d evidence %+v", in.Lines, in.Sessions[0].Evidence[0])
	}
	out := parse(t, Connections{}, `C:\Program Files\TeamViewer\Connections.txt`, readSample(t, "plaso_Connections.txt"), nil)
	check(t, "outgoing", out.Sessions, []want{outgoingWant})
}

// TestJoinLogAndIncoming: the log (local → UTC) and the UTC row are one
// session; the log's millisecond times win, the row adds the local user.
func TestJoinLogAndIncoming(t *testing.T) {
	lg := parse(t, Log{}, logPath, readSample(t, "plaso_TeamViewer15_Logfile.log"), nil)
	in := parse(t, ConnectionsIncoming{}, "Connections_incoming.txt", readSample(t, "plaso_connections_incoming.txt"), nil)
	out := parse(t, Connections{}, "Connections.txt", readSample(t, "plaso_Connections.txt"), nil)
	all := session.Join(append(append(append([]session.Record{}, lg.Sessions...), in.Sessions...), out.Sessions...))
	j := logWant
	j.user = "IEUser"
	j.parser = "teamviewer-log+teamviewer-connections-incoming"
	check(t, "joined", all, []want{j, outgoingWant})
	if len(all[0].Evidence) != len(lg.Sessions[0].Evidence)+1 {
		t.Errorf("evidence %d", len(all[0].Evidence))
	}
	notes := strings.Join(all[0].Notes, "|")
	if !strings.Contains(notes, `remote_name also "TestUserRedacted"`) || !strings.Contains(notes, "start from teamviewer-log") {
		t.Errorf("notes %q", notes)
	}
}

// TestRotatedMidSession: the real log cut inside the session (line 900):
// _OLD has the start and authentication, the new file (no header: the zone
// comes from Input.Location) the transfers and the end. Join gives the one
// session of the unsplit log.
func TestRotatedMidSession(t *testing.T) {
	data := readSample(t, "plaso_TeamViewer15_Logfile.log")
	lines := bytes.SplitAfter(data, []byte("\n"))
	old := bytes.Join(lines[:900], nil)
	cur := bytes.Join(lines[900:], nil)
	pst := time.FixedZone("PST", -8*3600)
	o := parse(t, Log{}, `C:\Program Files\TeamViewer\TeamViewer15_Logfile_OLD.log`, old, nil)
	n := parse(t, Log{}, logPath, cur, pst)
	openWant := want{dir: session.Incoming, outcome: session.Established, start: "2024-02-16 14:16:32.444", end: "<nil>", open: true,
		id: "1660360496", name: "TestAccountRedacted", auth: "dynamic password", clip: 2, ruleHas: "UTC-8:00"}
	check(t, "_OLD", o.Sessions, []want{openWant})
	// Line numbers in the new file restart: 948 and 953 become 48 and 53.
	newTransfers := []xfer{
		{"to_host", "cert-bundle.crt", "2024-02-16 14:18:02.205", 48},
		{"to_host", "test", "2024-02-16 14:18:14.750", 53},
	}
	fragWant := want{dir: session.Incoming, outcome: session.Established, start: "<nil>", end: "2024-02-16 14:18:36.136",
		id: "1660360496", clip: 3, transfers: newTransfers, ruleHas: "scan's zone PST"}
	check(t, "new", n.Sessions, []want{fragWant})

	in := parse(t, ConnectionsIncoming{}, "Connections_incoming.txt", readSample(t, "plaso_connections_incoming.txt"), nil)
	all := session.Join(append(append(append([]session.Record{}, o.Sessions...), n.Sessions...), in.Sessions...))
	j := logWant
	j.user = "IEUser"
	j.parser = "teamviewer-log+teamviewer-connections-incoming"
	j.ruleHas = ""
	j.transfers = newTransfers
	check(t, "rotated joined", all, []want{j})
	if !strings.Contains(all[0].Notes[0], "joined 3 records") {
		t.Errorf("notes %q", all[0].Notes)
	}
}

// TestNoHeaderNoZone: without header and zone the local time is taken as
// UTC, and the rule says so.
func TestNoHeaderNoZone(t *testing.T) {
	lines := bytes.SplitAfter(readSample(t, "plaso_TeamViewer15_Logfile.log"), []byte("\n"))
	res := parse(t, Log{}, "x.log", bytes.Join(lines[500:], nil), nil)
	if len(res.Sessions) != 1 || ts(res.Sessions[0].Start) != "2024-02-16 06:16:32.444" || !strings.Contains(res.Sessions[0].TimeRule, "taken as UTC") {
		t.Fatalf("%+v", res.Sessions)
	}
}

// documentedLog is built from the TV12/TV13 wordings quoted in
// session-artifacts.md §2.3 (no licensed sample of them here): a wrong
// password, then a fixed-password session with a punch IP, under a +1:00
// header, with CRLF line ends and a truncated last line.
const documentedLog = "Start:              2024/03/01 10:00:00.000 (UTC+1:00)\r\n" +
	"2024/03/01 10:05:00.000  1000       2000 S0   CommandHandlerRouting[3]::CreatePassiveSession(): incoming session via de-fra-anx-r001.router.teamviewer.com, protocol Tcp\r\n" +
	"2024/03/01 10:05:01.000  1000       2000 S0   AuthenticationBlocker::Allocate: allocate ok for DyngateID 483589461, attempt number 1\r\n" +
	"2024/03/01 10:05:10.000  3000       4000 D1   CAuthenticationSRP_Passive, Step_Receive_VerifyClientSecret: clientSecret!=serverSecret\r\n" +
	"2024/03/01 10:05:12.000  1000       2000 S0   CGatewaySession[20]::EndSession(): Session to 483589461 ended. Estimated capacity=1kBit/s\r\n" +
	"2024/03/01 11:00:00.000  1000       2000 S0   CommandHandlerRouting[4]::CreatePassiveSession(): incoming session via de-fra-anx-r001.router.teamviewer.com, protocol Tcp\r\n" +
	"2024/03/01 11:00:01.000  1000       2000 S0   AuthenticationBlocker::Allocate: allocate ok for DyngateID 977352472, attempt number 1\r\n" +
	"2024/03/01 11:00:05.000  3000       4000 D1   AuthenticationPasswordLogin_Passive::RunAuthenticationMethod: authentication using fixed password was successful\r\n" +
	"2024/03/01 11:00:06.000  1000       2000 S0   CPersistentParticipantManager::AddParticipant: [977352472,-418464655] type=6 name=Landon Ross\r\n" +
	"2024/03/01 11:00:07.000  1000       2000 S0   UDP: punch received a=172.58.24.56:40099: (*)\r\n" +
	"2024/03/01 11:03:00.000  1000       2000 S0   CGatewaySession[21]::EndSession(): Session to 977352472 ended. Estimated capacity=1kBit/s\r\n" +
	"2024/03/01 11:04:00.0"

func TestDocumentedLines(t *testing.T) {
	res := parse(t, Log{}, "TeamViewer13_Logfile.log", []byte(documentedLog), nil)
	check(t, "documented", res.Sessions, []want{
		{dir: session.Incoming, outcome: session.FailedAuth, start: "2024-03-01 09:05:00.000", end: "2024-03-01 09:05:12.000", id: "483589461", ruleHas: "UTC+1:00"},
		{dir: session.Incoming, outcome: session.Established, start: "2024-03-01 10:00:00.000", end: "2024-03-01 10:03:00.000", id: "977352472",
			ip: "172.58.24.56", name: "Landon Ross", auth: "fixed password"},
	})
	if res.Sessions[1].RemotePort != 40099 || res.Lines != 12 {
		t.Errorf("port %d lines %d", res.Sessions[1].RemotePort, res.Lines)
	}
}

func TestBinaryAndForeignInput(t *testing.T) {
	bin := append([]byte("2024/\x01\x02\x03\x04\x05\x06"), bytes.Repeat([]byte{0, 1, 2, 3, 250}, 300)...)
	for _, p := range Parsers() {
		_, err := p.Parse(sessionlog.Input{Path: "x", R: bytes.NewReader(bin)})
		if err == nil || !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 5") {
			t.Errorf("%s: %v", p.Name(), err)
		}
		if _, err := p.Parse(sessionlog.Input{Path: "x", R: strings.NewReader("just\nsome text\n")}); err == nil {
			t.Errorf("%s accepted plain text", p.Name())
		}
	}
}

func TestSniff(t *testing.T) {
	lg := readSample(t, "plaso_TeamViewer15_Logfile.log")[:4096]
	in := readSample(t, "plaso_connections_incoming.txt")
	out := readSample(t, "plaso_Connections.txt")
	if !(Log{}).Sniff(lg, "") || (Log{}).Sniff(in, "") || (Log{}).Sniff(out, "") {
		t.Error("log sniff")
	}
	if !(ConnectionsIncoming{}).Sniff(in, "") || (ConnectionsIncoming{}).Sniff(out, "") || (ConnectionsIncoming{}).Sniff(lg, "") {
		t.Error("incoming sniff")
	}
	if !(Connections{}).Sniff(out, "") || (Connections{}).Sniff(in, "") || (Connections{}).Sniff(lg, "") {
		t.Error("outgoing sniff")
	}
}
