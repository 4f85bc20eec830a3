package match_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// TestSharedLogAloneIsNoTool: an Application.evtx read for ScreenConnect,
// LogMeIn and Chrome Remote Desktop with none of their records is the
// OS's log, on every Windows: it makes no tool. When ScreenConnect is
// found otherwise, the log is one of its sources read (coverage).
func TestSharedLogAloneIsNoTool(t *testing.T) {
	set, err := signature.Builtin(signature.Options{SkipExamples: true})
	if err != nil {
		t.Fatal(err)
	}
	app := func(tool string) inventory.LogFile {
		return inventory.LogFile{Tool: tool, Parser: "windows-eventlog", Path: `C:\Windows\System32\winevt\Logs\Application.evtx`,
			Status: "ok", Lines: 2, Shared: true}
	}
	inv := &inventory.Inventory{Logs: []inventory.LogFile{app("screenconnect"), app("logmein"), app("chrome-remote-desktop")}}
	if tools := match.Match(inv, set, "windows"); len(tools) != 0 {
		for _, tl := range tools {
			t.Errorf("tool %s from the shared log alone", tl.Sig.ID)
		}
	}
	inv.Packages = []inventory.Package{{Manager: "windows-uninstall", Name: "ScreenConnect Client (0123456789abcdef)"}}
	tools := match.Match(inv, set, "windows")
	if len(tools) != 1 || tools[0].Sig.ID != "screenconnect" || len(tools[0].Logs) != 1 || len(tools[0].Matches) != 1 {
		for _, tl := range tools {
			t.Logf("%s: %d logs, %d matches", tl.Sig.ID, len(tl.Logs), len(tl.Matches))
		}
		t.Fatalf("%d tools, want screenconnect with the log as a source and its package as the only match", len(tools))
	}
	// Its own records in the shared log do make the tool.
	inv.Packages = nil
	rec := app("logmein")
	rec.Records = 1
	inv.Logs = []inventory.LogFile{rec}
	if tools := match.Match(inv, set, "windows"); len(tools) != 1 || tools[0].Sig.ID != "logmein" {
		t.Errorf("%d tools from LogMeIn's own records", len(tools))
	}
}

// TestBuiltinServiceSockets: RDP switched on — TermService in svchost.exe
// listening on 3389, a client connected to it. The port belongs to Windows
// Remote Desktop whoever owns it, and the owning svchost runs it (a
// server); the same svchost's HTTPS connection belongs to another service
// it hosts, and is not RDP's.
func TestBuiltinServiceSockets(t *testing.T) {
	set, err := signature.Builtin(signature.Options{SkipExamples: true})
	if err != nil {
		t.Fatal(err)
	}
	sock := func(lport uint32, rip string, rport uint32, state string) inventory.Socket {
		return inventory.Socket{PID: 1200, Socket: evidence.Socket{Proto: "tcp", LocalIP: "10.0.0.5", LocalPort: lport, RemoteIP: rip, RemotePort: rport, State: state}}
	}
	inv := &inventory.Inventory{
		Services:  []inventory.Service{{Manager: "windows-scm", Name: "TermService", State: "running"}},
		Processes: []inventory.Process{{PID: 1200, Name: "svchost.exe", Exe: `C:\Windows\System32\svchost.exe`, Cmdline: `svchost.exe -k NetworkService -s TermService`}},
		Sockets: []inventory.Socket{sock(3389, "", 0, "LISTEN"), sock(3389, "198.51.100.7", 50123, "ESTABLISHED"),
			sock(49822, "13.107.4.50", 443, "ESTABLISHED")},
	}
	tools := match.Match(inv, set, "windows")
	if len(tools) != 1 || tools[0].Sig.ID != "windows-rdp" {
		t.Fatalf("%d tools, want windows-rdp", len(tools))
	}
	rdp := tools[0]
	var classes []string
	for _, s := range rdp.Sockets {
		classes = append(classes, s.Class+" "+fmt.Sprint(s.S.LocalPort))
	}
	if !slices.Equal(classes, []string{match.SockListening + " 3389", match.SockInbound + " 3389"}) {
		t.Errorf("sockets %v, want the listener and the inbound connection on 3389 only", classes)
	}
	if len(rdp.Processes) != 1 || rdp.Processes[0].P.PID != 1200 || rdp.Processes[0].Role != match.RoleServer {
		t.Errorf("processes %+v, want svchost pid 1200 as the server", rdp.Processes)
	}
	// The service alone (RDP switched off): no socket, no process.
	inv.Sockets = inv.Sockets[2:]
	tools = match.Match(inv, set, "windows")
	if len(tools) != 1 || len(tools[0].Sockets) != 0 || len(tools[0].Processes) != 0 {
		t.Errorf("RDP off: %d sockets, %d processes", len(tools[0].Sockets), len(tools[0].Processes))
	}
}
