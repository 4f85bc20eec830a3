package portable_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/portable"
	"github.com/ratwatch/ratwatch/pkg/scanner/process"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func TestWineLivePortable(t *testing.T) {
	if !wine.UnderWine() {
		t.Skip("needs the seeded Wine prefix (run TestUnderWine on Linux)")
	}
	cmd := exec.Command(`C:\ProgramData\rd\rustdesk.exe`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(500 * time.Millisecond)

	env := &scanner.Env{Source: source.Live()}
	start := time.Now()
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{process.New(), portable.New()})
	t.Logf("scan took %s", time.Since(start))
	for _, st := range inv.Statuses {
		t.Logf("status %+v", st)
	}
	st := inv.Statuses[len(inv.Statuses)-1]
	if st.Name != portable.Name || st.Status == inventory.StatusFailed {
		t.Fatalf("status = %+v", st)
	}
	var ad, rd *inventory.File
	for i, f := range inv.Files {
		t.Logf("%s %d %q %q %q %q", f.Path, f.Size, f.OriginalFilename, f.ProductName, f.Signer, f.Reason)
		switch {
		case strings.EqualFold(f.Path, `C:\users\root\Downloads\AnyDesk.exe`):
			ad = &inv.Files[i]
		case strings.EqualFold(f.Path, `C:\ProgramData\rd\rustdesk.exe`):
			rd = &inv.Files[i]
		}
	}
	if ad == nil || ad.Signer != "AnyDesk Software GmbH" || ad.OriginalFilename != "AnyDesk.exe" || len(ad.SHA256) != 64 ||
		!strings.HasPrefix(ad.Reason, "in root's Downloads") || ad.Created == nil {
		t.Errorf("AnyDesk = %+v", ad)
	}
	if rd == nil || rd.ProductName != "RustDesk" || !strings.Contains(rd.Reason, "image of running process rustdesk.exe (pid ") {
		t.Errorf("RustDesk = %+v", rd)
	}
}
