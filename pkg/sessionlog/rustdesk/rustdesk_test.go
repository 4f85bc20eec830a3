package rustdesk

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// No public RustDesk server log with a session exists (session-artifacts.md
// §15). This log is built from the documented line layout and messages
// (§5: rustdesk#9003, rustdesk-server-pro#707, src/server/connection.rs);
// IPs are documentation addresses. It has: an authenticated connection
// (offset -04:00), a wrong-password connection, a close whose open was not
// logged, CRLF line ends and a truncated last line.
const documented = "[2024-08-09 10:42:58.920092 -04:00] INFO [src/core_main.rs:164] main start args:[\"--server\"]\r\n" +
	"[2024-08-09 10:43:00.000100 -04:00] DEBUG [src\\server\\connection.rs:983] #1362 Connection opened from 203.0.113.7:6074.\r\n" +
	"[2024-08-09 10:43:05.500000 -04:00] INFO [src\\server\\connection.rs:1500] #1362 Permanent password accepted via logon-screen fallback\r\n" +
	"[2024-08-09 10:55:00.000000 -04:00] INFO [src\\server\\connection.rs:1100] #1362 Connection closed: Peer close\r\n" +
	"[2024-08-09 11:00:00.000000 -04:00] DEBUG [src\\server\\connection.rs:983] #1363 Connection opened from 198.51.100.9:51000.\r\n" +
	"[2024-08-09 11:00:30.000000 -04:00] WARN [src\\server\\connection.rs:2000] Temporary password rotated after too many consecutive wrong attempts: failures=5, ip=198.51.100.9\r\n" +
	"[2024-08-09 11:00:31.000000 -04:00] INFO [src\\server\\connection.rs:1100] #1363 Connection closed: Wrong Password\r\n" +
	"[2024-08-09 12:00:00.000000 +00:00] INFO [src\\server\\connection.rs:1100] #1364 Connection closed: Peer close\r\n" +
	"[2024-08-09 12:00:01.000000 +00:00] INFO [src/core_m"

func ts(t *time.Time) string { return logtest.Fmt(t, "2006-01-02 15:04:05.000000") }

func TestDocumentedLines(t *testing.T) {
	res, err := Parser{}.Parse(sessionlog.Input{Path: `C:\Windows\ServiceProfiles\LocalService\AppData\Roaming\RustDesk\log\server\RustDesk_rCURRENT.log`, R: strings.NewReader(documented)})
	if err != nil {
		t.Fatal(err)
	}
	type w struct {
		out        session.Outcome
		start, end string
		ip         string
		port       uint32
		auth       string
	}
	wants := []w{
		{session.Established, "2024-08-09 14:43:00.000100", "2024-08-09 14:55:00.000000", "203.0.113.7", 6074, "permanent password"},
		{session.FailedAuth, "2024-08-09 15:00:00.000000", "2024-08-09 15:00:31.000000", "198.51.100.9", 51000, ""},
		{session.AttemptOnly, "<nil>", "2024-08-09 12:00:00.000000", "", 0, ""},
	}
	if len(res.Sessions) != len(wants) {
		t.Fatalf("%d sessions: %+v", len(res.Sessions), res.Sessions)
	}
	for i, x := range wants {
		r := res.Sessions[i]
		if r.Outcome != x.out || ts(r.Start) != x.start || ts(r.End) != x.end || r.RemoteIP != x.ip || r.RemotePort != x.port || r.AuthMethod != x.auth ||
			r.Direction != session.Incoming || r.Open || r.TimeRule == "" || len(r.Evidence) == 0 {
			t.Errorf("#%d: %+v", i, r)
		}
		for _, e := range r.Evidence {
			if e.Line <= 0 || e.Raw == "" || len(e.Fields) == 0 {
				t.Errorf("#%d evidence %+v", i, e)
			}
		}
	}
	if res.Sessions[0].Duration != "11m59.9999s" {
		t.Errorf("duration %q", res.Sessions[0].Duration)
	}
	// Bounds are the earliest and latest UTC times: line 8 (+00:00) is the
	// earliest, line 7 (15:00:31 UTC) the latest.
	if res.Lines != 9 || ts(res.FirstTime) != "2024-08-09 12:00:00.000000" || ts(res.LastTime) != "2024-08-09 15:00:31.000000" {
		t.Errorf("lines %d bounds %s %s", res.Lines, ts(res.FirstTime), ts(res.LastTime))
	}
}

func TestOpenConnectionAndUTF16(t *testing.T) {
	var b []byte
	b = append(b, 0xFF, 0xFE)
	for _, c := range "[2025-01-01 13:04:08.350802 +00:00] DEBUG [src\\server\\connection.rs:983] #1 Connection opened from [2001:db8::5]:6074.\n" {
		b = append(b, byte(c), 0)
	}
	res, err := Parser{}.Parse(sessionlog.Input{Path: "x", R: bytes.NewReader(b)})
	if err != nil || len(res.Sessions) != 1 {
		t.Fatal(err, res)
	}
	r := res.Sessions[0]
	if !r.Open || r.RemoteIP != "2001:db8::5" || r.RemotePort != 6074 || r.Outcome != session.AttemptOnly {
		t.Errorf("%+v", r)
	}
}

func TestBinaryAndForeign(t *testing.T) {
	bin := append([]byte("[20\x01\x02\x03"), bytes.Repeat([]byte{0, 1, 2, 3, 250}, 300)...)
	if _, err := (Parser{}).Parse(sessionlog.Input{R: bytes.NewReader(bin)}); !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 3") {
		t.Errorf("binary: %v", err)
	}
	if _, err := (Parser{}).Parse(sessionlog.Input{R: strings.NewReader("hello\n")}); err == nil {
		t.Error("plain text accepted")
	}
	if !(Parser{}).Sniff([]byte(documented), "") || (Parser{}).Sniff([]byte("hello"), "") {
		t.Error("sniff")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(documented))
	f.Add([]byte("[2025-01-01 13:04:08.350802 +00:00] DEBUG [x] #1 Connection opened from [::1]:1.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parser{}.Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data)})
		if err != nil {
			return
		}
		for _, r := range res.Sessions {
			if len(r.Evidence) == 0 || r.Tool != tool {
				t.Fatalf("%+v", r)
			}
		}
	})
}

// BenchmarkParse: the documented log (a third of its lines are session
// markers, far denser than a real log) repeated to ≥ 50 MB, plus filler
// lines in the real layout that the parser skips.
func BenchmarkParse(b *testing.B) {
	filler := strings.Repeat("[2024-08-09 10:42:58.920092 -04:00] INFO [src/rendezvous_mediator.rs:150] start rendezvous mediator of rs-ny.rustdesk.com\n", 300)
	unit := []byte(filler + strings.TrimSuffix(documented, "[2024-08-09 12:00:01.000000 +00:00] INFO [src/core_m") + "\n")
	var buf bytes.Buffer
	for buf.Len() < 50<<20 {
		buf.Write(unit)
	}
	big := buf.Bytes()
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Parser{}).Parse(sessionlog.Input{R: bytes.NewReader(big)}); err != nil {
			b.Fatal(err)
		}
	}
}
