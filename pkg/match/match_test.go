package match_test

import (
	"testing"

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
