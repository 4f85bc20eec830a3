package macapps_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/macapps"
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

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toBinary converts an XML plist to the binary form with libplist's
// plistutil.
func toBinary(t *testing.T, xml []byte) []byte {
	t.Helper()
	wine.NeedTools(t, "plistutil")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.plist"), filepath.Join(dir, "out.plist")
	os.WriteFile(in, xml, 0o644)
	if b, err := exec.Command("plistutil", "-i", in, "-o", out, "-f", "bin").CombinedOutput(); err != nil {
		t.Fatalf("plistutil: %v %s", err, b)
	}
	b := read(t, out)
	if !strings.HasPrefix(string(b), "bplist00") {
		t.Fatalf("plistutil wrote %q", b[:8])
	}
	return b
}

func TestImage(t *testing.T) {
	root := t.TempDir()
	xmlInfo := read(t, "testdata/AnyDesk-Info.plist")
	xmlJob := read(t, "testdata/com.teamviewer.teamviewer_service.plist")
	put(t, root, "etc/passwd", []byte("root:*:0:0:System Administrator:/var/root:/bin/sh\nalice:*:501:20:Alice:/Users/alice:/bin/zsh\n"))
	// XML Info.plist (as shipped).
	put(t, root, "Applications/AnyDesk.app/Contents/Info.plist", xmlInfo)
	put(t, root, "Applications/AnyDesk.app/Contents/MacOS/AnyDesk", []byte("\xcf\xfa\xed\xfe"))
	// Binary Info.plist written by libplist.
	tv := strings.NewReplacer("com.philandro.anydesk", "com.teamviewer.TeamViewer", ">AnyDesk<", ">TeamViewer<", "8.0.8", "15.61.3").Replace(string(xmlInfo))
	put(t, root, "Applications/TeamViewer.app/Contents/Info.plist", toBinary(t, []byte(tv)))
	// Binary Info.plist written by howett.net/plist's encoder, in a sub-folder.
	rd, err := plist.Marshal(map[string]any{"CFBundleIdentifier": "com.carriez.rustdesk", "CFBundleName": "RustDesk", "CFBundleVersion": "1.3.2"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	put(t, root, "Applications/Remote/RustDesk.app/Contents/Info.plist", rd)
	// Run from Downloads, never installed; and one with a broken plist.
	put(t, root, "Users/alice/Downloads/AnyDesk.app/Contents/Info.plist", xmlInfo)
	put(t, root, "Users/alice/Desktop/Broken.app/Contents/Info.plist", []byte("bplist00\x01\x02garbage"))
	// A helper app inside a bundle is not listed separately.
	put(t, root, "Applications/AnyDesk.app/Contents/Library/Helper.app/Contents/Info.plist", xmlInfo)
	put(t, root, "System/Library/CoreServices/SystemVersion.plist", []byte("<plist/>"))

	// launchd jobs: XML daemon, binary (libplist) user agent, garbage.
	put(t, root, "Library/LaunchDaemons/com.teamviewer.teamviewer_service.plist", xmlJob)
	agent := `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Label</key><string>com.philandro.anydesk.Frontend</string><key>Program</key><string>/Applications/AnyDesk.app/Contents/MacOS/AnyDesk</string><key>Disabled</key><true/></dict></plist>`
	put(t, root, "Users/alice/Library/LaunchAgents/com.philandro.anydesk.Frontend.plist", toBinary(t, []byte(agent)))
	put(t, root, "Library/LaunchAgents/broken.plist", []byte("<?xml version=\"1.0\"?><plist><dict><key>Label</string>"))

	src := source.Dir(root, "")
	if src.OS() != "darwin" {
		t.Fatalf("guessed OS %s", src.OS())
	}
	inv := scanner.Run(context.Background(), &scanner.Env{Source: src}, []scanner.Scanner{macapps.New(), macapps.NewLaunchd()})
	for _, p := range inv.Packages {
		t.Logf("%+v", p)
	}
	got := map[string]inventory.Package{}
	for _, p := range inv.Packages {
		got[p.Location] = p
	}
	if len(inv.Packages) != 5 {
		t.Errorf("%d packages", len(inv.Packages))
	}
	ad := got["/Applications/AnyDesk.app"]
	if ad.Manager != "macos-bundle" || ad.BundleID != "com.philandro.anydesk" || ad.Name != "AnyDesk" || ad.Version != "8.0.8" ||
		ad.Source != "/Applications/AnyDesk.app/Contents/Info.plist" {
		t.Errorf("AnyDesk = %+v", ad)
	}
	if p := got["/Applications/TeamViewer.app"]; p.BundleID != "com.teamviewer.TeamViewer" || p.Name != "TeamViewer" || p.Version != "15.61.3" {
		t.Errorf("TeamViewer (libplist binary) = %+v", p)
	}
	if p := got["/Applications/Remote/RustDesk.app"]; p.BundleID != "com.carriez.rustdesk" || p.Version != "1.3.2" {
		t.Errorf("RustDesk (howett binary) = %+v", p)
	}
	if p := got["/Users/alice/Downloads/AnyDesk.app"]; p.BundleID != "com.philandro.anydesk" {
		t.Errorf("Downloads AnyDesk = %+v", p)
	}
	if p := got["/Users/alice/Desktop/Broken.app"]; p.Name != "Broken" || p.BundleID != "" {
		t.Errorf("Broken = %+v", p)
	}
	bst := inv.Statuses[0]
	if bst.Status != inventory.StatusPartial || bst.Unreadable != 1 || !strings.Contains(bst.Errors[0], "/Users/alice/Desktop/Broken.app/Contents/Info.plist: 17 bytes, binary plist") {
		t.Errorf("bundles status = %+v", bst)
	}

	svc := map[string]inventory.Service{}
	for _, s := range inv.Services {
		t.Logf("%+v", s)
		svc[s.Name] = s
	}
	if len(inv.Services) != 2 {
		t.Errorf("%d services", len(inv.Services))
	}
	d := svc["com.teamviewer.teamviewer_service"]
	if d.Manager != "launchd" || d.ImagePath != `/Applications/TeamViewer.app/Contents/Library/TeamViewer_Service -s "--log dir"` ||
		d.StartType != "keep-alive" || d.Details["domain"] != "system" || d.Details["kind"] != "daemon" ||
		d.Source != "/Library/LaunchDaemons/com.teamviewer.teamviewer_service.plist" {
		t.Errorf("daemon = %+v", d)
	}
	a := svc["com.philandro.anydesk.Frontend"]
	if a.ImagePath != "/Applications/AnyDesk.app/Contents/MacOS/AnyDesk" || a.StartType != "disabled" || a.Details["domain"] != "user alice" {
		t.Errorf("agent = %+v", a)
	}
	lst := inv.Statuses[1]
	if lst.Status != inventory.StatusPartial || lst.Unreadable != 1 || !strings.Contains(lst.Errors[0], "/Library/LaunchAgents/broken.plist") {
		t.Errorf("launchd status = %+v", lst)
	}
}

func TestGarbagePlists(t *testing.T) {
	xml := read(t, "testdata/AnyDesk-Info.plist")
	bin := toBinary(t, xml)
	cases := [][]byte{nil, []byte("bplist00"), []byte("<plist>"), []byte("\x00\x01\x02")}
	for i := 1; i < len(bin); i += 7 {
		cases = append(cases, bin[:i])
	}
	for i := 8; i < len(bin); i += 5 {
		b := append([]byte(nil), bin...)
		b[i] ^= 0xff
		cases = append(cases, b)
	}
	for i := 1; i < len(xml); i += 97 {
		cases = append(cases, xml[:i])
	}
	for i, c := range cases {
		m, err := macapps.ParsePlist(c, "x.plist")
		if err != nil && !strings.HasPrefix(err.Error(), "x.plist: ") {
			t.Errorf("case %d: %v", i, err)
		}
		_ = m
	}
}

func TestNotDarwin(t *testing.T) {
	src := source.Dir(t.TempDir(), "windows")
	for _, s := range []scanner.Scanner{macapps.New(), macapps.NewLaunchd()} {
		if st := s.Scan(context.Background(), &scanner.Env{Source: src}).Statuses[0]; st.Status != inventory.StatusSkipped {
			t.Errorf("%+v", st)
		}
	}
}

// FuzzPlist: go test -fuzz FuzzPlist ./pkg/scanner/macapps/
func FuzzPlist(f *testing.F) {
	b, _ := os.ReadFile("testdata/AnyDesk-Info.plist")
	f.Add(b)
	f.Add([]byte("bplist00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		macapps.ParsePlist(data, "f.plist")
	})
}
