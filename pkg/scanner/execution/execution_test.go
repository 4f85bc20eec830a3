package execution_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/execution"
	"github.com/ratwatch/ratwatch/pkg/source"
	prefetch "www.velocidex.com/golang/go-prefetch"
)

const sample = "testdata/CMD.EXE-4A81B364.pf"

func checkSample(t *testing.T, ex inventory.Execution) {
	t.Helper()
	if ex.Name != "CMD.EXE" || ex.RunCount != sampleRC || ex.Path != `\DEVICE\HARDDISKVOLUME2\WINDOWS\SYSTEM32\CMD.EXE` || ex.Kind != inventory.ExecPrefetch {
		t.Errorf("prefetch = %+v", ex)
	}
	// Hand-read from the decompressed file (see testdata/SOURCES.md).
	want := []string{
		"2022-10-26T04:17:54Z", "2022-10-26T03:52:44Z", "2022-10-26T03:38:59Z", "2022-10-26T03:21:36Z",
		"2022-10-26T02:44:51Z", "2022-10-26T02:04:24Z", "2022-10-25T04:36:18Z", "2022-10-25T04:36:18Z",
	}
	if len(ex.Times) != len(want) {
		t.Fatalf("%d run times: %v", len(ex.Times), ex.Times)
	}
	for i, w := range want {
		if got := ex.Times[i].Format(time.RFC3339); got != w {
			t.Errorf("run time %d = %s, want %s", i, got, w)
		}
	}
}

func TestPrefetchSample(t *testing.T) {
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := execution.ParsePrefetch(f, "CMD.EXE-4A81B364.pf")
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, ex)
}

func decompressed(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	d, err := prefetch.LZXpressHuffmanDecompress(raw[8:], int(binary.LittleEndian.Uint32(raw[4:])))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPrefetchUncompressed(t *testing.T) {
	ex, err := execution.ParsePrefetch(bytes.NewReader(decompressed(t)), "x.pf")
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, ex)
}

// Truncated, scribbled and lying files end in an error naming the file, and
// never in a panic, a huge allocation or a hang.
func TestPrefetchCorrupt(t *testing.T) {
	raw, _ := os.ReadFile(sample)
	dec := decompressed(t)
	cases := map[string][]byte{"empty": nil, "garbage": bytes.Repeat([]byte{0x5a}, 4096), "mam-only": []byte("MAM\x04")}
	for i := 1; i < 32; i++ {
		cases[fmt.Sprintf("raw-%d", i)] = raw[:len(raw)*i/32]
		cases[fmt.Sprintf("dec-%d", i)] = dec[:len(dec)*i/32]
	}
	huge := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(huge[4:], 0xfffffff0)
	cases["mam-huge"] = huge
	count := bytes.Clone(dec)
	binary.LittleEndian.PutUint32(count[0x58:], 0x7fffffff)
	cases["metrics-count"] = count
	name := bytes.Clone(dec)
	binary.LittleEndian.PutUint32(name[binary.LittleEndian.Uint32(name[0x54:])+16:], 0x7fffffff)
	cases["name-length"] = name
	for i := 0; i < 0x130; i += 3 {
		b := bytes.Clone(dec)
		b[i] ^= 0xa5
		cases[fmt.Sprintf("flip-%#x", i)] = b
	}
	start := time.Now()
	for n, data := range cases {
		_, err := execution.ParsePrefetch(bytes.NewReader(data), n+".pf")
		if err != nil && !strings.Contains(err.Error(), n+".pf") {
			t.Errorf("%s: error without file: %v", n, err)
		}
		switch n {
		case "mam-huge", "metrics-count", "name-length":
			if err == nil || !strings.Contains(err.Error(), "offset 0x") && !strings.Contains(err.Error(), "offset 4") {
				t.Errorf("%s: %v", n, err)
			}
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("corrupt files took %s", d)
	}
}

func sv(pairs ...string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, [2]string{pairs[i], pairs[i+1]})
	}
	return out
}

// AmcacheHive builds an Amcache.hve-shaped hive at p.
func amcacheHive(t *testing.T, p string) {
	hivetest.Build(t, p, hivetest.Key{Path: `Root\InventoryApplicationFile\anydesk.exe|` + amKey[:16], Values: sv(
		"LowerCaseLongPath", "string:"+amPath,
		"Name", "string:AnyDesk.exe",
		"Publisher", "string:anydesk software gmbh",
		"FileId", "string:"+amKey,
	)})
}

func TestOfflineImage(t *testing.T) {
	root := t.TempDir()
	pf := filepath.Join(root, "Windows", "Prefetch")
	cfg := filepath.Join(root, "Windows", "System32", "config")
	am := filepath.Join(root, "Windows", "AppCompat", "Programs")
	for _, d := range []string{pf, cfg, am} {
		os.MkdirAll(d, 0o755)
	}
	raw, _ := os.ReadFile(sample)
	os.WriteFile(filepath.Join(pf, "CMD.EXE-4A81B364.pf"), raw, 0o644)
	os.WriteFile(filepath.Join(pf, "GARBAGE.EXE-00000000.pf"), []byte("MAM\x04\xff\xff\xff\xff"), 0o644)
	os.WriteFile(filepath.Join(pf, "Layout.ini"), []byte("x"), 0o644)
	hivetest.Build(t, filepath.Join(cfg, "SYSTEM"),
		hivetest.Key{Path: "Select", Values: sv("Current", "dword:0x1")},
		hivetest.Key{Path: `ControlSet001\Services\bam\State\UserSettings\` + bamSID, Values: sv(
			"Version", "dword:0x1",
			"SequenceNumber", "dword:0x5",
			bamPath, "hex:3:"+bamHex,
		)},
	)
	amcacheHive(t, filepath.Join(am, "Amcache.hve"))

	env := &scanner.Env{Source: source.Dir(root, "windows")}
	inv := scanner.Run(context.Background(), env, []scanner.Scanner{execution.New()})
	st := inv.Statuses[0]
	if st.Status != inventory.StatusPartial || st.Unreadable != 1 || len(st.Errors) != 1 ||
		!strings.Contains(st.Errors[0], "/Windows/Prefetch/GARBAGE.EXE-00000000.pf: offset 4") {
		t.Errorf("status = %+v", st)
	}
	// The garbage Prefetch file still says by its name that GARBAGE.EXE
	// ran (no times: its content could not be read).
	if len(inv.Executions) != 4 {
		t.Fatalf("executions = %+v", inv.Executions)
	}
	for _, e := range inv.Executions {
		t.Logf("%+v", e)
	}
	for _, e := range inv.Executions {
		switch {
		case e.Source == "/Windows/Prefetch/CMD.EXE-4A81B364.pf":
			checkSample(t, e)
		case strings.HasPrefix(e.Source, "/Windows/Prefetch/GARBAGE.EXE-00000000.pf"):
			if e.Name != "GARBAGE.EXE" || len(e.Times) != 0 || e.RunCount != 0 || !strings.Contains(e.Source, "file name only") || e.Kind != inventory.ExecPrefetch {
				t.Errorf("name-only = %+v", e)
			}
		case e.Source == `/Windows/System32/config/SYSTEM:\ControlSet001\Services\bam\State\UserSettings\`+bamSID:
			if e.Name != "AnyDesk.exe" || e.Path != bamPath || len(e.Times) != 1 || e.Times[0].Format(time.RFC3339) != bamTime || e.Kind != inventory.ExecBAM || len(e.RunTimes()) != 1 {
				t.Errorf("BAM = %+v", e)
			}
		case strings.HasPrefix(e.Source, `/Windows/AppCompat/Programs/Amcache.hve:\Root\InventoryApplicationFile\anydesk.exe|`):
			if e.Name != "AnyDesk.exe" || e.Path != amPath || len(e.Times) != 1 || e.Kind != inventory.ExecAmcache || e.RunTimes() != nil {
				t.Errorf("Amcache = %+v", e)
			}
		default:
			t.Errorf("unexpected %+v", e)
		}
	}
}

// TestNothingThere: an image with a SYSTEM hive (no BAM key in it), no
// Prefetch folder (disabled on servers) and no Amcache.hve (Windows 7) has
// no execution records, and that is all it says. Without the SYSTEM hive,
// which every Windows has, the image is an incomplete collection: BAM was
// not read, and the status says so (failed, naming the hive).
func TestNothingThere(t *testing.T) {
	root := t.TempDir()
	cfg := filepath.Join(root, "Windows", "System32", "config")
	os.MkdirAll(cfg, 0o755)
	scan := func() inventory.ScannerStatus {
		inv := scanner.Run(context.Background(), &scanner.Env{Source: source.Dir(root, "windows")}, []scanner.Scanner{execution.New()})
		return inv.Statuses[0]
	}
	if st := scan(); st.Status != inventory.StatusFailed || st.Unreadable != 1 || len(st.Errors) != 1 ||
		st.Errors[0] != "/Windows/System32/config/SYSTEM: no SYSTEM hive in the image: BAM's execution records not read" {
		t.Errorf("no SYSTEM hive: status = %+v", st)
	}
	hivetest.Build(t, filepath.Join(cfg, "SYSTEM"), hivetest.Key{Path: "Select", Values: sv("Current", "dword:0x1")})
	if st := scan(); st.Status != inventory.StatusOK || st.Items != 0 || len(st.Errors) != 0 {
		t.Errorf("SYSTEM hive without BAM: status = %+v", st)
	}
}

// FuzzPrefetch: go test -fuzz FuzzPrefetch ./pkg/scanner/execution/
func FuzzPrefetch(f *testing.F) {
	raw, _ := os.ReadFile(sample)
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		execution.ParsePrefetch(bytes.NewReader(data), "f.pf")
	})
}
