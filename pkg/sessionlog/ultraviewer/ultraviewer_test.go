package ultraviewer

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

// No UltraViewer log sample exists (session-artifacts.md §9 is second-hand:
// Ruler, KAPE). These logs are built from what is documented — pipe-
// delimited, "MM/DD/YYYY hh:mm:ss AM/PM" local time, Connection_IN_Log.txt
// holding time, partner ID and partner computer name, ConnectionLog.Log
// holding time, direction and ID — with the field order assumed. IDs and
// names are made up. The IN log crosses New Year, is UTF-16LE with CRLF in
// one run, has a foreign line, a line with a time but no ID, and a
// truncated last line.
const inLog = "12/31/2023 11:58:07 PM | 123 456 789 | SCAMMER-PC\r\n" +
	"01/01/2024 12:05:00 AM|987654321|DESKTOP-7Q2X\r\n" +
	"garbage line without a time\r\n" +
	"1/2/2024 9:15:30 AM | 555666777 | HELPDESK-01 | extra\r\n" +
	"01/03/2024 10:00:00 AM | no id here\r\n" +
	"01/04/2024 1:0"

const svcLog = "03/05/2024 02:10:11 PM | IN | 123456789\n" +
	"03/05/2024 02:40:00 PM | OUT | 222333444\n" +
	"03/05/2024 03:00:00 PM | 333444555\n"

var cet = time.FixedZone("CET", 3600)

// u16 is s as a UTF-16LE file with its byte-order mark.
func u16(s string) []byte { return logtest.UTF16LE(s, true) }

func fmtT(t *time.Time) string { return logtest.FmtUTC(t, time.RFC3339) }

type want struct {
	dir      session.Direction
	start    string
	id, host string
	line     int
}

func run(t *testing.T, path string, data []byte, wants []want) sessionlog.Result {
	t.Helper()
	res, err := New().Parse(sessionlog.Input{Path: path, R: bytes.NewReader(data), Location: cet})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != len(wants) {
		t.Fatalf("%d sessions, want %d: %+v", len(res.Sessions), len(wants), res.Sessions)
	}
	for i, w := range wants {
		r := res.Sessions[i]
		if r.Tool != tool || r.Parser != name || r.Outcome != session.Established || r.Direction != w.dir || fmtT(r.Start) != w.start || r.End != nil ||
			!r.Open || r.RemoteID != w.id || r.RemoteName != w.host || r.Key != "ultraviewer|"+w.id || !strings.Contains(r.TimeRule, "UTC") ||
			!slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "second-hand") }) || len(r.Evidence) != 1 {
			t.Errorf("#%d got %+v\nwant %+v", i, r, w)
			continue
		}
		if e := r.Evidence[0]; e.Kind != evidence.KindLogLine || e.Scanner != name || e.Path != path || e.Line != w.line || e.Raw == "" || e.SHA256 != "" || len(e.Fields) == 0 {
			t.Errorf("#%d evidence %+v", i, e)
		}
	}
	return res
}

func TestConnectionINLog(t *testing.T) {
	path := `C:\Users\victim\AppData\Roaming\UltraViewer\Connection_IN_Log.txt`
	for _, data := range [][]byte{[]byte(inLog), u16(inLog)} {
		res := run(t, path, data, []want{
			{session.Incoming, "2023-12-31T22:58:07Z", "123456789", "SCAMMER-PC", 1},
			{session.Incoming, "2023-12-31T23:05:00Z", "987654321", "DESKTOP-7Q2X", 2},
			{session.Incoming, "2024-01-02T08:15:30Z", "555666777", "HELPDESK-01", 4},
		})
		if res.Lines != 6 || fmtT(res.FirstTime) != "2023-12-31T22:58:07Z" || fmtT(res.LastTime) != "2024-01-03T09:00:00Z" {
			t.Errorf("lines %d bounds %s %s", res.Lines, fmtT(res.FirstTime), fmtT(res.LastTime))
		}
		if len(res.Errors) != 1 || res.Errors[0].Line != 5 || res.Errors[0].Offset <= 0 {
			t.Errorf("errors %+v", res.Errors)
		}
	}
	// Offset of line 2 in the UTF-16LE file: BOM + 2 bytes per unit of line 1 and its CRLF.
	res, _ := New().Parse(sessionlog.Input{Path: path, R: bytes.NewReader(u16(inLog)), Location: cet})
	if off := res.Sessions[1].Evidence[0].Offset; off != int64(2+2*len("12/31/2023 11:58:07 PM | 123 456 789 | SCAMMER-PC\r\n")) {
		t.Errorf("offset %d", off)
	}
}

func TestServiceConnectionLog(t *testing.T) {
	run(t, `C:\Program Files (x86)\UltraViewer\ConnectionLog.Log`, []byte(svcLog), []want{
		{session.Incoming, "2024-03-05T13:10:11Z", "123456789", "", 1},
		{session.Outgoing, "2024-03-05T13:40:00Z", "222333444", "", 2},
		{session.DirectionUnknown, "2024-03-05T14:00:00Z", "333444555", "", 3},
	})
}

func TestBinaryAndForeign(t *testing.T) {
	bin := append([]byte("12/31/2023\x01\x02\x03"), bytes.Repeat([]byte{0, 1, 2, 3, 250}, 300)...)
	if _, err := New().Parse(sessionlog.Input{R: bytes.NewReader(bin)}); !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 10") {
		t.Errorf("binary: %v", err)
	}
	if _, err := New().Parse(sessionlog.Input{R: strings.NewReader("hello | 123456789\n")}); err == nil {
		t.Error("plain text accepted")
	}
	if !New().Sniff([]byte(inLog), "") || !New().Sniff(u16(svcLog), "") || New().Sniff([]byte("12/31/2023 11:58:07 PM started\n"), "") {
		t.Error("sniff")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(inLog))
	f.Add([]byte(svcLog))
	f.Add(u16(inLog))
	f.Add([]byte("12/31/2023 12:00 am 123 456 789 incoming PC\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Location: cet})
		if err != nil {
			return
		}
		for _, r := range res.Sessions {
			if len(r.Evidence) != 1 || r.Tool != tool || r.RemoteID == "" || r.Start == nil || r.Start.Location() != time.UTC {
				t.Fatalf("%+v", r)
			}
		}
	})
}

// BenchmarkParse: both test logs (every line a connection, far denser than
// a real log) repeated to ≥ 20 MB.
func BenchmarkParse(b *testing.B) {
	unit := []byte(strings.ReplaceAll(strings.TrimSuffix(inLog, "01/04/2024 1:0"), "\r\n", "\n") + svcLog)
	var buf bytes.Buffer
	for buf.Len() < 20<<20 {
		buf.Write(unit)
	}
	big := buf.Bytes()
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := New().Parse(sessionlog.Input{Path: "ConnectionLog.Log", R: bytes.NewReader(big), Location: time.UTC}); err != nil {
			b.Fatal(err)
		}
	}
}
