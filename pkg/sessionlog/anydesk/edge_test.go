package anydesk

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

func utf16le(s string, bom bool) []byte { return logtest.UTF16LE(s, bom) }

// portableTrace is a Windows portable ad.trace built from the documented
// line layout and the real Windows lines quoted in session-artifacts.md §1.2
// (bi0sCTF "verboten": Incoming session request: Richard Beard (221436813);
// "Cyber Kraken": lsvc Logged in from 77.232.122.31:4026) and the documented
// auth message "Authenticated with permanent token." — no public Windows
// trace with a session exists. Service (lsvc) and UI (back) lines of one
// session share the file and must give one record.
const portableTrace = "" +
	"   info 2024-02-16 20:20:00.100       lsvc   6572   5380   11                anynet.any_socket - Accept request from 221436813 (via relay).\r\n" +
	"   info 2024-02-16 20:20:00.200       lsvc   6572   5380   30                      app.service - Creating a ANY accept socket.\r\n" +
	"   info 2024-02-16 20:20:00.300       lsvc   6572   5380   31                anynet.any_socket - Accept fiber spawned.\r\n" +
	"   info 2024-02-16 20:20:00.400       lsvc   6572   5380   31                anynet.any_socket - Logged in from 77.232.122.31:4026 on relay 872f8937.\r\n" +
	"   info 2024-02-16 20:20:05.000       lsvc   6572   5380   30                      app.service - Fiber exit (net).\r\n" +
	"   info 2024-02-16 20:29:03.900       lsvc   6572   5380   11                anynet.any_socket - Accept request from 221436813 (via relay).\r\n" +
	"   info 2024-02-16 20:29:04.010       lsvc   6572   5380   22                anynet.any_socket - Logged in from 77.232.122.31:4026 on relay 872f8937.\r\n" +
	"   info 2024-02-16 20:29:04.298       back   4668   6440                   app.backend_session - Incoming session request: Richard Beard (221436813)\r\n" +
	"   info 2024-02-16 20:29:09.000       lsvc   6572   5380   23                      app.session - Authenticated with permanent token.\r\n" +
	"   info 2024-02-16 20:31:00.000       lsvc   6572   5380   23                      app.session - Issuing a permanent token.\r\n" +
	"   info 2024-02-16 20:40:00.000       back   4668   6440                   app.backend_session - Session stopped.\r\n" +
	"   info 2024-02-16 20:40:00.100       lsvc   6572   5380   23                      app.session - Session closed by remote side.\r\n"

// connTrace: the two documented row shapes (§1.3) for the same peer.
const connTrace = "Incoming    2024-02-16, 20:20    REJECTED                          221436813    221436813\r\n" +
	"Incoming    2024-02-16, 20:29    Token                             221436813    221436813\r\n"

func TestPortableTraceOneFile(t *testing.T) {
	res := parse(t, Trace{}, `C:\Users\u\AppData\Roaming\AnyDesk\ad.trace`, []byte(portableTrace))
	wants := []want{
		{dir: session.Incoming, outcome: session.AttemptOnly, start: "2024-02-16 20:20:00.100", end: "2024-02-16 20:20:05.000", id: "221436813", ip: "77.232.122.31", port: 4026},
		{dir: session.Incoming, outcome: session.Established, start: "2024-02-16 20:29:03.900", end: "2024-02-16 20:40:00.100", id: "221436813", ip: "77.232.122.31", port: 4026,
			name: "Richard Beard", auth: "token"},
	}
	check(t, "portable", res.Sessions, wants)
	if !strings.Contains(strings.Join(res.Sessions[1].Notes, "|"), "without a password") {
		t.Errorf("permanent token not noted: %q", res.Sessions[1].Notes)
	}
}

// TestJoinConnectionTrace: the REJECTED row joins the attempt, the Token row
// the accepted session; the minute-resolution rows never move the start.
func TestJoinConnectionTrace(t *testing.T) {
	tr := parse(t, Trace{}, "ad.trace", []byte(portableTrace))
	ct := parse(t, ConnectionTrace{}, "connection_trace.txt", utf16le(connTrace, false))
	all := session.Join(append(tr.Sessions, ct.Sessions...))
	wants := []want{
		{dir: session.Incoming, outcome: session.Rejected, start: "2024-02-16 20:20:00.100", end: "2024-02-16 20:20:05.000", id: "221436813", ip: "77.232.122.31", port: 4026},
		{dir: session.Incoming, outcome: session.Established, start: "2024-02-16 20:29:03.900", end: "2024-02-16 20:40:00.100", id: "221436813", ip: "77.232.122.31", port: 4026,
			name: "Richard Beard", auth: "token"},
	}
	check(t, "joined", all, wants)
	if all[1].Parser != "anydesk-trace+anydesk-connection-trace" {
		t.Errorf("parser %q", all[1].Parser)
	}
}

func TestConnectionTraceEncodings(t *testing.T) {
	rows := "Incoming    2024-02-16, 20:29    User                              221436813    221436813\n" +
		"Incoming    2026-10-03, 18:17    Passwd    1583942210    1583942210\n" +
		"Incoming     2014-11-26, 04:38   Token       user2@ad 123456\n" +
		"Outgoing\t2024-03-01, 09:05\tREJECTED\tBob's PC\t987654321\n"
	wants := []want{
		{dir: session.Incoming, outcome: session.Established, start: "2024-02-16 20:29:00.000", id: "221436813", auth: "interactive (accepted by the local user)"},
		{dir: session.Incoming, outcome: session.Established, start: "2026-10-03 18:17:00.000", id: "1583942210", auth: "password"},
		{dir: session.Incoming, outcome: session.Established, start: "2014-11-26 04:38:00.000", id: "123456", name: "user2@ad", auth: "token"},
		{dir: session.Outgoing, outcome: session.Rejected, start: "2024-03-01 09:05:00.000", id: "987654321", name: "Bob's PC"},
	}
	crlf := strings.ReplaceAll(rows, "\n", "\r\n")
	cases := map[string][]byte{
		"utf8":              []byte(rows),
		"utf8 bom crlf":     append([]byte{0xEF, 0xBB, 0xBF}, crlf...),
		"utf16le no bom":    utf16le(crlf, false),
		"utf16le bom":       utf16le(crlf, true),
		"no final newline":  []byte(strings.TrimSuffix(rows, "\n")),
		"utf16 no final nl": utf16le(strings.TrimSuffix(crlf, "\r\n"), false),
	}
	for name, data := range cases {
		res := parse(t, ConnectionTrace{}, "connection_trace.txt", data)
		for i := range res.Sessions {
			// check() expects Open only for an end-less record; rows are closed.
			if res.Sessions[i].Open {
				t.Errorf("%s: row %d open", name, i)
			}
		}
		checkRows(t, name, res.Sessions, wants)
		if len(res.Errors) != 0 {
			t.Errorf("%s: errors %v", name, res.Errors)
		}
	}
}

// checkRows is check() for end-less, closed rows.
func checkRows(t *testing.T, label string, got []session.Record, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%s: %d rows, want %d", label, len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if r.Direction != w.dir || r.Outcome != w.outcome || ts(r.Start) != w.start || r.End != nil ||
			r.RemoteID != w.id || r.RemoteName != w.name || r.AuthMethod != w.auth || len(r.Evidence) != 1 || r.Evidence[0].Line != i+1 {
			t.Errorf("%s row %d: %+v", label, i, r)
		}
	}
}

func TestConnectionTraceTruncatedLastLine(t *testing.T) {
	data := utf16le(connTrace+"Incoming    2024-02-16, 2", false)
	res := parse(t, ConnectionTrace{}, "connection_trace.txt", data)
	if len(res.Sessions) != 2 || len(res.Errors) != 1 || res.Errors[0].Line != 3 || res.Errors[0].Offset != int64(len(utf16le(connTrace, false))) {
		t.Fatalf("sessions %d errors %+v", len(res.Sessions), res.Errors)
	}
}

// TestFileTransferDocumented is built from the documented format (§1.4,
// dissect.target): no public file_transfer_trace.txt sample exists. The
// "finish" row and the later rows are constructed in the same layout.
func TestFileTransferDocumented(t *testing.T) {
	rows := "Clipboard\t\t2025-01-01, 13:37\tstart \tdownload\t'malware.exe' (~0 B out of 4.20 MiB)\r\n" +
		"Clipboard\t\t2025-01-01, 13:38\tfinish\tdownload\t'malware.exe' (4.20 MiB out of 4.20 MiB)\r\n" +
		"FileManager\t\t2025-01-01, 13:40\tstart \tupload\t'tool.zip' (~0 B out of 12 KiB)\r\n" +
		"FileManager\t\t2025-01-01, 15:00\tstart \tupload\t'later.txt' (~0 B out of 10 B)\r\n"
	for name, data := range map[string][]byte{"utf16le": utf16le(rows, false), "utf16le bom": utf16le(rows, true), "utf8": []byte(rows)} {
		res := parse(t, FileTransfer{}, "file_transfer_trace.txt", data)
		if len(res.Sessions) != 2 {
			t.Fatalf("%s: %d records", name, len(res.Sessions))
		}
		a, b := res.Sessions[0], res.Sessions[1]
		if ts(a.Start) != "2025-01-01 13:37:00.000" || ts(a.End) != "2025-01-01 13:40:00.000" || a.Outcome != session.Established || a.Direction != session.DirectionUnknown {
			t.Errorf("%s: first %+v", name, a)
		}
		wantT := []session.Transfer{
			{Direction: "from_host", Name: "malware.exe", Size: 4404019, Line: 1},
			{Direction: "to_host", Name: "tool.zip", Size: 12288, Line: 3},
		}
		if len(a.Transfers) != 2 {
			t.Fatalf("%s: transfers %+v", name, a.Transfers)
		}
		for i, w := range wantT {
			g := a.Transfers[i]
			if g.Direction != w.Direction || g.Name != w.Name || g.Size != w.Size || g.Line != w.Line {
				t.Errorf("%s: transfer %d %+v, want %+v", name, i, g, w)
			}
		}
		if len(a.Evidence) != 3 || len(b.Transfers) != 1 || b.Transfers[0].Name != "later.txt" || b.Transfers[0].Size != 10 || ts(b.Start) != "2025-01-01 15:00:00.000" {
			t.Errorf("%s: second %+v", name, b)
		}
	}
}

func TestBinaryInputRejected(t *testing.T) {
	bin := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x01\x00\x00\x00\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19")
	bin = append(bin, bytes.Repeat([]byte{1, 2, 3, 4, 5, 200, 201}, 200)...)
	for _, p := range Parsers() {
		_, err := p.Parse(sessionlog.Input{Path: "x.bin", R: bytes.NewReader(bin)})
		if err == nil || !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 4") {
			t.Errorf("%s: err %v", p.Name(), err)
		}
	}
	// Text that is not a trace at all is refused too.
	if _, err := (Trace{}).Parse(sessionlog.Input{Path: "x", R: strings.NewReader("hello\nworld\n")}); err == nil {
		t.Error("plain text accepted as a trace")
	}
}

func TestSniff(t *testing.T) {
	svc := readSample(t, "artemis_linux_anydesk_var_log.trace")[:4096]
	if !(Trace{}).Sniff(svc, "anydesk.trace") || (ConnectionTrace{}).Sniff(svc, "") || (FileTransfer{}).Sniff(svc, "") {
		t.Error("trace sniff")
	}
	ct := utf16le(connTrace, false)
	if !(ConnectionTrace{}).Sniff(ct, "connection_trace.txt") || (Trace{}).Sniff(ct, "") {
		t.Error("connection_trace sniff")
	}
	ft := utf16le("Clipboard\t\t2025-01-01, 13:37\tstart \tdownload\t'malware.exe' (~0 B out of 4.20 MiB)\r\n", false)
	if !(FileTransfer{}).Sniff(ft, "") {
		t.Error("file_transfer_trace sniff")
	}
}

// TestNULPaddingAndTruncation: AnyDesk pre-allocates its traces with NULs
// (the real samples have NUL runs before a line, at the file's start and
// end); a NUL run before a line and a cut last line change nothing.
func TestNULPaddingAndTruncation(t *testing.T) {
	lines := strings.SplitAfter(portableTrace, "\r\n")
	var b []byte
	b = append(b, bytes.Repeat([]byte{0}, 300)...)
	for i, l := range lines {
		if i == 3 || i == 8 {
			b = append(b, bytes.Repeat([]byte{0}, 1171)...)
		}
		b = append(b, l...)
	}
	b = append(b, "   info 2024-02-16 20:41:00.000       lsvc   6572   5380   11                anynet.any_socket - Accept req"...)
	b = append(b, bytes.Repeat([]byte{0}, 2024)...)
	res := parse(t, Trace{}, "ad.trace", b)
	if len(res.Sessions) != 2 || ts(res.Sessions[1].Start) != "2024-02-16 20:29:03.900" || res.Sessions[1].Outcome != session.Established ||
		res.Sessions[1].RemoteIP != "77.232.122.31" || ts(res.LastTime) != "2024-02-16 20:41:00.000" || res.Lines != 13 {
		t.Fatalf("lines %d last %s sessions %+v", res.Lines, ts(res.LastTime), res.Sessions)
	}
	// Evidence offsets point into the padded file: line 4 starts where its
	// NUL run starts.
	want := int64(300 + len(lines[0]) + len(lines[1]) + len(lines[2]))
	for _, e := range res.Sessions[0].Evidence {
		if e.Line == 4 && e.Offset != want {
			t.Errorf("line 4 offset %d, want %d", e.Offset, want)
		}
	}
}
