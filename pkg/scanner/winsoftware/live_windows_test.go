package winsoftware_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/winsoftware"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func TestWineLiveRegistry(t *testing.T) {
	if !wine.UnderWine() {
		t.Skip("needs the seeded Wine prefix (run TestUnderWine on Linux)")
	}
	env := &scanner.Env{Source: source.Live()}
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{winsoftware.New()})
	st := inv.Statuses[0]
	t.Logf("status %+v", st)
	if st.Status == inventory.StatusFailed || st.Status == inventory.StatusSkipped {
		t.Fatalf("status = %+v", st)
	}
	found := map[string]inventory.Package{}
	for _, p := range inv.Packages {
		t.Logf("%s %q %q %q %q %v %s", p.Manager, p.Name, p.Version, p.Publisher, p.Location, p.InstallDate, p.Source)
		key := p.Manager + "/" + p.Name
		if want, ok := expectLive[key]; ok {
			if _, dup := found[key]; dup {
				t.Errorf("%s reported twice", key)
			}
			if !strings.HasSuffix(p.Source, want) {
				t.Errorf("%s source %s, want …%s", key, p.Source, want)
			}
			found[key] = p
			continue
		}
		// Wine's own entries are allowed, but none may look like a seeded tool.
		for _, tool := range []string{"anydesk", "teamviewer", "rustdesk", "ultraviewer", "quickassist"} {
			if strings.Contains(strings.ToLower(p.Name+p.Source), tool) {
				t.Errorf("unexpected %s package %+v", tool, p)
			}
		}
	}
	for key := range expectLive {
		if _, ok := found[key]; !ok {
			t.Errorf("%s not found", key)
		}
	}
	ad := found["windows-uninstall/AnyDesk"]
	if ad.Version != "ad 9.0.5" || ad.Publisher != "AnyDesk Software GmbH" || ad.Location != `C:\Program Files (x86)\AnyDesk` ||
		ad.InstallDate == nil || ad.InstallDate.Format("20060102") != "20250103" {
		t.Errorf("AnyDesk = %+v", ad)
	}
	if tv := found["windows-uninstall/TeamViewer"]; tv.Version != "15.61.3" || tv.Location != `C:\Program Files (x86)\TeamViewer` {
		t.Errorf("TeamViewer = %+v", tv)
	}
	if rd := found["windows-uninstall/RustDesk"]; !strings.HasPrefix(rd.Source, `HKU\S-1-5-21-`) || rd.InstallDate == nil {
		t.Errorf("RustDesk = %+v", rd)
	}
	if uv := found["windows-uninstall/UltraViewer"]; uv.Version != "6.6.105" || uv.Publisher != "DucFabulous" {
		t.Errorf("UltraViewer = %+v", uv)
	}
	if q := found["msix/MicrosoftCorporationII.QuickAssist_8wekyb3d8bbwe"]; q.Version != "2.0.32.0" ||
		q.Location != `C:\Program Files\WindowsApps\MicrosoftCorporationII.QuickAssist_2.0.32.0_x64__8wekyb3d8bbwe` {
		t.Errorf("Quick Assist = %+v", q)
	}
}
