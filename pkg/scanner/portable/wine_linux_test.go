package portable_test

import (
	"os"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/pe/petest"
)

// TestUnderWine runs the live scanner (with the process scanner before it)
// in a Wine prefix holding a signed AnyDesk.exe in Downloads and a running
// "RustDesk" outside every walked folder.
func TestUnderWine(t *testing.T) {
	p := wine.New(t)
	build := t.TempDir()
	_, signed := petest.SignedAnyDesk(t, build)
	sleeper := petest.BuildMain(t, build, "rustdesk.exe", petest.Version{
		OriginalFilename: "rustdesk.exe", CompanyName: "Purslane Ltd", ProductName: "RustDesk", FileVersion: "1.3.2",
	}, "#include <windows.h>\nint main(void) { Sleep(60000); return 0; }\n")
	for src, dst := range map[string]string{
		signed:  `C:\users\root\Downloads\AnyDesk.exe`,
		sleeper: `C:\ProgramData\rd\rustdesk.exe`,
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p.WriteFile(t, dst, b)
	}
	exe := wine.BuildTest(t, ".")
	p.RunTests(t, exe, "^TestWine")
}
