package eventlog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/internal/logtest"
)

// Expected values come from reading the EvtxECmd example XMLs (testdata/,
// copies of shared/samples; MIT).

func td(name string) string { return filepath.Join("testdata", name) }

func TestXMLExamplesWithoutSession(t *testing.T) {
	for _, c := range []struct {
		file   string
		errors []string // substrings, in order
	}{
		// Address LOCAL = console: not a remote session.
		{"ezmaps_LocalSessionManager_21.xml", nil},
		{"ezmaps_LocalSessionManager_22.xml", nil},
		{"ezmaps_LocalSessionManager_25.xml", nil},
		// Logoff of a session this file never saw start.
		{"ezmaps_LocalSessionManager_23.xml", nil},
		// 24 with Address LOCAL; the example has no </Event>.
		{"ezmaps_LocalSessionManager_24.xml", []string{"not closed"}},
		// 39/40/41 are not session proof; 40 has "<Event" and "</Event"
		// without '>' in the example.
		{"ezmaps_LocalSessionManager_39.xml", nil},
		{"ezmaps_LocalSessionManager_40.xml", []string{"malformed <Event", "malformed </Event"}},
		{"ezmaps_LocalSessionManager_41.xml", nil},
		// 4624 LogonType 0 (SYSTEM at boot).
		{"ezmaps_Security_4624.xml", nil},
	} {
		t.Run(c.file, func(t *testing.T) {
			res := parseFile(t, td(c.file))
			if res.Lines != 1 || len(res.Sessions) != 0 {
				t.Fatalf("lines %d sessions %d", res.Lines, len(res.Sessions))
			}
			if len(res.Errors) != len(c.errors) {
				t.Fatalf("errors %v, want %q", res.Errors, c.errors)
			}
			for i, e := range c.errors {
				if !strings.Contains(res.Errors[i].Msg, e) || res.Errors[i].Line != 1 || res.Errors[i].Offset != 0 {
					t.Errorf("error %d = %+v, want %q", i, res.Errors[i], e)
				}
			}
		})
	}
}

func TestXMLRdpCore131(t *testing.T) {
	p := td("ezmaps_RdpCoreTS_131.xml")
	res := parseFile(t, p)
	if res.Lines != 1 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// The example starts with a stray message line and "</Event>"; the
	// event is UDP from [192.168.30.10]:65464.
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: att,
		start: "2018-07-23T16:24:06.0572055Z", end: "2018-07-23T16:24:06.0572055Z",
		ip: "192.168.30.10", port: 65464, rids: []uint64{1743},
		notes: []string{"computer: base-rd-01.shieldbase.lan"},
	}}, 0)
	if ev := res.Sessions[0].Evidence[0]; ev.Offset != 79 || ev.Line != 3 {
		t.Errorf("evidence at offset %d line %d, want 79 / 3", ev.Offset, ev.Line)
	}
}

func TestXMLRCM1149(t *testing.T) {
	p := td("ezmaps_RemoteConnectionManager_1149.xml")
	res := parseFile(t, p)
	// Same event as EventRecordID 6 of the EVTX-ATTACK tunnelling 1149 file
	// (TestEvtxAttackTunnel1149 reads it there as 21:45:50.411264 ±1 µs).
	checkSessions(t, p, res.Sessions, []want{{
		tool: ToolRDP, outcome: est, start: "2018-11-06T21:45:50.4112641Z", open: true,
		ip: "10.0.2.16", user: `ie11win7\administrator`, rids: []uint64{6},
	}}, 0)
	if raw := res.Sessions[0].Evidence[0].Raw; raw != "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational 1149 Param1=administrator Param2=ie11win7 Param3=10.0.2.16 Computer=IEWIN7" {
		t.Errorf("raw = %q", raw)
	}
}

func TestXMLScreenConnect(t *testing.T) {
	cases := []struct {
		file string
		w    want
	}{
		{"ezmaps_Application_Screenconnect_100.xml", want{
			tool: ToolScreenConnect, outcome: est, start: "2024-02-26T03:25:21.6791347Z", open: true,
			name: "USERNAME", rids: []uint64{55884},
			notes: []string{"version 23.8.6.8735", `ScreenConnect Client (XXXXX)\ScreenConnect.ClientService.exe`},
		}},
		{"ezmaps_Application_Screenconnect_101.xml", want{
			tool: ToolScreenConnect, outcome: est, end: "2024-02-26T05:30:16.9918361Z",
			name: "USER", rids: []uint64{55941}, notes: []string{"start unknown"},
		}},
		// 201 = files transferred to this PC (200 would be "Executed
		// command"); the file name is the line after the first.
		{"ezmaps_Application_Screenconnect_201.xml", want{
			tool: ToolScreenConnect, outcome: est, rids: []uint64{55737},
			xfers: []string{"to_host file.exe"}, notes: []string{"action 'RunElevated'"},
		}},
		// 30 (Level 2): "Your host has ended the remote session."
		{"ezmaps_Application_Screenconnect_30.xml", want{
			tool: ToolScreenConnect, outcome: est, end: "2024-02-26T05:30:17.3931449Z",
			rids: []uint64{55944},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := td(c.file)
			res := parseFile(t, p)
			if res.Lines != 1 || len(res.Errors) != 0 {
				t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
			}
			checkSessions(t, p, res.Sessions, []want{c.w}, 0)
		})
	}
	res := parseFile(t, td("ezmaps_Application_Screenconnect_201.xml"))
	checkTime(t, "transfer time", res.Sessions[0].Transfers[0].Time, "2024-02-25T21:54:32.0244362Z", 0)
}

// events wraps the <Event> elements of several files into one <Events>
// export, as wevtutil / Event Viewer would write them.
func events(t *testing.T, files ...string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n")
	for _, f := range files {
		data, err := os.ReadFile(td(f))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteString("\n")
	}
	b.WriteString("</Events>\n")
	return b.Bytes()
}

// The four ScreenConnect examples come from one machine (record ids 55737 …
// 55944, same version): read together, 100 "USERNAME Connected" and 101
// "USER Disconnected" (names sanitised differently by the map author) are
// one session since only one is open, and 30 two tenths of a second later is
// its trailing end event. The 201 transfer five hours before the connect
// stays a transfer-only record.
func TestXMLScreenConnectJoined(t *testing.T) {
	data := events(t, "ezmaps_Application_Screenconnect_201.xml", "ezmaps_Application_Screenconnect_100.xml",
		"ezmaps_Application_Screenconnect_101.xml", "ezmaps_Application_Screenconnect_30.xml")
	res := parseBytes(t, "sc.xml", data)
	if res.Lines != 4 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	checkSessions(t, "sc.xml", res.Sessions, []want{
		{tool: ToolScreenConnect, outcome: est, rids: []uint64{55737}, xfers: []string{"to_host file.exe"}},
		{tool: ToolScreenConnect, outcome: est,
			start: "2024-02-26T03:25:21.6791347Z", end: "2024-02-26T05:30:16.9918361Z",
			name: "USERNAME", rids: []uint64{55884, 55941, 55944},
			notes: []string{`disconnect event names "USER"`}},
	}, 0)
	checkTime(t, "first", res.FirstTime, "2024-02-25T21:54:32.0244362Z", 0)
	checkTime(t, "last", res.LastTime, "2024-02-26T05:30:17.3931449Z", 0)
}

func TestXMLSplashtop(t *testing.T) {
	cases := []struct {
		file string
		errs int
		w    want
	}{
		{"ezmaps_Splashtop-Remote-Session_1000.xml", 0, want{
			tool: ToolSplashtop, outcome: est, start: "2021-03-11T21:18:52.6891739Z", open: true,
			rid: "aa@aaaa.com", name: "source name", rids: []uint64{1}, notes: []string{"version 3.4.4.0"},
		}},
		// Only the end: the start is end − Duration_Time 00:00:07. (The
		// example is dated 2001.)
		{"ezmaps_Splashtop-Remote-Session_1001.xml", 0, want{
			tool: ToolSplashtop, outcome: est,
			start: "2001-11-12T21:18:48.4183505Z", end: "2001-11-12T21:18:55.4183505Z",
			rids: []uint64{2}, notes: []string{"computed from Duration_Time 00:00:07"},
		}},
		// 1100 and 1101 carry the same fields (only their order differs):
		// the samples do not tell which is upload and which download.
		{"ezmaps_Splashtop-Remote-Session_1100.xml", 1, want{
			tool: ToolSplashtop, outcome: est, name: "BADGUYHOSTNAME", rids: []uint64{2},
			xfers: []string{"unknown Advanced_IP_Scanner_2.5.3850.exe"},
			notes: []string{"streamer (this PC) VICTIMHOSTNAME path C:, client BADGUYHOSTNAME path N/A"},
		}},
		{"ezmaps_Splashtop-Remote-Session_1101.xml", 1, want{
			tool: ToolSplashtop, outcome: est, name: "BADGUYHOSTNAME", rids: []uint64{2},
			xfers: []string{"unknown Advanced_IP_Scanner_2.5.3850.exe"},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := td(c.file)
			res := parseFile(t, p)
			if res.Lines != 1 || len(res.Errors) != c.errs {
				t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
			}
			checkSessions(t, p, res.Sessions, []want{c.w}, 0)
		})
	}
}

func TestXMLSplashtopJoined(t *testing.T) {
	data := events(t, "ezmaps_Splashtop-Remote-Session_1000.xml", "ezmaps_Splashtop-Remote-Session_1001.xml",
		"ezmaps_Splashtop-Remote-Session_1100.xml", "ezmaps_Splashtop-Remote-Session_1101.xml")
	res := parseBytes(t, "st.xml", data)
	// 1100 and 1101 lack </Event>: each is cut at the next <Event / at EOF.
	if res.Lines != 4 || len(res.Errors) != 2 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	// Three Session_IDs: 12345 (end only, 2001), 671410472 (start only),
	// 456090679 (both transfers joined on Session_ID).
	checkSessions(t, "st.xml", res.Sessions, []want{
		{tool: ToolSplashtop, outcome: est, start: "2001-11-12T21:18:48.4183505Z", end: "2001-11-12T21:18:55.4183505Z", rids: []uint64{2}},
		{tool: ToolSplashtop, outcome: est, start: "2021-03-11T21:18:52.6891739Z", open: true, rid: "aa@aaaa.com", name: "source name", rids: []uint64{1}},
		{tool: ToolSplashtop, outcome: est, name: "BADGUYHOSTNAME", rids: []uint64{2, 2},
			xfers: []string{"unknown Advanced_IP_Scanner_2.5.3850.exe", "unknown Advanced_IP_Scanner_2.5.3850.exe"}},
	}, 0)
}

// UTF-16LE with BOM (as Event Viewer can save XML): same result, offsets in
// the file's bytes.
func TestXMLUTF16(t *testing.T) {
	data, err := os.ReadFile(td("ezmaps_RdpCoreTS_131.xml"))
	if err != nil {
		t.Fatal(err)
	}
	res := parseBytes(t, "u16.xml", logtest.UTF16LE(string(data), true))
	checkSessions(t, "u16.xml", res.Sessions, []want{{
		tool: ToolRDP, outcome: att,
		start: "2018-07-23T16:24:06.0572055Z", end: "2018-07-23T16:24:06.0572055Z",
		ip: "192.168.30.10", port: 65464, rids: []uint64{1743},
	}}, 0)
	if ev := res.Sessions[0].Evidence[0]; ev.Offset != 2+2*79 || ev.Line != 3 {
		t.Errorf("evidence at offset %d line %d", ev.Offset, ev.Line)
	}
}

// ---- synthetic exports (documented field layouts, no real sample) --------

type xev struct {
	provider, channel, computer string
	id                          int
	rid                         int
	time                        string
	data                        [][2]string // EventData Data Name/value; name "" = unnamed
	user                        [][2]string // UserData/EventXML children
}

func (e xev) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n <System>\n  <Provider Name=%q />\n  <EventID>%d</EventID>\n", e.provider, e.id)
	fmt.Fprintf(&b, "  <TimeCreated SystemTime=%q />\n  <EventRecordID>%d</EventRecordID>\n  <Channel>%s</Channel>\n  <Computer>%s</Computer>\n </System>\n", e.time, e.rid, e.channel, e.computer)
	if e.data != nil {
		b.WriteString(" <EventData>\n")
		for _, d := range e.data {
			if d[0] == "" {
				fmt.Fprintf(&b, "  <Data>%s</Data>\n", d[1])
			} else {
				fmt.Fprintf(&b, "  <Data Name=%q>%s</Data>\n", d[0], d[1])
			}
		}
		b.WriteString(" </EventData>\n")
	}
	if e.user != nil {
		b.WriteString(" <UserData>\n  <EventXML xmlns=\"Event_NS\">\n")
		for _, d := range e.user {
			fmt.Fprintf(&b, "   <%s>%s</%s>\n", d[0], d[1], d[0])
		}
		b.WriteString("  </EventXML>\n </UserData>\n")
	}
	b.WriteString("</Event>\n")
	return b.String()
}

func export(evs ...xev) []byte {
	var b strings.Builder
	b.WriteString("<Events>\n")
	for _, e := range evs {
		b.WriteString(e.String())
	}
	b.WriteString("</Events>\n")
	return []byte(b.String())
}

const (
	chSec = "Security"
	chRCM = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
	chLSM = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
	chRdp = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"
	pvSec = "Microsoft-Windows-Security-Auditing"
	pvRCM = "Microsoft-Windows-TerminalServices-RemoteConnectionManager"
	pvLSM = "Microsoft-Windows-TerminalServices-LocalSessionManager"
	pvRdp = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS"
)

// SYNTHETIC (field names from the EvtxECmd examples): one fresh RDP logon
// as four logs record it — RdpCoreTS 131 TCP+UDP and 104 (client time zone), RCM 1149, Security 4624
// type 10, LSM 21 + 22, then 4779 disconnect, LSM 24, 4634 logoff — is ONE
// session, starting at the authentication (1149), ending at the disconnect.
func TestSyntheticRDPAllLogsOneSession(t *testing.T) {
	h := "victim-pc"
	data := export(
		xev{pvRdp, chRdp, h, 131, 901, "2024-05-01T10:00:00.1000000Z", [][2]string{{"ConnType", "TCP"}, {"ClientIP", "203.0.113.5:50001"}}, nil},
		xev{pvRdp, chRdp, h, 131, 902, "2024-05-01T10:00:01.0000000Z", [][2]string{{"ConnType", "UDP"}, {"ClientIP", "[203.0.113.5]:50002"}}, nil},
		xev{pvRdp, chRdp, h, 104, 903, "2024-05-01T10:00:02.0000000Z", [][2]string{{"TimezoneBiasHour", "[1]"}}, nil},
		xev{pvRCM, chRCM, h, 1149, 31, "2024-05-01T10:00:03.0000000Z", nil, [][2]string{{"Param1", "alice"}, {"Param2", "VICTIM-PC"}, {"Param3", "203.0.113.5"}}},
		xev{pvSec, chSec, h, 4624, 5001, "2024-05-01T10:00:04.0000000Z", [][2]string{
			{"TargetUserName", "alice"}, {"TargetDomainName", "VICTIM-PC"}, {"TargetLogonId", "0x1a2b3c"},
			{"LogonType", "10"}, {"AuthenticationPackageName", "Negotiate"}, {"WorkstationName", "SCAMMER-LAPTOP"},
			{"IpAddress", "203.0.113.5"}, {"IpPort", "50001"}}, nil},
		xev{pvLSM, chLSM, h, 21, 71, "2024-05-01T10:00:05.0000000Z", nil, [][2]string{{"User", `VICTIM-PC\alice`}, {"SessionID", "2"}, {"Address", "203.0.113.5"}}},
		xev{pvLSM, chLSM, h, 22, 72, "2024-05-01T10:00:06.0000000Z", nil, [][2]string{{"User", `VICTIM-PC\alice`}, {"SessionID", "2"}, {"Address", "203.0.113.5"}}},
		xev{pvSec, chSec, h, 4779, 5050, "2024-05-01T10:40:00.0000000Z", [][2]string{
			{"AccountName", "alice"}, {"AccountDomain", "VICTIM-PC"}, {"LogonID", "0x1a2b3c"}, {"SessionName", "RDP-Tcp#3"},
			{"ClientName", "SCAMMER-LAPTOP"}, {"ClientAddress", "203.0.113.5"}}, nil},
		xev{pvLSM, chLSM, h, 24, 73, "2024-05-01T10:40:00.5000000Z", nil, [][2]string{{"User", `VICTIM-PC\alice`}, {"SessionID", "2"}, {"Address", "203.0.113.5"}}},
		xev{pvSec, chSec, h, 4634, 5060, "2024-05-01T10:41:00.0000000Z", [][2]string{
			{"TargetUserName", "alice"}, {"TargetDomainName", "VICTIM-PC"}, {"TargetLogonId", "0x1a2b3c"}, {"LogonType", "10"}}, nil},
	)
	res := parseBytes(t, "all.xml", data)
	if res.Lines != 10 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	checkSessions(t, "all.xml", res.Sessions, []want{{
		tool: ToolRDP, outcome: est,
		start: "2024-05-01T10:00:03Z", end: "2024-05-01T10:40:00Z",
		ip: "203.0.113.5", port: 50001, user: `VICTIM-PC\alice`, name: "SCAMMER-LAPTOP",
		auth: "LogonType 10 (RemoteInteractive), Negotiate",
		rids: []uint64{901, 902, 903, 31, 5001, 71, 72, 5050, 73, 5060},
	}}, 0)
}

// SYNTHETIC: failed RDP logons (4625 type 10) of one source and user are
// grouped while less than 5 minutes apart.
func TestSyntheticRDPFailedGrouped(t *testing.T) {
	f := func(rid int, tm string) xev {
		return xev{pvSec, chSec, "srv", 4625, rid, tm, [][2]string{
			{"TargetUserName", "administrator"}, {"TargetDomainName", "SRV"}, {"Status", "0xc000006d"}, {"SubStatus", "0xc000006a"},
			{"LogonType", "10"}, {"AuthenticationPackageName", "Negotiate"}, {"IpAddress", "198.51.100.9"}, {"IpPort", "40000"}}, nil}
	}
	res := parseBytes(t, "f.xml", export(f(1, "2024-05-01T10:00:00Z"), f(2, "2024-05-01T10:01:00Z"), f(3, "2024-05-01T10:04:00Z"), f(4, "2024-05-01T10:20:00Z")))
	checkSessions(t, "f.xml", res.Sessions, []want{
		{tool: ToolRDP, outcome: fail, start: "2024-05-01T10:00:00Z", end: "2024-05-01T10:04:00Z",
			ip: "198.51.100.9", port: 40000, user: `SRV\administrator`, rids: []uint64{1, 2, 3},
			notes: []string{"3 failed logons grouped", "substatus 0xc000006a"}},
		{tool: ToolRDP, outcome: fail, start: "2024-05-01T10:20:00Z", end: "2024-05-01T10:20:00Z",
			ip: "198.51.100.9", port: 40000, user: `SRV\administrator`, rids: []uint64{4}},
	}, 0)
}

// SYNTHETIC — there is no public Chrome Remote Desktop event sample. Built
// from remoting/host/win/host_messages.mc as session-artifacts.md §7 quotes
// it: source "chromoting" in Application; 1 "Client connected: %1", 2
// "Client disconnected: %1", 3 "Access denied for client: %1", 4 "Channel IP
// for client: %1 ip='%2' host_ip='%3' channel='%4' connection='%5'", 5 "Host
// started for user: %1" — insertion strings as unnamed <Data>.
func TestSyntheticChromeRemoteDesktop(t *testing.T) {
	app, h := "Application", "victim-pc"
	jid := "helper@example.com/chromoting_ftl_5f2c"
	ev := func(id, rid int, tm string, args ...string) xev {
		var d [][2]string
		for _, a := range args {
			d = append(d, [2]string{"", a})
		}
		return xev{"chromoting", app, h, id, rid, tm, d, nil}
	}
	data := export(
		ev(5, 10, "2024-05-02T09:00:00Z", "owner@example.com"),
		ev(1, 11, "2024-05-02T09:05:00Z", jid),
		ev(4, 12, "2024-05-02T09:05:01Z", jid, "74.125.20.127:19305", "192.168.1.20:50000", "event", "relay"),
		ev(4, 13, "2024-05-02T09:05:02Z", jid, "198.51.100.77:61000", "192.168.1.20:50001", "video", "direct"),
		ev(2, 14, "2024-05-02T09:35:00Z", jid),
		ev(3, 15, "2024-05-02T10:00:00Z", "other@example.net/chromoting_ftl_aaaa"),
	)
	res := parseBytes(t, "crd.xml", data)
	if res.Lines != 6 || len(res.Errors) != 0 {
		t.Fatalf("lines %d errors %v", res.Lines, res.Errors)
	}
	checkSessions(t, "crd.xml", res.Sessions, []want{
		{tool: ToolCRD, outcome: est, start: "2024-05-02T09:05:00Z", end: "2024-05-02T09:35:00Z",
			ip: "198.51.100.77", port: 61000, rid: jid, name: "helper@example.com", rids: []uint64{11, 12, 13, 14},
			notes: []string{"Google relay server", "channel video: connection direct"}},
		{tool: ToolCRD, outcome: fail, start: "2024-05-02T10:00:00Z", end: "2024-05-02T10:00:00Z",
			rid: "other@example.net/chromoting_ftl_aaaa", name: "other@example.net", rids: []uint64{15}},
	}, 0)
}

// Events whose text is the message (old ScreenConnect builds log under ID 0)
// are matched on the text; a command event is a note of the open session.
func TestSyntheticScreenConnectText(t *testing.T) {
	pv := "ScreenConnect Client (0123456789abcdef)"
	ev := func(id, rid int, tm, text string) xev {
		return xev{pv, "Application", "pc", id, rid, tm, [][2]string{{"", text}}, nil}
	}
	data := export(
		ev(0, 1, "2024-05-03T08:00:00Z", "Cloud Account Administrator Connected"),
		ev(0, 2, "2024-05-03T08:01:00Z", "Executed command of length 42"),
		ev(0, 3, "2024-05-03T08:02:00Z", "Transferred files with action 'Upload':\na.exe\nb.txt"),
		ev(0, 4, "2024-05-03T08:30:00Z", "Cloud Account Administrator Disconnected"),
	)
	res := parseBytes(t, "sc0.xml", data)
	checkSessions(t, "sc0.xml", res.Sessions, []want{{
		tool: ToolScreenConnect, outcome: est, start: "2024-05-03T08:00:00Z", end: "2024-05-03T08:30:00Z",
		name: "Cloud Account Administrator", rids: []uint64{1, 2, 3, 4},
		xfers: []string{"to_host a.exe", "to_host b.txt"},
		notes: []string{"Executed command of length 42", "action 'Upload'"},
	}}, 0)
}

// SYNTHETIC (no public sample of System 104; the shape is Microsoft's
// Microsoft-Windows-Eventlog manifest: UserData/LogFileCleared with
// SubjectUserName, SubjectDomainName, Channel, BackupPath, as the real 1102
// in velociraptor_RDPAuth_Security.evtx has it without Channel): System 104
// names the log that was cleared; Security 1102 is the cleared log's own
// first record; RdpCoreTS 104 (a client's time zone) is no clear at all.
func TestSyntheticLogCleared(t *testing.T) {
	const pvEv = "Microsoft-Windows-Eventlog"
	data := export(
		xev{pvEv, "System", "PC01", 104, 4711, "2024-03-05T14:20:00.1234567Z", nil, [][2]string{
			{"SubjectUserName", "victim"}, {"SubjectDomainName", "PC01"}, {"Channel", chLSM}, {"BackupPath", ""}}},
		xev{pvEv, chSec, "PC01", 1102, 1, "2024-03-05T14:20:01Z", nil, [][2]string{
			{"SubjectUserSid", "S-1-5-21-1-2-3-1001"}, {"SubjectUserName", "victim"}, {"SubjectDomainName", "PC01"}, {"SubjectLogonId", "0x3e7"}}},
		xev{pvRdp, chRdp, "PC01", 104, 903, "2024-03-05T14:21:00Z", [][2]string{{"TimezoneBiasHour", "[1]"}}, nil},
	)
	res := parseBytes(t, "export.xml", data)
	if res.Lines != 3 || len(res.Errors) != 0 || len(res.Cleared) != 2 {
		t.Fatalf("lines %d errors %v cleared %+v", res.Lines, res.Errors, res.Cleared)
	}
	want := []struct{ ch, at string }{{chLSM, "2024-03-05T14:20:00.1234567Z"}, {"Security", "2024-03-05T14:20:01Z"}}
	for i, w := range want {
		c := res.Cleared[i]
		if c.Channel != w.ch || c.Time == nil || c.Time.Format(time.RFC3339Nano) != w.at || c.User != `PC01\victim` || c.Evidence.Line == 0 {
			t.Errorf("clear %d: %+v, want %s at %s", i, c, w.ch, w.at)
		}
	}
	if res.Cleared[0].Evidence.RecordID != 4711 || res.Cleared[1].Evidence.RecordID != 1 {
		t.Errorf("record ids %d %d", res.Cleared[0].Evidence.RecordID, res.Cleared[1].Evidence.RecordID)
	}
}
