//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/pe/petest"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// TestWindowsScanUnderWine: the static ratwatch.exe (CGO_ENABLED=0) scans a
// Wine "PC" seeded with real Uninstall keys (HKLM, WOW6432Node, HKCU), a
// ScreenConnect-style service whose ImagePath names the operator's relay,
// and a portable AnyDesk.exe in Downloads built with a version resource and
// signed with a test certificate. The JSON is the same document as on
// Linux (validated against the same schema).
func TestWindowsScanUnderWine(t *testing.T) {
	p := wine.New(t)
	build := t.TempDir()
	_, signed := petest.SignedAnyDesk(t, build)
	b, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	p.WriteFile(t, `C:\users\root\Downloads\AnyDesk.exe`, b)
	const un = `\Software\Microsoft\Windows\CurrentVersion\Uninstall\`
	p.RegImport(t, `[HKEY_LOCAL_MACHINE`+un+`AnyDesk]
"DisplayName"="AnyDesk"
"Publisher"="AnyDesk Software GmbH"
"DisplayVersion"="ad 9.0.5"

[HKEY_LOCAL_MACHINE\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\TeamViewer]
"DisplayName"="TeamViewer"
"Publisher"="TeamViewer"
"DisplayVersion"="15.50.5"

[HKEY_CURRENT_USER`+un+`RustDesk]
"DisplayName"="RustDesk"
"Publisher"="Purslane Ltd"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\ScreenConnect Client (0123456789abcdef)]
"DisplayName"="ScreenConnect Client (0123456789abcdef)"
"ImagePath"="\"C:\\Program Files (x86)\\ScreenConnect Client (0123456789abcdef)\\ScreenConnect.ClientService.exe\" \"?e=Access&y=Guest&h=relay.example.test&p=8041&s=5e2f&k=BgIAAACk\""
"Type"=dword:00000010
"Start"=dword:00000003
"ObjectName"="LocalSystem"
`)
	p.Stop(t) // services.exe reads the service database when it starts

	exe := filepath.Join(t.TempDir(), "ratwatch.exe")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building ratwatch.exe: %v\n%s", err, out)
	}
	reportPath := p.HostPath(`C:\report.json`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, "wine", exe, "scan", "-o", "json", "--file", `C:\report.json`)
	run.Env = p.Env()
	run.WaitDelay = 5 * time.Second
	logf, _ := os.CreateTemp(t.TempDir(), "wine-*.log") // a file, not a pipe: wineserver inherits it
	run.Stdout, run.Stderr = logf, logf
	err = run.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wine ratwatch.exe: %v", err)
	}
	raw, rerr := os.ReadFile(reportPath)
	if rerr != nil {
		out, _ := os.ReadFile(logf.Name())
		t.Fatalf("no report (exit %d): %v\n%s", code, rerr, out)
	}
	validate(t, raw)
	var r report.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Scan.Source.OS != "windows" || r.Host.OS != "windows" || r.ExitCode != code {
		t.Errorf("os %s/%s exit %d (report %d)", r.Scan.Source.OS, r.Host.OS, code, r.ExitCode)
	}
	// Uninstall entries, each from its own registry view.
	for id, key := range map[string]string{
		"anydesk":    `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk`,
		"teamviewer": `WOW6432Node`,
		"rustdesk":   `Uninstall\RustDesk`,
	} {
		f := finding(t, &r, id)
		ok := false
		for _, m := range f.Matches {
			if m.Kind == "package" && len(m.Evidence) > 0 && strings.Contains(strings.ToLower(m.Evidence[0].Key), strings.ToLower(key)) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no Uninstall-key match containing %q: %+v", id, key, f.Matches)
		}
		if !hasState(f, "installed") {
			t.Errorf("%s: states %v lack installed", id, f.States)
		}
	}
	// The ScreenConnect service, with the operator's relay.
	sc := finding(t, &r, "screenconnect")
	svc := false
	for _, m := range sc.Matches {
		if m.Kind == "service" && m.Details["relay_host"] == "relay.example.test" && m.Details["relay_port"] == "8041" {
			svc = true
		}
	}
	if !svc {
		t.Errorf("screenconnect service with relay relay.example.test:8041 missing: %+v", sc.Matches)
	}
	// The portable AnyDesk.exe, matched on its PE metadata and signer.
	ad := finding(t, &r, "anydesk")
	pe := false
	for _, m := range ad.Matches {
		if m.Kind != "file" || len(m.Evidence) == 0 || !strings.HasSuffix(strings.ToLower(m.Evidence[0].Path), `downloads\anydesk.exe`) {
			continue
		}
		rules := map[string]bool{}
		for _, h := range m.Hits {
			rules[h.Rule] = true
		}
		e := m.Evidence[0]
		if rules["pe.original_filename"] && rules["signers"] && len(e.SHA256) == 64 &&
			strings.Contains(e.Summary, "CompanyName=AnyDesk Software GmbH") && strings.Contains(e.Summary, "signer=AnyDesk Software GmbH") {
			pe = true
		}
	}
	if !pe {
		t.Errorf("portable AnyDesk.exe with PE metadata and signer missing: %+v", ad.Matches)
	}
	if code != 2 || r.Verdict.RemoteControl == report.Established {
		t.Errorf("exit %d verdict %s: tools present, no session", code, r.Verdict.RemoteControl)
	}
}
