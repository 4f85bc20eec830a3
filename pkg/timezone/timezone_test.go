package timezone

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// TestWindowsZones checks the table against an independent source: the
// time zones Wine ships in its registry (system.reg: one key per Windows
// name, its TZI = Bias, StandardBias, DaylightBias, … in minutes). Every
// name Wine knows must be mapped, and the IANA zone's standard offset in
// January or July 2025 must be Windows' -(Bias+StandardBias) — except where
// the world changed after the data (tz 2024b: Paraguay on UTC-3 all year)
// or Windows' data splits from tz's model (Morocco: tz writes its UTC+1 as
// standard time with a negative saving in Ramadan).
func TestWindowsZones(t *testing.T) {
	p := wine.New(t)
	b, err := os.ReadFile(filepath.Join(p.Dir, "system.reg"))
	if err != nil {
		t.Fatal(err)
	}
	txt := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(b), "") // hex values continue over lines
	head := regexp.MustCompile(`^Software\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Time Zones\\\\([^\]\\]+)\]`)
	tzi := regexp.MustCompile(`"TZI"=hex:([0-9a-f,]+)`)
	known := map[string]bool{
		"Paraguay Standard Time":          true, // tz 2024b: UTC-3 all year
		"Morocco Standard Time":           true, // negative saving in tz
		"Mountain Standard Time (Mexico)": true, // Wine: -6 (Chihuahua's 2022 change); Windows and CLDR: Mazatlán, -7
	}
	n := 0
	for _, block := range strings.Split(txt, "\n[") {
		m := head.FindStringSubmatch(block)
		if m == nil {
			continue
		}
		name := m[1]
		tm := tzi.FindStringSubmatch(block)
		if tm == nil {
			continue
		}
		raw, err := hex.DecodeString(strings.ReplaceAll(tm[1], ",", ""))
		if err != nil || len(raw) < 8 {
			t.Fatalf("%s: TZI %q", name, tm[1])
		}
		n++
		std := -int(int32(binary.LittleEndian.Uint32(raw)) + int32(binary.LittleEndian.Uint32(raw[4:])))
		iana, ok := windowsZones[name]
		if !ok {
			t.Errorf("Wine's zone %q (standard offset %d min) is not mapped", name, std)
			continue
		}
		loc, err := time.LoadLocation(iana)
		if err != nil {
			t.Errorf("%s → %s: %v", name, iana, err)
			continue
		}
		got := map[int]bool{}
		for _, mo := range []time.Month{time.January, time.July} {
			at := time.Date(2025, mo, 15, 12, 0, 0, 0, loc)
			_, off := at.Zone()
			if at.IsDST() {
				continue
			}
			got[off/60] = true
		}
		if !got[std] && !known[name] {
			t.Errorf("%s → %s: standard offset %v min, Windows (Wine) says %d", name, iana, got, std)
		}
	}
	if n < 130 {
		t.Fatalf("only %d zones read from Wine's registry", n)
	}
}

// windowsImage builds an image whose SYSTEM hive holds TimeZoneInformation
// with these values (hivexsh setval pairs).
func windowsImage(t *testing.T, values ...[2]string) *source.Source {
	root := t.TempDir()
	cfg := filepath.Join(root, "Windows", "System32", "config")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	keys := []hivetest.Key{{Path: "Select", Values: [][2]string{{"Current", "dword:0x2"}}}}
	if values != nil {
		keys = append(keys, hivetest.Key{Path: `ControlSet002\Control\TimeZoneInformation`, Values: values})
	}
	hivetest.Build(t, filepath.Join(cfg, "SYSTEM"), keys...)
	return source.Dir(root, "windows")
}

func TestWindowsImage(t *testing.T) {
	// Pacific Standard Time, Bias 480 (UTC-8), as Windows 10 writes it.
	z, err := Of(windowsImage(t, [2]string{"TimeZoneKeyName", "string:Pacific Standard Time"}, [2]string{"Bias", "dword:0x1e0"}))
	if err != nil {
		t.Fatal(err)
	}
	feb := time.Date(2024, 2, 16, 6, 16, 32, 0, z.Loc) // the TeamViewer sample's session, local time
	if z.Loc.String() != "America/Los_Angeles" || feb.UTC().Format(time.RFC3339) != "2024-02-16T14:16:32Z" ||
		!strings.Contains(z.From, `ControlSet002\Control\TimeZoneInformation): TimeZoneKeyName "Pacific Standard Time"`) {
		t.Errorf("zone %s (%s): %s", z.Loc, z.From, feb.UTC())
	}
	// A name ratwatch does not know: Bias -540 (UTC+9), no daylight saving.
	z, err = Of(windowsImage(t, [2]string{"TimeZoneKeyName", "string:Somewhere Standard Time"}, [2]string{"Bias", "dword:0xfffffde4"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2024, 7, 1, 0, 0, 0, 0, z.Loc).Zone(); z.Loc.String() != "UTC+09:00" || off != 9*3600 ||
		!strings.Contains(z.From, `Bias -540 (TimeZoneKeyName "Somewhere Standard Time" is not one ratwatch knows): a fixed offset`) {
		t.Errorf("zone %s offset %d (%s)", z.Loc, off, z.From)
	}
	// No TimeZoneInformation key in the current control set.
	if z, err := Of(windowsImage(t)); err == nil || !strings.Contains(err.Error(), `ControlSet002\Control\TimeZoneInformation`) {
		t.Errorf("no key: zone %v, err %v", z.Loc, err)
	}
	// No SYSTEM hive at all.
	if _, err := Of(source.Dir(t.TempDir(), "windows")); err == nil {
		t.Error("no hive: no error")
	}
}

// TestUnixImage: the image's /etc/localtime is its own zone file. The
// link's target names the zone; the rules come from the file inside the
// image, not from this machine's database of the same name (here the
// image's "Asia/Tokyo" file holds New York's rules, so the two differ).
func TestUnixImage(t *testing.T) {
	ny, err := os.ReadFile("/usr/share/zoneinfo/America/New_York")
	if err != nil {
		t.Skip("no zoneinfo on this machine to build the image from")
	}
	root := t.TempDir()
	zi := filepath.Join(root, "usr/share/zoneinfo/Asia")
	os.MkdirAll(zi, 0o755)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.WriteFile(filepath.Join(zi, "Tokyo"), ny, 0o644); err != nil {
		t.Fatal(err)
	}
	// An absolute link, as Debian makes it: it resolves inside the image.
	if err := os.Symlink("/usr/share/zoneinfo/Asia/Tokyo", filepath.Join(root, "etc/localtime")); err != nil {
		t.Fatal(err)
	}
	z, err := Of(source.Dir(root, "linux"))
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2024, 1, 15, 12, 0, 0, 0, z.Loc).Zone(); z.Loc.String() != "Asia/Tokyo" || off != -5*3600 ||
		z.From != "/etc/localtime of the image (a link to zoneinfo/Asia/Tokyo)" {
		t.Errorf("zone %s offset %d (%s)", z.Loc, off, z.From)
	}
	// Only /etc/timezone (a name, read with ratwatch's own database).
	root = t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/timezone"), []byte("Europe/Berlin\n"), 0o644)
	z, err = Of(source.Dir(root, "linux"))
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2024, 7, 1, 0, 0, 0, 0, z.Loc).Zone(); z.Loc.String() != "Europe/Berlin" || off != 2*3600 {
		t.Errorf("zone %s offset %d (%s)", z.Loc, off, z.From)
	}
	// Nothing: an error naming both files, and Unknown reads UTC and says so.
	_, err = Of(source.Dir(t.TempDir(), "linux"))
	if err == nil || !strings.Contains(err.Error(), "/etc/localtime: no such file") || !strings.Contains(err.Error(), "/etc/timezone: no such file") {
		t.Fatalf("no zone files: %v", err)
	}
	u := Unknown(err)
	if _, off := time.Now().In(u.Loc).Zone(); off != 0 || !strings.Contains(u.Loc.String(), "not known") || !strings.Contains(u.From, "give --tz") {
		t.Errorf("unknown: %s %d %s", u.Loc, off, u.From)
	}
}
