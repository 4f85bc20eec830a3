package session_test

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/anydesk"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/teamviewer"
)

func samples(t *testing.T, sub string) string {
	t.Helper()
	return shared.Path(t, "samples/"+sub)
}

func parseFile(t *testing.T, p sessionlog.Parser, dir, name, path string) []session.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Parse(sessionlog.Input{Path: path, R: bytes.NewReader(b)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Sessions
}

func ts(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// evidenceCount checks that joining kept every evidence item exactly once.
func evidenceCount(t *testing.T, in, out []session.Record) {
	t.Helper()
	n := func(rs []session.Record) int {
		c := 0
		for _, r := range rs {
			c += len(r.Evidence)
		}
		return c
	}
	if n(in) != n(out) {
		t.Errorf("evidence %d in, %d out", n(in), n(out))
	}
}

// The real TeamViewer pair: the TV15 log (local UTC-8, converted) and its
// Connections_incoming.txt row (UTC) describe one session:
// log 06:16:32.444–06:18:36.136 local = 14:16:32.444–14:18:36.136 UTC,
// row 14:16:32–14:18:36 UTC, partner 1660360496.
func TestJoinTeamViewerPair(t *testing.T) {
	dir := samples(t, "teamviewer")
	lg := parseFile(t, teamviewer.Log{}, dir, "plaso_TeamViewer15_Logfile.log", "TeamViewer15_Logfile.log")
	in := parseFile(t, teamviewer.ConnectionsIncoming{}, dir, "plaso_connections_incoming.txt", "Connections_incoming.txt")
	all := append(append([]session.Record{}, lg...), in...)
	out := session.Join(all)
	if len(out) != 1 {
		t.Fatalf("%d records, want 1", len(out))
	}
	r := out[0]
	if ts(r.Start) != "2024-02-16 14:16:32.444" || ts(r.End) != "2024-02-16 14:18:36.136" || r.Duration != "2m3.692s" || r.Open ||
		r.Outcome != session.Established || r.RemoteID != "1660360496" || r.LocalUser != "IEUser" || r.AuthMethod != "dynamic password" ||
		r.RemoteName != "TestAccountRedacted" || len(r.Transfers) != 2 || r.Parser != "teamviewer-log+teamviewer-connections-incoming" {
		t.Errorf("%+v", r)
	}
	evidenceCount(t, all, out)
	// Order does not change the result's times.
	out2 := session.Join(append(append([]session.Record{}, in...), lg...))
	if len(out2) != 1 || ts(out2[0].Start) != ts(r.Start) || ts(out2[0].End) != ts(r.End) || out2[0].RemoteName != "TestUserRedacted" {
		t.Errorf("reversed: %+v", out2)
	}
}

// The AnyDesk sample: service trace (9 records) + user trace (4) = 9
// sessions; the established one carries both files' facts.
func TestJoinAnyDeskSample(t *testing.T) {
	dir := samples(t, "anydesk")
	svc := parseFile(t, anydesk.Trace{}, dir, "artemis_linux_anydesk_var_log.trace", "/var/log/anydesk.trace")
	usr := parseFile(t, anydesk.Trace{}, dir, "artemis_linux_anydesk.trace", "/home/ubu/.anydesk/anydesk.trace")
	all := append(append([]session.Record{}, svc...), usr...)
	out := session.Join(all)
	if len(svc) != 9 || len(usr) != 4 || len(out) != 9 {
		t.Fatalf("%d + %d -> %d", len(svc), len(usr), len(out))
	}
	est := 0
	for _, r := range out {
		if r.IsSession() {
			est++
			if ts(r.Start) != "2025-09-22 00:53:50.850" || ts(r.End) != "2025-09-22 00:57:14.139" || r.RemoteIP != "23.162.8.100" ||
				r.RemoteName != "centos" || len(r.Clipboard) != 2 || len(r.Transfers) != 1 {
				t.Errorf("established %+v", r)
			}
		}
	}
	if est != 1 {
		t.Errorf("%d established", est)
	}
	evidenceCount(t, all, out)
}

func tp(s string) *time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return &t
}

func rec(parser, path string, dir session.Direction, out session.Outcome, id, start, end string, open bool) session.Record {
	r := session.Record{Tool: "t", Parser: parser, Direction: dir, Outcome: out, RemoteID: id, Open: open,
		Evidence: []evidence.Evidence{{Kind: evidence.KindLogLine, Path: path, Line: 1}}}
	if start != "" {
		r.Start = tp(start)
	}
	if end != "" {
		r.End = tp(end)
	}
	if parser == "ct" { // connection_trace.txt rows: minute resolution
		r.MinuteTimes = true
	}
	return r
}

func TestJoinRules(t *testing.T) {
	in, est := session.Incoming, session.Established
	t.Run("different peer, tool, direction or time stay apart", func(t *testing.T) {
		a := rec("p", "a", in, est, "1", "2024-01-01 10:00:00.100", "2024-01-01 10:10:00.100", false)
		b := rec("q", "b", in, est, "2", "2024-01-01 10:00:00.200", "2024-01-01 10:10:00.000", false)
		c := rec("q", "c", session.Outgoing, est, "1", "2024-01-01 10:00:00.200", "2024-01-01 10:10:00.000", false)
		d := rec("q", "d", in, est, "1", "2024-01-01 10:20:00.000", "2024-01-01 10:30:00.000", false)
		e := rec("q", "e", in, est, "1", "2024-01-01 10:00:00.000", "2024-01-01 10:10:00.000", false)
		e.Tool = "other"
		if out := session.Join([]session.Record{a, b, c, d, e}); len(out) != 5 {
			t.Errorf("%d records", len(out))
		}
	})
	t.Run("same artifact never joins itself", func(t *testing.T) {
		a := rec("p", "a", in, est, "1", "2024-01-01 10:00:00.100", "2024-01-01 10:00:05.000", false)
		b := rec("p", "a", in, est, "1", "2024-01-01 10:00:30.000", "2024-01-01 10:05:00.000", false)
		c := rec("ct", "c", in, est, "1", "2024-01-01 10:00:00.000", "", false) // minute row
		out := session.Join([]session.Record{a, b, c})
		if len(out) != 2 || !strings.Contains(out[0].Parser, "ct") || out[1].Parser != "p" {
			t.Errorf("%+v", out)
		}
	})
	t.Run("most precise times win; minute row never moves them", func(t *testing.T) {
		a := rec("ct", "connection_trace.txt", in, est, "1", "2024-02-16 20:29:00.000", "", false)
		b := rec("tr", "ad.trace", in, est, "1", "2024-02-16 20:29:04.298", "2024-02-16 20:40:00.100", false)
		c := rec("tv", "x", in, est, "1", "2024-02-16 20:29:04.000", "2024-02-16 20:40:01.000", false)
		out := session.Join([]session.Record{a, b, c})
		if len(out) != 1 || ts(out[0].Start) != "2024-02-16 20:29:04.298" || ts(out[0].End) != "2024-02-16 20:40:00.100" || out[0].Open {
			t.Errorf("%+v", out)
		}
		if !strings.Contains(out[0].Notes[0], "start from tr (ad.trace)") || !strings.Contains(out[0].Notes[0], "end from tr (ad.trace)") {
			t.Errorf("notes %q", out[0].Notes)
		}
	})
	t.Run("established never joins rejected", func(t *testing.T) {
		a := rec("ct", "c", in, session.Rejected, "1", "2024-02-16 20:29:00.000", "", false)
		b := rec("tr", "t", in, est, "1", "2024-02-16 20:29:04.298", "2024-02-16 20:40:00.100", false)
		if out := session.Join([]session.Record{a, b}); len(out) != 2 {
			t.Errorf("%d", len(out))
		}
	})
	t.Run("rotated log: start-less part continues the open record", func(t *testing.T) {
		old := rec("tv", "old", in, est, "1", "2024-01-01 10:00:00.100", "", true)
		frag := rec("tv", "new", in, session.AttemptOnly, "1", "", "2024-01-01 11:00:00.100", false)
		frag2 := rec("tv", "new", in, session.AttemptOnly, "1", "", "2024-01-01 11:30:00.100", false)
		out := session.Join([]session.Record{old, frag, frag2})
		if len(out) != 2 || ts(out[0].Start) != "2024-01-01 10:00:00.100" || ts(out[0].End) != "2024-01-01 11:00:00.100" ||
			out[0].Open || out[0].Outcome != est || out[0].Duration != "1h0m0s" {
			t.Errorf("%+v", out)
		}
		// A start-less part does not join a record that ended elsewhere.
		closed := rec("tv", "old", in, est, "1", "2024-01-01 10:00:00.100", "2024-01-01 10:05:00.000", false)
		if out := session.Join([]session.Record{closed, frag}); len(out) != 2 {
			t.Errorf("joined a closed record: %+v", out)
		}
	})
	t.Run("open stays open only without an end", func(t *testing.T) {
		a := rec("tr", "t", in, est, "1", "2024-01-01 10:00:00.100", "", true)
		b := rec("ct", "c", in, est, "1", "2024-01-01 10:00:00.000", "", false)
		out := session.Join([]session.Record{a, b})
		if len(out) != 1 || !out[0].Open || out[0].End != nil {
			t.Errorf("%+v", out)
		}
	})
	t.Run("peer by IP when an ID is missing", func(t *testing.T) {
		a := rec("x", "a", in, est, "", "2024-01-01 10:00:00.100", "2024-01-01 10:10:00.000", false)
		b := rec("y", "b", in, est, "", "2024-01-01 10:00:01.000", "2024-01-01 10:10:00.000", false)
		a.RemoteIP, b.RemoteIP = "192.0.2.1", "192.0.2.1"
		c := rec("z", "c", in, est, "", "2024-01-01 10:00:01.000", "2024-01-01 10:10:00.000", false)
		if out := session.Join([]session.Record{a, b, c}); len(out) != 2 || out[0].RemoteIP != "192.0.2.1" {
			t.Errorf("%+v", out)
		}
	})
	t.Run("transfers and clipboard are a union without duplicates", func(t *testing.T) {
		a := rec("x", "a", in, est, "1", "2024-01-01 10:00:00.100", "2024-01-01 10:10:00.000", false)
		b := rec("y", "b", in, est, "1", "2024-01-01 10:00:01.000", "2024-01-01 10:10:00.000", false)
		a.Transfers = []session.Transfer{{Time: tp("2024-01-01 10:01:00.000"), Direction: "to_host", Name: "x.exe", Line: 5},
			{Time: tp("2024-01-01 10:01:00.000"), Direction: "to_host", Name: "x.exe", Line: 6}} // sent twice: two transfers
		b.Transfers = []session.Transfer{{Time: tp("2024-01-01 10:01:00.000"), Direction: "unknown", Name: "x.exe", Size: 9},
			{Direction: "unknown"}, {Time: tp("2024-01-01 10:02:00.000"), Direction: "from_host", Name: "secret.docx"}}
		a.Clipboard = []session.Event{{Time: tp("2024-01-01 10:03:00.000"), What: "text"}}
		b.Clipboard = []session.Event{{Time: tp("2024-01-01 10:03:00.500"), What: "text"}, {Time: tp("2024-01-01 10:04:00.000"), What: "text"}}
		a.Input = map[string]int{"keys": 10}
		b.Input = map[string]int{"keys": 7, "pointer": 3}
		out := session.Join([]session.Record{a, b})
		if len(out) != 1 {
			t.Fatalf("%d", len(out))
		}
		r := out[0]
		if len(r.Transfers) != 3 || r.Transfers[0].Size != 9 || r.Transfers[2].Name != "secret.docx" || len(r.Clipboard) != 2 ||
			r.Input["keys"] != 10 || r.Input["pointer"] != 3 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("closest partner first", func(t *testing.T) {
		// Two attempts and a session from one trace; two minute rows.
		a1 := rec("tr", "t", in, session.AttemptOnly, "1", "2024-01-01 10:00:00.100", "2024-01-01 10:00:05.000", false)
		s1 := rec("tr", "t", in, est, "1", "2024-01-01 10:01:30.000", "2024-01-01 10:20:00.000", false)
		rj := rec("ct", "c", in, session.Rejected, "1", "2024-01-01 10:00:00.000", "", false)
		ok := rec("ct", "c", in, est, "1", "2024-01-01 10:01:00.000", "", false)
		out := session.Join([]session.Record{a1, s1, rj, ok})
		if len(out) != 2 || out[0].Outcome != session.Rejected || out[1].Outcome != est || ts(out[1].Start) != "2024-01-01 10:01:30.000" {
			t.Errorf("%+v", out)
		}
	})
}

// TestJoinMany: 2000 sessions each seen in two artifacts join pairwise in
// well under a second (guards against quadratic blow-ups in grouping).
func TestJoinMany(t *testing.T) {
	var recs []session.Record
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		s := base.Add(time.Duration(i) * 10 * time.Minute)
		e := s.Add(5 * time.Minute)
		a := session.Record{Tool: "teamviewer", Parser: "log", Direction: session.Incoming, Outcome: session.Established,
			RemoteID: strconvI(i % 7), Start: session.T(s.Add(123 * time.Millisecond)), End: session.T(e),
			Evidence: []evidence.Evidence{{Path: "log"}}}
		b := session.Record{Tool: "teamviewer", Parser: "incoming", Direction: session.Incoming, Outcome: session.Established,
			RemoteID: strconvI(i % 7), Start: session.T(s), End: session.T(e), Evidence: []evidence.Evidence{{Path: "inc"}}}
		recs = append(recs, a, b)
	}
	out := session.Join(recs)
	if len(out) != 2000 {
		t.Fatalf("%d records", len(out))
	}
	for i, r := range out {
		if len(r.Evidence) != 2 || r.Start.Nanosecond() != 123e6 {
			t.Fatalf("#%d %+v", i, r)
		}
	}
}

// oneSource is n records of one capture: the same peer, overlapping times.
func oneSource(n int) []session.Record {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]session.Record, n)
	for i := range recs {
		s := base.Add(time.Duration(i) * time.Second)
		recs[i] = session.Record{Tool: "windows-rdp", Parser: "wire", Direction: session.DirectionUnknown, Outcome: session.Established,
			RemoteIP: "192.0.2.7", Start: session.T(s), End: session.T(s.Add(time.Minute)), Evidence: []evidence.Evidence{{Path: "big.pcap"}}}
	}
	return recs
}

// TestJoinOneSourceKeepsAll: records of one source are never joined with
// each other, however alike.
func TestJoinOneSourceKeepsAll(t *testing.T) {
	if out := session.Join(oneSource(3000)); len(out) != 3000 {
		t.Fatalf("%d records, want all 3000", len(out))
	}
}

// BenchmarkJoinOneSource: a capture's 20,000 sessions of one tool (only
// pairs across sources are scored, so this is linear).
func BenchmarkJoinOneSource(b *testing.B) {
	recs := oneSource(20000)
	for b.Loop() {
		session.Join(recs)
	}
}

// BenchmarkJoinTwoSources: 2,000 sessions in a TeamViewer log and in its
// Connections_incoming.txt.
func BenchmarkJoinTwoSources(b *testing.B) {
	var recs []session.Record
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		s := base.Add(time.Duration(i) * 10 * time.Minute)
		recs = append(recs,
			session.Record{Tool: "teamviewer", Parser: "log", Direction: session.Incoming, Outcome: session.Established,
				RemoteID: strconvI(i % 7), Start: session.T(s), End: session.T(s.Add(5 * time.Minute)), Evidence: []evidence.Evidence{{Path: "log"}}},
			session.Record{Tool: "teamviewer", Parser: "incoming", Direction: session.Incoming, Outcome: session.Established,
				RemoteID: strconvI(i % 7), Start: session.T(s), End: session.T(s.Add(5 * time.Minute)), Evidence: []evidence.Evidence{{Path: "inc"}}})
	}
	for b.Loop() {
		session.Join(recs)
	}
}

func strconvI(i int) string { return string(rune('0' + i)) }

// Two servers' logs each record a connection from 127.0.0.1 at overlapping
// times, from different client ports: two sessions, not one.
func TestJoinKeepsDifferentPortsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 11, 26, 39, 0, time.UTC)
	mk := func(path string, port uint32) session.Record {
		r := session.Record{Tool: "x11vnc", Parser: "x11vnc", Direction: session.Incoming, Outcome: session.Established, RemoteIP: "127.0.0.1", RemotePort: port,
			Start: session.T(t0), End: session.T(t0.Add(25 * time.Second)), Evidence: []evidence.Evidence{{Kind: evidence.KindLogLine, Path: path, Line: 1}}}
		r.Finish()
		return r
	}
	got := session.Join([]session.Record{mk("/a/x11vnc.log", 33854), mk("/b/x11vnc.log", 33860)})
	if len(got) != 2 {
		t.Fatalf("joined %d records into %d", 2, len(got))
	}
	same := session.Join([]session.Record{mk("/a/x11vnc.log", 33854), mk("/b/x11vnc.log", 33854)})
	if len(same) != 1 {
		t.Fatalf("same connection seen in two logs: %d records, want 1", len(same))
	}
}
