package winservices_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/winservices"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func TestWineLiveServices(t *testing.T) {
	if !wine.UnderWine() {
		t.Skip("needs the seeded Wine prefix (run TestUnderWine on Linux)")
	}
	env := &scanner.Env{Source: source.Live()}
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{winservices.New()})
	st := inv.Statuses[0]
	t.Logf("status %+v", st)
	if st.Status != inventory.StatusOK {
		t.Errorf("status = %+v", st)
	}
	got := map[string]inventory.Service{}
	running := 0
	for _, s := range inv.Services {
		t.Logf("%-45q %-8s %-10s %q %v", s.Name, s.StartType, s.State, s.ImagePath, s.Details)
		got[s.Name] = s
		if s.State == "running" && s.Details["pid"] != "" {
			running++
		}
		if s.Name != "AnyDesk" && s.Name != scName {
			for _, tool := range []string{"anydesk", "screenconnect", "relay.example"} {
				if strings.Contains(strings.ToLower(s.Name+s.ImagePath+s.DisplayName), tool) {
					t.Errorf("unexpected %+v", s)
				}
			}
		}
	}
	if _, ok := got["ratwatchdrv"]; ok {
		t.Error("kernel driver listed")
	}
	ad := got["AnyDesk"]
	if ad.ImagePath != adImagePath || ad.StartType != "auto" || ad.DisplayName != "AnyDesk Service" ||
		ad.Source != `HKLM\SYSTEM\CurrentControlSet\Services\AnyDesk` || ad.State != "stopped" {
		t.Errorf("AnyDesk = %+v", ad)
	}
	sc := got[scName]
	if sc.ImagePath != scImagePath || sc.Details["relay_host"] != "relay.example.test" || sc.Details["relay_port"] != "8041" || sc.State != "stopped" {
		t.Errorf("ScreenConnect = %+v", sc)
	}
	if running == 0 {
		t.Error("no running service with a pid: SCM states were not read")
	}
}
