package winsoftware_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
)

// TestUnderWine runs the live Windows scanner for real: Wine's registry,
// seeded with reg import / reg add, read through the registry API by the
// Windows test binary of this package.
func TestUnderWine(t *testing.T) {
	p := wine.New(t)
	p.RegImport(t, seedReg)
	p.RegAdd(t, `HKLM\Software\Microsoft\Windows NT\CurrentVersion\ProfileList\`+daveSID, "ProfileImagePath", "REG_EXPAND_SZ", `%SystemDrive%\users\dave`)
	dave := p.HostPath(`C:\users\dave`)
	if err := os.MkdirAll(dave, 0o755); err != nil {
		t.Fatal(err)
	}
	hivetest.Build(t, filepath.Join(dave, "NTUSER.DAT"),
		hivetest.Key{Path: `Software\Microsoft\Windows\CurrentVersion\Uninstall\UltraViewer_is1`, Values: sv(
			"DisplayName", "string:UltraViewer",
			"DisplayVersion", "string:6.6.105",
			"Publisher", "string:DucFabulous",
		)},
	)
	exe := wine.BuildTest(t, ".")
	p.RunTests(t, exe, "^TestWine")
}
