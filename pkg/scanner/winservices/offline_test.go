package winservices_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/winservices"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func sv(pairs ...string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, [2]string{pairs[i], pairs[i+1]})
	}
	return out
}

func TestOfflineSystemHive(t *testing.T) {
	root := t.TempDir()
	cfg := filepath.Join(root, "Windows", "System32", "config")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	hivetest.Build(t, filepath.Join(cfg, "SYSTEM"),
		hivetest.Key{Path: `Select`, Values: sv("Current", "dword:0x2", "Default", "dword:0x2", "LastKnownGood", "dword:0x1")},
		hivetest.Key{Path: `ControlSet001\Services\OldOnly`, Values: sv("ImagePath", "string:old.exe", "Type", "dword:0x10")},
		hivetest.Key{Path: `ControlSet002\Services\AnyDesk`, Values: sv(
			"DisplayName", "string:AnyDesk Service",
			"ImagePath", "string:"+adImagePath,
			"Start", "dword:0x2",
			"DelayedAutostart", "dword:0x1",
			"Type", "dword:0x10",
			"ObjectName", "string:LocalSystem",
		)},
		hivetest.Key{Path: `ControlSet002\Services\` + scName, Values: sv(
			"DisplayName", "string:"+scName,
			"ImagePath", "expandstring:"+scImagePath,
			"Start", "dword:0x2",
			"Type", "dword:0x10",
		)},
		hivetest.Key{Path: `ControlSet002\Services\TermService`, Values: sv(
			"DisplayName", "string:Remote Desktop Services",
			"ImagePath", `expandstring:%SystemRoot%\System32\svchost.exe -k NetworkService`,
			"Start", "dword:0x3",
			"Type", "dword:0x20",
		)},
		hivetest.Key{Path: `ControlSet002\Services\TermService\Parameters`, Values: sv(
			"ServiceDll", `expandstring:%SystemRoot%\System32\termsrv.dll`,
		)},
		hivetest.Key{Path: `ControlSet002\Services\ratwatchdrv`, Values: sv("Type", "dword:0x1", "Start", "dword:0x3")},
	)
	env := &scanner.Env{Source: source.Dir(root, "windows")}
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{winservices.New()})
	st := inv.Statuses[0]
	if st.Status != inventory.StatusOK || st.Items != 3 {
		t.Errorf("status = %+v", st)
	}
	got := map[string]inventory.Service{}
	for _, s := range inv.Services {
		got[s.Name] = s
	}
	if len(got) != 3 {
		t.Fatalf("services = %+v", inv.Services)
	}
	ad := got["AnyDesk"]
	if ad.Manager != "windows-scm" || ad.DisplayName != "AnyDesk Service" || ad.ImagePath != adImagePath ||
		ad.StartType != "auto (delayed)" || ad.Details["account"] != "LocalSystem" ||
		ad.Source != `/Windows/System32/config/SYSTEM:\ControlSet002\Services\AnyDesk` || ad.State != "" {
		t.Errorf("AnyDesk = %+v", ad)
	}
	sc := got[scName]
	if sc.ImagePath != scImagePath || sc.StartType != "auto" || sc.Details["relay_host"] != "relay.example.test" ||
		sc.Details["relay_port"] != "8041" || sc.Details["session_type"] != "Access" ||
		sc.Details["session"] != "6f1c2a9e-0000-4c1e-9d2b-000000000001" {
		t.Errorf("ScreenConnect = %+v", sc)
	}
	ts := got["TermService"]
	if ts.StartType != "demand" || ts.Details["service_dll"] != `%SystemRoot%\System32\termsrv.dll` || ts.Details["relay_host"] != "" {
		t.Errorf("TermService = %+v", ts)
	}
}

func TestRelayParams(t *testing.T) {
	m := winservices.RelayParams(scImagePath)
	if m["relay_host"] != "relay.example.test" || m["relay_port"] != "8041" || len(m) != 4 {
		t.Errorf("%v", m)
	}
	for _, s := range []string{"", `C:\x.exe`, `C:\x.exe "?e=Access&p=1"`, `"C:\a?b.exe"`} {
		if m := winservices.RelayParams(s); m != nil {
			t.Errorf("%q -> %v", s, m)
		}
	}
}

func TestOfflineBroken(t *testing.T) {
	root := t.TempDir()
	cfg := filepath.Join(root, "Windows", "System32", "config")
	os.MkdirAll(cfg, 0o755)
	env := &scanner.Env{Source: source.Dir(root, "windows")}
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{winservices.New()})
	if st := inv.Statuses[0]; st.Status != inventory.StatusFailed || !strings.Contains(st.Reason, "no SYSTEM hive") {
		t.Errorf("missing hive: %+v", st)
	}
	b, err := os.ReadFile(hivetest.BasePath(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cfg, "SYSTEM"), b[:3000], 0o644)
	inv = scanner.Run(context.Background(), env, []scanner.Scanner{winservices.New()})
	if st := inv.Statuses[0]; st.Status != inventory.StatusFailed || !strings.Contains(st.Reason, "SYSTEM") || !strings.Contains(st.Reason, "offset") {
		t.Errorf("truncated hive: %+v", st)
	}
	// A real hive without Select.
	os.WriteFile(filepath.Join(cfg, "SYSTEM"), b, 0o644)
	inv = scanner.Run(context.Background(), env, []scanner.Scanner{winservices.New()})
	if st := inv.Statuses[0]; st.Status != inventory.StatusFailed || !strings.Contains(st.Reason, "Select") {
		t.Errorf("no Select: %+v", st)
	}
}
