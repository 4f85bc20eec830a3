package splashtop

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

// No public SPLog.txt exists (dissect's is a Git-LFS pointer). This log is
// built from the documented layout "<L>MonDD HH:MM:SS.mmm  <message>" and the
// two documented messages quoted in session-artifacts.md §4.2 (client
// connected, OnUploadFileCPRequest JSON); "client disconnected" and the
// OnDownloadRequest JSON are assumed counterparts. It crosses New Year: the
// file was last written on 3 January, so December lines are the year before.
const crossYear = "IDec31 23:50:00.123  SM_03280[Network] [LAN-S][Server] client connected from 10.199.5.134 (2), 288\r\n" +
	"IDec31 23:52:00.000  SM_03280[Network] unrelated line\r\n" +
	"IDec31 23:55:10.000  SM_03280[FTCnnel] OnUploadFileCPRequest 1, 1 =>{\"fileID\":\"353841253\",\"fileName\":\"NOTE.txt\",\"fileSize\":\"34\",\"remotesessionFTC\":1,\"request\":\"uploadFile\"}\r\n" +
	"IJan01 00:05:00.000  SM_03280[FTCnnel] OnDownloadRequest 1, 2 =>{\"fileID\":\"1\",\"fileName\":\"passwords.xlsx\",\"fileSize\":\"20480\",\"request\":\"downloadFile\"}\r\n" +
	"I0101 00:10:00.500  SM_03280[Network] [LAN-S][Server] client disconnected from 10.199.5.134\r\n" +
	"IJan 2 09:00:00.000  SM_03280[Network] [LAN-S][Server] client connected from 10.199.5.140 (3), 300\r\n" +
	"IJan02 09:0"

func ts(t *time.Time) string { return logtest.Fmt(t, "2006-01-02 15:04:05.000") }

var cet = time.FixedZone("CET", 3600)

func parse(t *testing.T, data []byte, mod time.Time) sessionlog.Result {
	t.Helper()
	res, err := SPLog{}.Parse(sessionlog.Input{Path: `C:\Program Files (x86)\Splashtop\Splashtop Remote\Server\log\SPLog.txt`,
		R: bytes.NewReader(data), Location: cet, Modified: mod})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAcrossNewYear(t *testing.T) {
	u16 := logtest.UTF16LE(crossYear, true)
	for name, data := range map[string][]byte{"utf8": []byte(crossYear), "utf16le": u16} {
		res := parse(t, data, time.Date(2025, 1, 3, 10, 0, 0, 0, cet))
		if len(res.Sessions) != 2 {
			t.Fatalf("%s: %d sessions", name, len(res.Sessions))
		}
		a, b := res.Sessions[0], res.Sessions[1]
		// 23:50 CET on 31 Dec 2024 = 22:50 UTC; the end 00:10 CET on 1 Jan 2025 = 23:10 UTC.
		if ts(a.Start) != "2024-12-31 22:50:00.123" || ts(a.End) != "2024-12-31 23:10:00.500" || a.Outcome != session.Established ||
			a.RemoteIP != "10.199.5.134" || a.Direction != session.Incoming || a.Open || a.Duration != "20m0.377s" {
			t.Errorf("%s: first %+v", name, a)
		}
		want := []session.Transfer{
			{Direction: "to_host", Name: "NOTE.txt", Size: 34, Line: 3},
			{Direction: "from_host", Name: "passwords.xlsx", Size: 20480, Line: 4},
		}
		if len(a.Transfers) != 2 {
			t.Fatalf("%s: transfers %+v", name, a.Transfers)
		}
		for i, w := range want {
			g := a.Transfers[i]
			if g.Direction != w.Direction || g.Name != w.Name || g.Size != w.Size || g.Line != w.Line {
				t.Errorf("%s: transfer %+v, want %+v", name, g, w)
			}
		}
		if ts(a.Transfers[1].Time) != "2024-12-31 23:05:00.000" {
			t.Errorf("%s: download time %s", name, ts(a.Transfers[1].Time))
		}
		if ts(b.Start) != "2025-01-02 08:00:00.000" || !b.Open || b.Outcome != session.AttemptOnly || b.RemoteIP != "10.199.5.140" {
			t.Errorf("%s: second %+v", name, b)
		}
		if !strings.Contains(a.TimeRule, "year from the file's modification time") || !strings.Contains(a.TimeRule, "CET") {
			t.Errorf("%s: rule %q", name, a.TimeRule)
		}
		if res.Lines != 7 || ts(res.FirstTime) != "2024-12-31 22:50:00.123" || ts(res.LastTime) != "2025-01-02 08:00:00.000" {
			t.Errorf("%s: lines %d bounds %s %s", name, res.Lines, ts(res.FirstTime), ts(res.LastTime))
		}
	}
	// Written on New Year's Eve: the same December lines are that year.
	res := parse(t, []byte(crossYear[:strings.Index(crossYear, "IJan01")]), time.Date(2024, 12, 31, 23, 59, 0, 0, cet))
	if len(res.Sessions) != 1 || ts(res.Sessions[0].Start) != "2024-12-31 22:50:00.123" {
		t.Errorf("December file: %+v", res.Sessions)
	}
}

func TestBinaryForeignSniff(t *testing.T) {
	bin := append([]byte("IDec\x01\x02\x03"), bytes.Repeat([]byte{0, 1, 2, 3, 250}, 300)...)
	if _, err := (SPLog{}).Parse(sessionlog.Input{R: bytes.NewReader(bin)}); !errors.Is(err, lineio.ErrBinary) || !strings.Contains(err.Error(), "offset 4") {
		t.Errorf("binary: %v", err)
	}
	if _, err := (SPLog{}).Parse(sessionlog.Input{R: strings.NewReader("hello\nworld\n")}); err == nil {
		t.Error("plain text accepted")
	}
	if !(SPLog{}).Sniff([]byte(crossYear), "SPLog.txt") || (SPLog{}).Sniff([]byte("hello"), "") {
		t.Error("sniff")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(crossYear))
	f.Add([]byte("I0229 10:00:00.000 client connected from \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := SPLog{}.Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data), Modified: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
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

// BenchmarkParse: filler lines in the documented layout with a session every
// 200 lines, repeated to ≥ 50 MB.
func BenchmarkParse(b *testing.B) {
	unit := []byte(strings.Repeat("I0521 10:32:15.123  SM_03280[Render] frame encoder statistics fps=30 bitrate=2048 kbps\n", 200) +
		strings.TrimSuffix(crossYear, "IJan02 09:0"))
	var buf bytes.Buffer
	for buf.Len() < 50<<20 {
		buf.Write(unit)
	}
	big := buf.Bytes()
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (SPLog{}).Parse(sessionlog.Input{R: bytes.NewReader(big), Modified: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
	}
}
