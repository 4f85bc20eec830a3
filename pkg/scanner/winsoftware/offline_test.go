package winsoftware_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/winsoftware"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func sv(pairs ...string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, [2]string{pairs[i], pairs[i+1]})
	}
	return out
}

func mkdir(t *testing.T, p string) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOfflineImage(t *testing.T) {
	root := t.TempDir()
	cfg := mkdir(t, filepath.Join(root, "Windows", "System32", "config"))
	hivetest.Build(t, filepath.Join(cfg, "SOFTWARE"),
		hivetest.Key{Path: `Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk`, Values: sv(
			"DisplayName", "string:AnyDesk",
			"DisplayVersion", "string:ad 9.0.5",
			"Publisher", "string:AnyDesk Software GmbH",
			"InstallLocation", `string:"C:\Program Files (x86)\AnyDesk"`,
			"InstallDate", "string:20250103",
		)},
		hivetest.Key{Path: `Microsoft\Windows\CurrentVersion\Uninstall\{6A2D1A7C-0000-4B5E-9C8D-000000000001}`, Values: sv(
			"SystemComponent", "dword:0x1",
		)},
		hivetest.Key{Path: `WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\TeamViewer`, Values: sv(
			"DisplayName", "string:TeamViewer",
			"DisplayVersion", "string:15.61.3",
			"Publisher", "string:TeamViewer",
			"InstallLocation", `string:C:\Program Files (x86)\TeamViewer`,
		)},
	)
	bob := mkdir(t, filepath.Join(root, "Users", "bob"))
	hivetest.Build(t, filepath.Join(bob, "NTUSER.DAT"),
		hivetest.Key{Path: `Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk`, Values: sv(
			"DisplayName", "string:RustDesk",
			"DisplayVersion", "string:1.3.2",
			"Publisher", "string:RustDesk",
			"InstallDate", "string:2024-11-30",
		)},
	)
	alice := mkdir(t, filepath.Join(root, "Users", "alice", "AppData", "Local", "Microsoft", "Windows"))
	const qa = "MicrosoftCorporationII.QuickAssist_2.0.32.0_x64__8wekyb3d8bbwe"
	hivetest.Build(t, filepath.Join(alice, "UsrClass.dat"),
		hivetest.Key{Path: winsoftware.AppModelPath + `\` + qa, Values: sv(
			"PackageRootFolder", `string:C:\Program Files\WindowsApps\`+qa,
		)},
	)
	mkdir(t, filepath.Join(root, "Program Files", "WindowsApps", qa))
	mkdir(t, filepath.Join(root, "Program Files", "WindowsApps", "Microsoft.WindowsCalculator_11.2307.4.0_x64__8wekyb3d8bbwe"))
	mkdir(t, filepath.Join(root, "Users", "Public"))

	before := snapshot(t, root)
	inv := scan(t, root)
	if after := snapshot(t, root); after != before {
		t.Error("the scan changed the image")
	}
	st := inv.Statuses[0]
	if st.Status != inventory.StatusOK || len(st.Errors) != 0 {
		t.Errorf("status = %+v", st)
	}
	got := map[string]inventory.Package{}
	for _, p := range inv.Packages {
		got[p.Manager+"/"+p.Name] = p
	}
	if len(inv.Packages) != 5 {
		t.Errorf("%d packages: %+v", len(inv.Packages), inv.Packages)
	}
	ad := got["windows-uninstall/AnyDesk"]
	if ad.Version != "ad 9.0.5" || ad.Publisher != "AnyDesk Software GmbH" || ad.Location != `C:\Program Files (x86)\AnyDesk` ||
		ad.InstallDate == nil || ad.InstallDate.Format("2006-01-02") != "2025-01-03" ||
		ad.Source != `/Windows/System32/config/SOFTWARE:\Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk` {
		t.Errorf("AnyDesk = %+v", ad)
	}
	tv := got["windows-uninstall/TeamViewer"]
	if tv.Version != "15.61.3" || !strings.HasSuffix(tv.Source, `SOFTWARE:\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\TeamViewer`) {
		t.Errorf("TeamViewer = %+v", tv)
	}
	rd := got["windows-uninstall/RustDesk"]
	if rd.Source != `/Users/bob/NTUSER.DAT:\Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk` ||
		rd.InstallDate == nil || rd.InstallDate.Format("2006-01-02") != "2024-11-30" {
		t.Errorf("RustDesk = %+v", rd)
	}
	q := got["msix/MicrosoftCorporationII.QuickAssist_8wekyb3d8bbwe"]
	if q.Version != "2.0.32.0" || !strings.HasPrefix(q.Source, "/Users/alice/AppData/Local/Microsoft/Windows/UsrClass.dat:") {
		t.Errorf("Quick Assist = %+v", q)
	}
	if c := got["msix/Microsoft.WindowsCalculator_8wekyb3d8bbwe"]; c.Source != "/Program Files/WindowsApps/Microsoft.WindowsCalculator_11.2307.4.0_x64__8wekyb3d8bbwe" {
		t.Errorf("calculator = %+v", c)
	}
}

// Lower-case paths (a copy made on Linux) and a corrupt user hive.
func TestOfflineCaseAndCorruptHive(t *testing.T) {
	root := t.TempDir()
	cfg := mkdir(t, filepath.Join(root, "windows", "system32", "config"))
	hivetest.Build(t, filepath.Join(cfg, "software"),
		hivetest.Key{Path: `Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk`, Values: sv("DisplayName", "string:AnyDesk")},
	)
	carol := mkdir(t, filepath.Join(root, "Users", "carol"))
	if err := os.WriteFile(filepath.Join(carol, "NTUSER.DAT"), []byte("regf but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := scan(t, root)
	st := inv.Statuses[0]
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "AnyDesk" ||
		inv.Packages[0].Source != `/windows/system32/config/software:\Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk` {
		t.Errorf("packages = %+v", inv.Packages)
	}
	if st.Status != inventory.StatusPartial || len(st.Errors) != 1 ||
		!strings.Contains(st.Errors[0], "/Users/carol/NTUSER.DAT") || !strings.Contains(st.Errors[0], "offset") {
		t.Errorf("status = %+v", st)
	}
}

func TestNoHives(t *testing.T) {
	root := t.TempDir()
	mkdir(t, filepath.Join(root, "Windows", "System32"))
	inv := scan(t, root)
	if st := inv.Statuses[0]; st.Status != inventory.StatusFailed {
		t.Errorf("status = %+v", st)
	}
}

func TestInstallDate(t *testing.T) {
	for in, want := range map[string]string{
		"20240312": "2024-03-12", "2024-03-12": "2024-03-12", "3/12/2024": "2024-03-12", " 20240312 ": "2024-03-12",
		"": "", "0": "", "99999999": "", "17000101": "",
	} {
		got, ok := winsoftware.ParseInstallDate(in)
		if s := got.Format("2006-01-02"); (ok && s != want) || (!ok && want != "") {
			t.Errorf("%q -> %v %v, want %q", in, got, ok, want)
		}
	}
}

func scan(t *testing.T, root string) inventory.Inventory {
	t.Helper()
	env := &scanner.Env{Source: source.Dir(root, "windows")}
	return scanner.Run(context.Background(), env, []scanner.Scanner{winsoftware.New()})
}

// snapshot summarises a tree's files (path, size, mtime, atime-insensitive).
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if fi.Mode().IsRegular() {
			c, _ := os.ReadFile(p)
			data = string(c)
		}
		b.WriteString(p + fi.ModTime().String() + fi.Mode().String() + data + "\n")
		return nil
	})
	return b.String()
}
