package execution_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/execution"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func TestWineLiveExecution(t *testing.T) {
	if !wine.UnderWine() {
		t.Skip("needs the seeded Wine prefix (run TestUnderWine on Linux)")
	}
	inv := scanner.Run(context.Background(), &scanner.Env{Source: source.Live()}, []scanner.Scanner{execution.New()})
	st := inv.Statuses[0]
	t.Logf("status %+v", st)
	if st.Status != inventory.StatusOK {
		t.Errorf("status = %+v", st)
	}
	seen := 0
	for _, e := range inv.Executions {
		t.Logf("%+v", e)
		switch {
		case strings.EqualFold(e.Source, `C:\windows\Prefetch\CMD.EXE-4A81B364.pf`):
			checkSample(t, e)
		case e.Source == `HKLM\SYSTEM\CurrentControlSet\Services\bam\State\UserSettings\`+bamSID:
			if e.Name != "AnyDesk.exe" || e.Path != bamPath || len(e.Times) != 1 || e.Times[0].Format(time.RFC3339) != bamTime {
				t.Errorf("BAM = %+v", e)
			}
		case strings.Contains(e.Source, `Amcache.hve:\Root\InventoryApplicationFile\anydesk.exe|`):
			if e.Name != "AnyDesk.exe" || e.Path != amPath {
				t.Errorf("Amcache = %+v", e)
			}
		default:
			t.Errorf("unexpected %+v", e)
			continue
		}
		seen++
	}
	if seen != 3 {
		t.Errorf("%d of 3 records", seen)
	}
}
