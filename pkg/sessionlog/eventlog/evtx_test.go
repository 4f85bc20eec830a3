package eventlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Velocidex/ordereddict"
	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// Expected values below were read from the samples with a throwaway dump of
// every record (EventRecordID, System/TimeCreated, record header FILETIME,
// EventData/UserData), not from this parser's output.

const est, att, fail = session.Established, session.AttemptOnly, session.FailedAuth

const vagrant = `WINDOMAIN\vagrant`

// Velociraptor RDPAuth set, host dc.windomain.local: the user is logged on at
// the console (LSM 21/22 "Address LOCAL", session 1), then connects by RDP
// from 192.168.38.1 (client "silversurfer") and takes over that session.

func TestVelociraptorLSM(t *testing.T) {
	p := sample(t, "rdp/velociraptor_RDPAuth_LocalSessionManager.evtx")
	res := parseFile(t, p)
	if res.Lines != 17 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	checkTime(t, "first", res.FirstTime, "2021-02-12T12:32:43.3403792Z", 0)
	checkTime(t, "last", res.LastTime, "2021-02-12T12:34:41.1463972Z", 0)
	// Console 21/22 (records 169, 170, Address LOCAL) and the console 24
	// (173) are not sessions. 25 reconnect from 192.168.38.1 → 23 logoff →
	// 24 disconnect (joined as trailing evidence).
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: est,
		start: "2021-02-12T12:34:30.9512982Z", end: "2021-02-12T12:34:40.6322488Z",
		ip: "192.168.38.1", user: vagrant,
		rids:  []uint64{176, 178, 180},
		notes: []string{"computer: dc.windomain.local"},
	}}, 0)
	if ev := res.Sessions[0].Evidence[0]; ev.Offset != 13072 || !strings.Contains(ev.Raw, "25 User=") || !strings.Contains(ev.Raw, "Address=192.168.38.1") {
		t.Errorf("evidence 0: offset %d raw %q", ev.Offset, ev.Raw)
	}
}

func TestVelociraptorRCM(t *testing.T) {
	p := sample(t, "rdp/velociraptor_RDPAuth_RemoteConnectionManager.evtx")
	res := parseFile(t, p)
	if res.Lines != 4 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// 261 (12:34:23) then 1149 vagrant / empty domain / 192.168.38.1; the
	// RCM log has no end.
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: est,
		start: "2021-02-12T12:34:25.6064230Z", open: true,
		ip: "192.168.38.1", user: "vagrant",
		rids: []uint64{34, 35},
	}}, 0)
}

func TestVelociraptorSecurity(t *testing.T) {
	p := sample(t, "rdp/velociraptor_RDPAuth_Security.evtx")
	res := parseFile(t, p)
	if res.Lines != 789 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// 506508/506510: 4624 type 10 vagrant from 192.168.38.1, logon IDs
	// 0xae31a/0xae330 (linked split token). 506516: 4779 of the console
	// logon 0x513da (ClientAddress LOCAL) — not RDP. 506531: 4778 reconnect
	// of 0x513da from 192.168.38.1, client silversurfer. 506534/506535: 4634
	// of the two temporary type-10 logons. 506570: 4647 logoff of 0x513da.
	// The type-2 console logon (506366) and the NLA type-3 logon (506485)
	// are not sessions.
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: est,
		start: "2021-02-12T12:34:28.1944372Z", end: "2021-02-12T12:34:40.6092328Z",
		ip: "192.168.38.1", user: vagrant, name: "silversurfer",
		auth: "LogonType 10 (RemoteInteractive), Negotiate",
		rids: []uint64{506508, 506510, 506531, 506534, 506535, 506570},
	}}, 0)
	raw := res.Sessions[0].Evidence[0].Raw
	for _, s := range []string{"Security 4624 LogonType=10 ", "TargetLogonId=0xae31a", "IpAddress=192.168.38.1", "Computer=dc.windomain.local"} {
		if !strings.Contains(raw, s) {
			t.Errorf("raw %q lacks %q", raw, s)
		}
	}
	// Record 505853, the log's first: 1102 from Microsoft-Windows-Eventlog,
	// LogFileCleared by WINDOMAIN\vagrant (logon 0x1febb0) at
	// 2021-02-12 12:32:35.1476848 UTC, two minutes before the RDP logon.
	if len(res.Cleared) != 1 {
		t.Fatalf("cleared %+v, want the one 1102", res.Cleared)
	}
	cl := res.Cleared[0]
	if cl.Channel != "Security" || cl.User != `WINDOMAIN\vagrant` || cl.Computer != "dc.windomain.local" || cl.Time == nil || cl.Time.Format(time.RFC3339Nano) != "2021-02-12T12:32:35.1476848Z" ||
		cl.Evidence.RecordID != 505853 || cl.Evidence.Path != p || cl.Evidence.Kind != evidence.KindRecord {
		t.Errorf("cleared %+v", cl)
	}
	if !strings.Contains(cl.Evidence.Raw, "SubjectLogonId=0x1febb0") {
		t.Errorf("raw %q", cl.Evidence.Raw)
	}
}

// The three logs of the same logon read together (as one merged export
// would give them) make ONE session: RCM 261+1149, Security 4624+4778+4647,
// LSM 25+23+24.
func TestVelociraptorJoinedAcrossLogs(t *testing.T) {
	c := &collector{path: "merged", timeRule: timeRuleEVTX}
	for _, n := range []string{"Security", "LocalSessionManager", "RemoteConnectionManager"} {
		f, err := os.Open(sample(t, "rdp/velociraptor_RDPAuth_"+n+".evtx"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.readEVTX(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	checkSessions(t, "merged", c.join(), []want{{
		tool: ToolRDP, outcome: est,
		start: "2021-02-12T12:34:25.6064230Z", end: "2021-02-12T12:34:40.6092328Z",
		ip: "192.168.38.1", user: vagrant, name: "silversurfer",
		auth: "LogonType 10 (RemoteInteractive), Negotiate",
		rids: []uint64{34, 35, 506508, 506510, 506531, 176, 506534, 506535, 506570, 178, 180},
	}}, 0)
}

func TestEvtx2MitreMultipleHosts(t *testing.T) {
	p := sample(t, "rdp/evtx2mitre_ID1149-RDP_success_logins_to_multiple_hosts.evtx")
	res := parseFile(t, p)
	if res.Lines != 11 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// One 1149 per host (Computer differs; Param2 absent), all admmig from
	// 10.23.123.11 within 2.4 s: 11 sessions, not one. TimeCreated is a
	// string in this file (exact to 100 ns); header record ids are 1..11
	// while EventRecordID keeps the hosts' own numbers.
	hosts := []struct {
		host string
		t    string
		rid  uint64
	}{
		{"fs03vuln.offsec.lan", "2021-12-16T10:25:30.4156379Z", 99456},
		{"rootdc1.offsec.lan", "2021-12-16T10:25:32.3518358Z", 6433},
		{"mssql01.offsec.lan", "2021-12-16T10:25:32.367518Z", 2858},
		{"dhcp01.offsec.lan", "2021-12-16T10:25:32.4073206Z", 6067},
		{"webiis01.offsec.lan", "2021-12-16T10:25:32.4731205Z", 1860},
		{"FS03.offsec.lan", "2021-12-16T10:25:32.5949636Z", 318},
		{"exchange01.offsec.lan", "2021-12-16T10:25:32.6481991Z", 6783},
		{"adfs01.offsec.lan", "2021-12-16T10:25:32.6732145Z", 1801},
		{"wsus01.offsec.lan", "2021-12-16T10:25:32.7267188Z", 6126},
		{"prtg-mon.offsec.lan", "2021-12-16T10:25:32.782376Z", 1813},
		{"pki01.offsec.lan", "2021-12-16T10:25:32.7946839Z", 1831},
	}
	var wants []want
	for _, h := range hosts {
		wants = append(wants, want{
			tool: ToolRDP, outcome: est, start: h.t, open: true,
			ip: "10.23.123.11", user: "admmig", rids: []uint64{h.rid},
			notes: []string{"computer: " + h.host},
		})
	}
	checkSessions(t, p, res.Sessions, wants, 0)
}

func TestEvtxAttackTunnel4624(t *testing.T) {
	p := sample(t, "rdp/evtxattack_DE_RDP_Tunneling_4624.evtx")
	res := parseFile(t, p)
	if res.Lines != 18 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// Only EventRecordID 5315 is RemoteInteractive: IEUser from 127.0.0.1
	// port 49164 (RDP through a local tunnel — the loopback source is the
	// finding). The type-2 logons with IpAddress 127.0.0.1 (5308, 5319) are
	// console logons; the type-3 ANONYMOUS logons from 10.0.2.17 are not RDP.
	// This file's record header times differ from TimeCreated (re-written
	// sample); TimeCreated comes as a float64 → ±1 µs.
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: est, start: "2019-02-13T15:26:53.356781Z", open: true,
		ip: "127.0.0.1", port: 49164, user: `PC02\IEUser`,
		auth:  "LogonType 10 (RemoteInteractive), Negotiate",
		rids:  []uint64{5315},
		notes: []string{"loopback", "computer: PC02.example.corp"},
	}}, time.Microsecond)
}

func TestEvtxAttackTunnel1149(t *testing.T) {
	p := sample(t, "rdp/evtxattack_DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx")
	res := parseFile(t, p)
	if res.Lines != 228 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// 11 × 1149, each preceded by two 261 (the client's two connections)
	// at most 121 s before; three 261 (130, 131, 165) have no 1149 within
	// 3 minutes → attempt_only. 258/1136/1155 are service noise.
	a := func(start, user, ip string, r ...uint64) want {
		return want{tool: ToolRDP, outcome: est, start: start, open: true, ip: ip, user: user, rids: r}
	}
	x := func(at string, r uint64) want {
		return want{tool: ToolRDP, outcome: att, start: at, end: at, rids: []uint64{r},
			notes: []string{"RCM 261 gives no source address"}}
	}
	adm, ex := `ie11win7\administrator`, `example\admin01`
	wants := []want{
		a("2018-11-06T21:45:50.411264Z", adm, "10.0.2.16", 4, 5, 6),
		a("2018-11-06T21:49:31.193925Z", adm, "10.0.2.16", 7, 8, 9),
		a("2019-01-29T23:00:10.212008Z", ex, "10.0.2.15", 124, 125, 126),
		a("2019-01-29T23:16:39.762941Z", ex, "10.0.2.15", 127, 128, 129),
		x("2019-01-29T23:50:40.730333Z", 130),
		x("2019-01-29T23:54:04.665624Z", 131),
		a("2019-01-29T23:58:05.245714Z", ex, "10.0.2.15", 135, 136, 137),
		a("2019-01-30T00:01:00.547786Z", ex, "10.0.2.15", 138, 139, 140),
		a("2019-02-02T22:40:13.572291Z", ex, "10.0.2.15", 159, 160, 161),
		a("2019-02-02T22:44:55.932523Z", ex, "10.0.2.15", 162, 163, 164),
		x("2019-02-02T23:02:41.826339Z", 165),
		a("2019-02-13T12:23:53.875115Z", `PC01\IEUser`, "10.0.2.16", 211, 212, 213),
		a("2019-02-13T17:51:19.943338Z", ex, "fe80::80ac:4126:fa58:1b81%10", 223, 224, 225),
		a("2019-02-13T18:04:57.452387Z", ex, "127.0.0.1", 226, 227, 228),
	}
	wants[13].notes = []string{"loopback"}
	checkSessions(t, p, res.Sessions, wants, time.Microsecond)
}

func TestEvtxAttackRdpCore131(t *testing.T) {
	p := sample(t, "rdp/evtxattack_dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx")
	res := parseFile(t, p)
	if res.Lines != 40 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// 13 TCP 131 from 10.0.2.16 = 13 attempts; 9 of them get the UDP 131
	// that follows within 6 s. 68/168 are not session proof.
	x := func(start, end string, port uint32, r ...uint64) want {
		return want{tool: ToolRDP, outcome: att, start: start, end: end, ip: "10.0.2.16", port: port, rids: r,
			notes: []string{"no authentication result"}}
	}
	d := "2020-11-13T11:"
	wants := []want{
		x(d+"09:07.084054Z", d+"09:12.439960Z", 52202, 12551, 12572),
		x(d+"10:04.326374Z", d+"10:04.415902Z", 52208, 12635, 12656),
		x(d+"20:28.787280Z", d+"20:28.787280Z", 52276, 12719),
		x(d+"20:38.546691Z", d+"20:38.671307Z", 52278, 12734, 12755),
		x(d+"40:43.628034Z", d+"40:43.870395Z", 52725, 12824, 12845),
		x(d+"41:05.188966Z", d+"41:05.294891Z", 52727, 12910, 12931),
		x(d+"41:30.102922Z", d+"41:30.214149Z", 52728, 12996, 13017),
		x(d+"42:04.733451Z", d+"42:04.733451Z", 52733, 13082),
		x(d+"42:18.144338Z", d+"42:18.305936Z", 52734, 13097, 13118),
		x(d+"47:42.859086Z", d+"47:43.096750Z", 52776, 13191, 13212),
		x(d+"48:02.419160Z", d+"48:02.419160Z", 52779, 13277),
		x(d+"48:38.956349Z", d+"48:38.956349Z", 52784, 13291),
		x(d+"49:17.383354Z", d+"49:17.458629Z", 52786, 13306, 13327),
	}
	checkSessions(t, p, res.Sessions, wants, time.Microsecond)
}

func TestEvtxAttackRdpCore104(t *testing.T) {
	p := sample(t, "rdp/evtxattack_DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx")
	res := parseFile(t, p)
	// 21 × RdpCoreTS 104 (client time-zone bias; EventData as one un-normalised
	// {"Data": {Name, Value}}), 21 ActivityIDs: 21 RDP clients got as far as
	// their Client Info, with no address and no logon result in this log —
	// attempts whose outcome is not logged, the first at 19:47:00.719125 on
	// 2020-07-09 (record 1129), MSEDGEWIN10.
	if res.Lines != 21 || len(res.Errors) != 0 || len(res.Sessions) != 21 || len(res.Cleared) != 0 {
		t.Fatalf("lines %d errors %v sessions %d cleared %d", res.Lines, res.Errors, len(res.Sessions), len(res.Cleared))
	}
	for _, r := range res.Sessions {
		if r.Outcome != session.AttemptOnly || !r.OutcomeUnlogged || r.RemoteIP != "" || r.Host != "MSEDGEWIN10" || len(r.Evidence) != 1 {
			t.Errorf("%s %v %q %q, %d evidence", r.Outcome, r.OutcomeUnlogged, r.RemoteIP, r.Host, len(r.Evidence))
		}
	}
	if r := res.Sessions[0]; r.Start.Format(time.RFC3339Nano) != "2020-07-09T19:47:00.719125Z" || r.Evidence[0].RecordID != 1129 {
		t.Errorf("first %s record %d", r.Start.Format(time.RFC3339Nano), r.Evidence[0].RecordID)
	}
}

// A byte changed inside record 3 (EventRecordID 166, file offset 7600) of the
// LSM sample makes the library index past its 64 KiB buffer. Without the
// guard the panic is recovered, the record found by bisection, reported at
// its offset, and the 2 records before it kept; with the guard (default) the
// cost walk predicts the same record and the library never runs into it.
func TestEVTXLibraryPanicRecovered(t *testing.T) {
	data, err := os.ReadFile(sample(t, "rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	data[4096+3534] = 0x50
	for _, guard := range []bool{false, true} {
		guardEnabled = guard
		res := parseBytes(t, "corrupt.evtx", data)
		guardEnabled = true
		if res.Lines != 2 || len(res.Sessions) != 0 || len(res.Errors) != 1 {
			t.Fatalf("guard %v: lines %d sessions %d errors %v", guard, res.Lines, len(res.Sessions), res.Errors)
		}
		e := res.Errors[0]
		want := "evtx library panic on record 3 of the chunk at offset 4096 (runtime error: index out of range [65536] with length 65536)"
		if guard {
			want = "record 3 of the chunk at offset 4096 is corrupt in a way that makes the EVTX library panic"
		}
		if e.Offset != 7600 || !strings.Contains(e.Msg, want) || !strings.Contains(e.Msg, "2 earlier records kept, 15 records lost") {
			t.Errorf("guard %v: error = %+v", guard, e)
		}
	}
}

// A copy cut in the middle of its last chunk keeps the records that are
// complete and says where it stopped; a chunk of garbage between good ones
// is reported and skipped.
func TestEVTXTruncatedAndGarbageChunks(t *testing.T) {
	data, err := os.ReadFile(sample(t, "rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside record 176 (chunk offset 8976 = file 13072): records
	// 164..175 (12) are whole.
	cut := data[:13072+100]
	res := parseBytes(t, "cut.evtx", cut)
	if res.Lines != 12 || len(res.Sessions) != 0 {
		t.Errorf("cut: lines %d sessions %d", res.Lines, len(res.Sessions))
	}
	if len(res.Errors) != 2 || res.Errors[0].Offset != 4096 || !strings.Contains(res.Errors[0].Msg, "truncated chunk") ||
		res.Errors[1].Offset != 13072 || !strings.Contains(res.Errors[1].Msg, "rest of chunk skipped") {
		t.Errorf("cut: errors %v", res.Errors)
	}

	garbage := bytes.Repeat([]byte("garbage!"), evtxChunkSize/8)
	two := append(append(append([]byte(nil), data[:4096]...), garbage...), data[4096:4096+evtxChunkSize]...)
	res = parseBytes(t, "garbage.evtx", two)
	if res.Lines != 17 || len(res.Sessions) != 1 || len(res.Errors) != 1 || res.Errors[0].Offset != 4096 {
		t.Errorf("garbage: lines %d sessions %d errors %v", res.Lines, len(res.Sessions), res.Errors)
	}
}

// The reader streams: an input of ~94 MiB (1500 copies of a chunk, produced
// on the fly, not seekable) is parsed with a heap that never comes near the
// input size — the file is not buffered and the library's parse of a chunk is
// dropped before the next one.
func TestEVTXStreamsChunks(t *testing.T) {
	data, err := os.ReadFile(sample(t, "rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1500
	r := io.MultiReader(bytes.NewReader(data[:4096]), &repeatReader{b: data[4096 : 4096+evtxChunkSize], n: n})
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	res, err := New().Parse(sessionlog.Input{Path: "big.evtx", R: r})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 17*n {
		t.Errorf("lines %d, want %d", res.Lines, 17*n)
	}
	in := 4096 + n*evtxChunkSize
	t.Logf("input %d MiB, peak heap %d MiB, %d sessions", in>>20, peak.Load()>>20, len(res.Sessions))
	if peak.Load() > uint64(in)/2 {
		t.Errorf("peak heap %d bytes for a %d-byte input", peak.Load(), in)
	}
}

type repeatReader struct {
	b   []byte
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.b[r.off:])
	r.off += k
	if r.off == len(r.b) {
		r.off = 0
		r.n--
	}
	return k, nil
}

func TestNotEventLog(t *testing.T) {
	for _, in := range []string{"", "hello world\n", "<?xml version=\"1.0\"?><config/>", "ElfFile"} {
		_, err := New().Parse(sessionlog.Input{Path: "x", R: strings.NewReader(in)})
		if err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	// EVTX magic but nothing after the header: no records, no error.
	hdr := make([]byte, 4096)
	copy(hdr, evtxMagic)
	hdr[0x24], hdr[0x26], hdr[0x29] = 1, 3, 0x10
	res, err := New().Parse(sessionlog.Input{Path: "x", R: bytes.NewReader(hdr)})
	if err != nil || res.Lines != 0 || len(res.Errors) != 0 {
		t.Errorf("empty evtx: %v %+v", err, res)
	}
}

func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		head string
		ok   bool
	}{
		{"ElfFile\x00\x00\x00", true},
		{"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>", true},
		{"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<Events>\n<Event>", true},
		{"\xff\xfe<\x00E\x00v\x00e\x00n\x00t\x00>\x00", true},
		{"<EventData>", false},
		{"2024-01-01 12:00:00 client connected", false},
		{"\x7fELF\x02\x01", false},
	} {
		if got := p.Sniff([]byte(c.head), "f"); got != c.ok {
			t.Errorf("Sniff(%q) = %v", c.head, got)
		}
	}
}

func TestEventIDForms(t *testing.T) {
	// EventID as the library renders it: {"Value": N} (with Qualifiers),
	// a bare number, or a string.
	for _, v := range []any{uint16(4624), uint32(4624), "4624", 4624.0, int64(4624)} {
		if n, ok := toUint(v); !ok || n != 4624 {
			t.Errorf("toUint(%T %v) = %d %v", v, v, n, ok)
		}
	}
	if _, ok := toUint("x"); ok {
		t.Error("toUint(x) ok")
	}
	sys := ordereddict.NewDict().Set("EventID", ordereddict.NewDict().Set("Qualifiers", uint16(0)).Set("Value", uint16(100)))
	if n, ok := toUint(valueAt(sys, "EventID")); !ok || n != 100 {
		t.Errorf("EventID {Value: 100} = %d %v", n, ok)
	}
	if s := fmt.Sprint(filetime(132576067633403792).Format(time.RFC3339Nano)); s != "2021-02-12T12:32:43.3403792Z" {
		t.Errorf("filetime = %s", s)
	}
}

// The guard's estimate for every chunk of every real sample stays far below
// its budget (so it never drops a real record), and is not below what the
// library really allocates for the chunk (so the budget means something).
func TestGuardCostOfSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samplesDir(t), "rdp", "*.evtx"))
	if len(files) == 0 {
		t.Skip("no evtx samples")
	}
	var maxWork, maxMem int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for off := 4096; off+evtxChunkSize <= len(data); off += evtxChunkSize {
			buf := data[off : off+evtxChunkSize]
			if !bytes.HasPrefix(buf, chunkMagic) {
				continue
			}
			n, st, _, w := walkCost(buf)
			if st != budgetOK {
				t.Errorf("%s chunk at %d: budget %v", filepath.Base(f), off, st)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			recs, _, pm := parseChunk(buf, -1)
			runtime.ReadMemStats(&m1)
			if pm != "" || len(recs) != n {
				t.Errorf("%s chunk at %d: library %d records (panic %q), walker %d", filepath.Base(f), off, len(recs), pm, n)
			}
			real := int64(m1.TotalAlloc - m0.TotalAlloc)
			if w.mem < real/4 {
				t.Errorf("%s chunk at %d: estimated %d bytes, library allocated %d", filepath.Base(f), off, w.mem, real)
			}
			maxWork, maxMem = max(maxWork, w.work), max(maxMem, w.mem)
		}
	}
	t.Logf("largest real chunk: work %d (budget %d), memory %d KiB (budget %d MiB)", maxWork, guardWorkBudget, maxMem>>10, guardMemBudget>>20)
	if maxWork*16 > guardWorkBudget || maxMem*16 > guardMemBudget {
		t.Errorf("real chunks use more than 1/16 of the budget")
	}
}

// The argument count after the inline template definition of the LSM
// sample's first record (chunk offset 0x701, 18) set to 0xFFFFFFFF: the
// library would append 4 294 967 295 argument headers (64 GiB) — an
// out-of-memory crash no recover() catches. The guard skips the chunk's
// records from that one on and says why, using almost no memory.
func TestGuardStopsArgumentCountBlowup(t *testing.T) {
	data, err := os.ReadFile(sample(t, "rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	const at = 4096 + 0x701
	if binary.LittleEndian.Uint32(data[at:]) != 18 {
		t.Fatal("sample layout changed")
	}
	binary.LittleEndian.PutUint32(data[at:], 0xFFFFFFFF)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	res := parseBytes(t, "blowup.evtx", data)
	runtime.ReadMemStats(&m1)
	if res.Lines != 0 || len(res.Errors) != 1 || res.Errors[0].Offset != 4096+0x200 || !strings.Contains(res.Errors[0].Msg, "exhaust memory") {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}
