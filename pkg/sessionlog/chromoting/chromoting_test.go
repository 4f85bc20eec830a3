package chromoting

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// There is no public syslog with Chrome Remote Desktop host lines. These
// logs are built from the documented strings (session-artifacts.md §7;
// remoting/host/host_event_logger_posix.cc: openlog("chromoting"),
// "Client connected: %s", "Client disconnected: %s", "Access denied for
// client: %s", "Channel IP for client: %s ip='%s' host_ip='%s' channel='%s'
// connection='%s'") in the classic and ISO syslog layouts, with other
// programs' lines around them. IPs are documentation / Google relay
// addresses. The classic log crosses New Year (no year on the lines) and
// ends in a truncated line.
const jid = "helper@example.com/chromoting_ftl_5f2c"

const classic = "Dec 31 23:50:01 pc CRON[999]: (root) CMD (true)\n" +
	"Dec 31 23:55:00 pc chromoting[1234]: Host started for user: owner@example.com\n" +
	"Dec 31 23:58:00 pc chromoting[1234]: Client connected: " + jid + "\n" +
	"Dec 31 23:58:01 pc chromoting[1234]: Channel IP for client: " + jid + " ip='74.125.20.127:19305' host_ip='192.168.1.20:50000' channel='event' connection='relay'\n" +
	"Dec 31 23:58:02 pc chromoting[1234]: Channel IP for client: " + jid + " ip='198.51.100.77:61000' host_ip='192.168.1.20:50001' channel='video' connection='direct'\n" +
	"Jan  1 00:30:00 pc chromoting[1234]: Client disconnected: " + jid + "\n" +
	"Jan  1 00:31:00 pc sshd[55]: Client connected: fake@example.com/not_crd\n" +
	"Jan  1 01:00:00 pc remoting_me2me_host[1300]: Access denied for client: other@example.net/chromoting_ftl_aaaa\n" +
	"Jan  1 02:00:00 pc chromoting[1234]: Client connected: third@example.org/chromoting_ftl_bbbb\n" +
	"Jan  1 02:00:01 pc chromoting[1234]: Channel IP for client: third@example.org/chromoting_ftl_bbbb ip='74.125.20.128:19305' host_ip='192.168.1.20:50002' channel='video' connection='relay'\n" +
	"Jan  1 02:05:00 pc kernel: [  123.400] usb 1-1: new high-speed USB dev"

const iso = "2026-11-21T11:00:00.000000+01:00 host systemd[1]: Started Session 3 of user alice.\n" +
	"2026-11-21T11:13:20.123456+01:00 host chromoting[123]: Client connected: a@example.com/chromoting_ftl_1\n" +
	"2026-11-21T11:13:21.000000+01:00 host chromoting[123]: Channel IP for client: a@example.com/chromoting_ftl_1 ip='[2001:db8::9]:40000' host_ip='[2001:db8::1]:50000' channel='video' connection='stun'\n" +
	"2026-11-21T11:43:20.000000+01:00 host chromoting[123]: Client disconnected: a@example.com/chromoting_ftl_1.\n" +
	"2026-11-21T12:00:00.000000+01:00 host chromoting[123]: Client disconnected: b@example.com/chromoting_ftl_2\n"

var cet = time.FixedZone("CET", 3600)

func ts(t *time.Time) string { return logtest.FmtUTC(t, time.RFC3339Nano) }

type want struct {
	out        session.Outcome
	start, end string
	open       bool
	id, name   string
	ip         string
	port       uint32
	lines      []int
	notes      []string
}

func check(t *testing.T, path string, got []session.Record, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%d sessions, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		r := got[i]
		var lines []int
		for _, e := range r.Evidence {
			lines = append(lines, e.Line)
			if e.Kind != evidence.KindLogLine || e.Scanner != name || e.Path != path || e.Raw == "" || e.SHA256 != "" || len(e.Fields) == 0 || e.Time == nil || e.Offset <= 0 && e.Line > 1 {
				t.Errorf("#%d evidence %+v", i, e)
			}
		}
		if r.Tool != tool || r.Parser != name || r.Direction != session.Incoming || r.Outcome != w.out || ts(r.Start) != w.start || ts(r.End) != w.end ||
			r.Open != w.open || r.RemoteID != w.id || r.RemoteName != w.name || r.RemoteIP != w.ip || r.RemotePort != w.port ||
			!strings.Contains(r.TimeRule, "UTC") || !slices.Equal(lines, w.lines) {
			t.Errorf("#%d got %+v lines %v\nwant %+v", i, r, lines, w)
		}
		for _, n := range w.notes {
			if !slices.ContainsFunc(r.Notes, func(x string) bool { return strings.Contains(x, n) }) {
				t.Errorf("#%d no note %q in %q", i, n, r.Notes)
			}
		}
	}
}

var classicWants = []want{
	// Year from the file (Jan 2027): December lines are 2026. CET = UTC+1.
	{session.Established, "2026-12-31T22:58:00Z", "2026-12-31T23:30:00Z", false, jid, "helper@example.com", "198.51.100.77", 61000, []int{3, 4, 5, 6},
		[]string{"Google relay server", "channel video: connection direct", "syslog host: pc"}},
	{session.Rejected, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", false, "other@example.net/chromoting_ftl_aaaa", "other@example.net", "", 0, []int{8}, nil},
	{session.Established, "2027-01-01T01:00:00Z", "<nil>", true, "third@example.org/chromoting_ftl_bbbb", "third@example.org", "74.125.20.128", 19305, []int{9, 10},
		[]string{"relay address (only relay channels seen)"}},
}

func TestClassicSyslogAcrossNewYear(t *testing.T) {
	for _, crlf := range []bool{false, true} {
		data := classic
		if crlf {
			data = strings.ReplaceAll(data, "\n", "\r\n")
		}
		res, err := New().Parse(sessionlog.Input{Path: "/var/log/syslog", R: strings.NewReader(data), Location: cet,
			Modified: time.Date(2027, 1, 1, 3, 0, 0, 0, cet)})
		if err != nil {
			t.Fatal(err)
		}
		check(t, "/var/log/syslog", res.Sessions, classicWants)
		if res.Lines != 11 || ts(res.FirstTime) != "2026-12-31T22:50:01Z" || ts(res.LastTime) != "2027-01-01T01:05:00Z" || len(res.Errors) != 0 {
			t.Errorf("lines %d bounds %s %s errors %v", res.Lines, ts(res.FirstTime), ts(res.LastTime), res.Errors)
		}
		if k := res.Sessions[0].Key; k != "chrome-remote-desktop|pc|"+jid {
			t.Errorf("key %q", k)
		}
		if e := res.Sessions[0].Evidence[0]; e.Offset != int64(len(strings.SplitAfterN(data, "\n", 3)[0])+len(strings.SplitAfterN(data, "\n", 3)[1])) {
			t.Errorf("offset %d", e.Offset)
		}
	}
}

func TestISOSyslog(t *testing.T) {
	res, err := New().Parse(sessionlog.Input{Path: "messages", R: strings.NewReader(iso)})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "messages", res.Sessions, []want{
		{session.Established, "2026-11-21T10:13:20.123456Z", "2026-11-21T10:43:20Z", false, "a@example.com/chromoting_ftl_1", "a@example.com", "2001:db8::9", 40000, []int{2, 3, 4}, nil},
		{session.Established, "<nil>", "2026-11-21T11:00:00Z", false, "b@example.com/chromoting_ftl_2", "b@example.com", "", 0, []int{5}, []string{"start unknown"}},
	})
	if !strings.Contains(res.Sessions[0].TimeRule, "offset") {
		t.Errorf("rule %q", res.Sessions[0].TimeRule)
	}
}

func TestNoChromotingAndForeign(t *testing.T) {
	res, err := New().Parse(sessionlog.Input{Path: "s", R: strings.NewReader("Jan  1 00:31:00 pc sshd[55]: Client connected: x\nJan  1 00:32:00 pc chromium[5]: Client connected: y\n")})
	if err != nil || len(res.Sessions) != 0 || res.Lines != 2 {
		t.Errorf("%v %+v", err, res)
	}
	if _, err := New().Parse(sessionlog.Input{R: strings.NewReader("hello\nworld\n")}); err == nil {
		t.Error("plain text accepted")
	}
	bin := append([]byte("Jan  1 0\x01\x02\x03"), bytes.Repeat([]byte{0, 1, 2, 3, 250}, 300)...)
	if _, err := New().Parse(sessionlog.Input{R: bytes.NewReader(bin)}); !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 8") {
		t.Errorf("binary: %v", err)
	}
	if !New().Sniff([]byte(classic), "") || !New().Sniff([]byte(iso), "") || New().Sniff([]byte("Jan  1 00:31:00 pc sshd[55]: x\n"), "") || New().Sniff([]byte("chromoting"), "") {
		t.Error("sniff")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(classic))
	f.Add([]byte(iso))
	f.Add([]byte("Feb 29 00:00:00 h chromoting: Channel IP for client: x ip='[::1' host_ip=' channel='\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Modified: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Location: cet})
		if err != nil {
			return
		}
		for _, r := range res.Sessions {
			if len(r.Evidence) == 0 || r.Tool != tool || (r.Start != nil && r.Start.Location() != time.UTC) {
				t.Fatalf("%+v", r)
			}
		}
	})
}

// BenchmarkParse: the classic test log (most lines are chromoting lines,
// far denser than a real syslog) plus filler syslog lines of other
// programs, repeated to ≥ 20 MB.
func BenchmarkParse(b *testing.B) {
	filler := strings.Repeat("Dec 31 23:50:01 pc systemd[1]: Started Daily apt download activities (apt-daily.service) for the machine.\n", 50)
	unit := []byte(filler + classic + "\n")
	var buf bytes.Buffer
	for buf.Len() < 20<<20 {
		buf.Write(unit)
	}
	big := buf.Bytes()
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := New().Parse(sessionlog.Input{R: bytes.NewReader(big), Modified: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Location: time.UTC}); err != nil {
			b.Fatal(err)
		}
	}
}
