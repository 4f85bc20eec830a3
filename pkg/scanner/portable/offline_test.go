package portable_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/pe/petest"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/portable"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func put(t *testing.T, root, rel string, data []byte) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOfflineImage(t *testing.T) {
	build := t.TempDir()
	_, signed := petest.SignedAnyDesk(t, build)
	ad, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile(petest.Build(t, build, "ScreenConnect.WindowsClient.exe", petest.Version{
		OriginalFilename: "ScreenConnect.WindowsClient.exe", CompanyName: "ScreenConnect Software",
		ProductName: "ScreenConnect", FileVersion: "23.8.6.8735",
	}))
	if err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "Windows", "System32"), 0o755)
	put(t, root, "Users/bob/Downloads/AnyDesk.exe", ad)
	put(t, root, "Users/bob/Downloads/invoice/totally-not-a-rat.EXE", ad)
	put(t, root, "Users/bob/Downloads/broken.exe", ad[:len(ad)/2])
	put(t, root, "Users/bob/Downloads/notes.txt", []byte("hello"))
	put(t, root, "Users/bob/Desktop/setup.msi", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 504)...))
	put(t, root, "Users/bob/AppData/Local/Temp/x/ok.exe", sc)
	put(t, root, "Users/bob/AppData/Local/Temp/a/b/too-deep.exe", sc)
	put(t, root, "Windows/Temp/ScreenConnect/23.8.6.8735/ScreenConnect.WindowsClient.exe", sc)
	put(t, root, "Users/Public/Downloads/AnyDesk (1).exe", ad)
	huge := put(t, root, "Users/bob/Downloads/huge.exe", nil)
	if err := os.Truncate(huge, portable.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/x86_64-linux-gnu", filepath.Join(root, "Users/bob/Downloads/link")); err != nil {
		t.Fatal(err)
	}

	before := snapshot(t, root)
	env := &scanner.Env{Source: source.Dir(root, "windows"), Prior: &inventory.Inventory{}}
	env.Prior.Processes = []inventory.Process{{PID: 4242, Name: "AnyDesk.exe", Exe: "/Users/bob/Downloads/AnyDesk.exe"}}
	part := portable.New().Scan(context.Background(), env)
	if snapshot(t, root) != before {
		t.Error("the scan changed the image")
	}
	got := map[string]inventory.File{}
	for _, f := range part.Files {
		got[f.Path] = f
		t.Logf("%s %d %q %q %q %q %q", f.Path, f.Size, f.OriginalFilename, f.ProductName, f.Signer, f.SHA256, f.Reason)
	}
	want := []string{
		"/Users/bob/Downloads/AnyDesk.exe",
		"/Users/bob/Downloads/invoice/totally-not-a-rat.EXE",
		"/Users/bob/Downloads/broken.exe",
		"/Users/bob/Downloads/huge.exe",
		"/Users/bob/Desktop/setup.msi",
		"/Users/bob/AppData/Local/Temp/x/ok.exe",
		"/Windows/Temp/ScreenConnect/23.8.6.8735/ScreenConnect.WindowsClient.exe",
		"/Users/Public/Downloads/AnyDesk (1).exe",
	}
	if len(part.Files) != len(want) {
		t.Errorf("%d files, want %d", len(part.Files), len(want))
	}
	for _, p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("%s not found", p)
		}
	}
	a := got["/Users/bob/Downloads/AnyDesk.exe"]
	if a.OriginalFilename != "AnyDesk.exe" || a.CompanyName != "AnyDesk Software GmbH" || a.ProductName != "AnyDesk" ||
		a.FileVersion != "9.0.5" || a.Signer != "AnyDesk Software GmbH" || len(a.SHA256) != 64 || a.Size != int64(len(ad)) ||
		a.Modified == nil || a.Reason != "in bob's Downloads; image of running process AnyDesk.exe (pid 4242)" {
		t.Errorf("AnyDesk.exe = %+v", a)
	}
	if r := got["/Users/bob/Downloads/invoice/totally-not-a-rat.EXE"]; r.ProductName != "AnyDesk" || r.SHA256 != a.SHA256 {
		t.Errorf("renamed = %+v", r)
	}
	if m := got["/Users/bob/Desktop/setup.msi"]; len(m.SHA256) != 64 || m.ProductName != "" || m.Reason != "on bob's Desktop" {
		t.Errorf("msi = %+v", m)
	}
	if w := got["/Windows/Temp/ScreenConnect/23.8.6.8735/ScreenConnect.WindowsClient.exe"]; w.ProductName != "ScreenConnect" || w.Signer != "" {
		t.Errorf("screenconnect = %+v", w)
	}
	if h := got["/Users/bob/Downloads/huge.exe"]; h.SHA256 != "" || h.Size != portable.MaxFileSize+1 {
		t.Errorf("huge = %+v", h)
	}
	st := part.Statuses[0]
	if st.Status != inventory.StatusPartial || st.Unreadable != 1 || len(st.Errors) != 2 {
		t.Errorf("status = %+v", st)
	}
	joined := strings.Join(st.Errors, "\n")
	t.Logf("errors:\n%s", joined)
	if !strings.Contains(joined, "/Users/bob/Downloads/broken.exe: PE: ") || !strings.Contains(joined, "offset 0x") {
		t.Errorf("broken.exe error: %s", joined)
	}
	if !strings.Contains(joined, "huge.exe") {
		t.Errorf("huge.exe error: %s", joined)
	}
}

func TestNotWindows(t *testing.T) {
	env := &scanner.Env{Source: source.Dir(t.TempDir(), "linux")}
	if st := portable.New().Scan(context.Background(), env).Statuses[0]; st.Status != inventory.StatusSkipped {
		t.Errorf("%+v", st)
	}
}

func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + fi.ModTime().String() + fi.Mode().String() + "\n")
		return nil
	})
	return b.String()
}
