package hive_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
)

func TestRealHiveWithAddedKeys(t *testing.T) {
	out := filepath.Join(t.TempDir(), "NTUSER.DAT")
	hivetest.Build(t, out,
		hivetest.Key{Path: `Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk`, Values: [][2]string{
			{"DisplayName", "string:RustDesk"},
			{"DisplayVersion", "string:1.3.2"},
			{"InstallDate", "string:20240312"},
			{"EstimatedSize", "dword:0x1000"},
			{"Big", "hex:11:02,00,00,00,01,00,00,00"}, // hivexsh mis-parses qword:
			{"Multi", "hex:7:41,00,00,00,42,00,00,00,00,00"},
		}},
		hivetest.Key{Path: `Software\Microsoft\Windows\CurrentVersion\Uninstall\Some Tool (x64)`, Values: [][2]string{
			{"DisplayName", "string:Some Tool"},
		}},
	)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	h, err := hive.OpenFile(f, "/Users/bob/NTUSER.DAT")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	// Real content of the original Windows hive is still there.
	k, err := h.Open(`Software\Microsoft\Windows\CurrentVersion`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := k.SubkeyNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Explorer", "Run", "Uninstall"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("subkey %s missing from %v", want, names)
		}
	}
	u, err := k.Subkey(`uninstall`) // case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	apps, _ := u.SubkeyNames()
	if strings.Join(apps, "|") != "RustDesk|Some Tool (x64)" {
		t.Errorf("uninstall subkeys = %q", apps)
	}
	rd, err := u.Subkey("RustDesk")
	if err != nil {
		t.Fatal(err)
	}
	if rd.Path() != `/Users/bob/NTUSER.DAT:\Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk` {
		t.Errorf("path = %s", rd.Path())
	}
	if v, ok := rd.String("displayname"); !ok || v != "RustDesk" {
		t.Errorf("DisplayName = %q %v", v, ok)
	}
	if v, ok := rd.String("InstallDate"); !ok || v != "20240312" {
		t.Errorf("InstallDate = %q", v)
	}
	if v, ok := rd.Integer("EstimatedSize"); !ok || v != 0x1000 {
		t.Errorf("EstimatedSize = %x %v", v, ok)
	}
	if v, ok := rd.Integer("Big"); !ok || v != 0x100000002 {
		t.Errorf("Big = %x %v", v, ok)
	}
	if v, ok := rd.String("Multi"); !ok || v != "A" {
		t.Errorf("Multi = %q %v", v, ok)
	}
	if _, ok := rd.String("Missing"); ok {
		t.Error("missing value found")
	}
	vn, _ := rd.ValueNames()
	if len(vn) != 6 {
		t.Errorf("values = %v", vn)
	}
	if rd.Modified().IsZero() {
		t.Errorf("modified = %v", rd.Modified())
	}
	if _, err := h.Open(`Software\Nope`); err == nil {
		t.Error("missing key opened")
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Error("reading changed the hive")
	}
}

// A real Windows hive read as is: values present in the original file.
func TestOriginalHive(t *testing.T) {
	b, err := os.ReadFile(hivetest.BasePath(t))
	if err != nil {
		t.Fatal(err)
	}
	h, err := hive.Open(bytes.NewReader(b), int64(len(b)), "NTUSER.DAT")
	if err != nil {
		t.Fatal(err)
	}
	k, err := h.Open(`Control Panel\Desktop`)
	if err != nil {
		t.Fatal(err)
	}
	vn, _ := k.ValueNames()
	if len(vn) < 10 {
		t.Errorf("Control Panel\\Desktop has %d values", len(vn))
	}
	if len(h.Errors()) != 0 {
		t.Errorf("errors on a clean hive: %v", h.Errors())
	}
}

func TestCorruptHives(t *testing.T) {
	b, err := os.ReadFile(hivetest.BasePath(t))
	if err != nil {
		t.Fatal(err)
	}
	// Truncated, garbage, zeroed hbins, and random corruption must never
	// panic or hang.
	cases := map[string][]byte{
		"empty":     nil,
		"short":     b[:100],
		"garbage":   bytes.Repeat([]byte{0xA5}, 8192),
		"truncated": b[:len(b)/3],
	}
	zeroed := bytes.Clone(b)
	for i := 0x1000 + 0x20; i < len(zeroed); i += 97 {
		zeroed[i] = 0xff
	}
	cases["scribbled"] = zeroed
	selfRef := bytes.Clone(b)
	// Point the root key's subkey list at a ri index that refers to itself.
	root := int(binary.LittleEndian.Uint32(selfRef[0x24:]))
	nk := 0x1000 + root + 4
	listRel := binary.LittleEndian.Uint32(selfRef[nk+0x1c:])
	cell := 0x1000 + int(listRel)
	copy(selfRef[cell+4:], "ri")
	binary.LittleEndian.PutUint16(selfRef[cell+6:], 2)
	binary.LittleEndian.PutUint32(selfRef[cell+8:], listRel)
	binary.LittleEndian.PutUint32(selfRef[cell+12:], listRel)
	cases["cyclic-index"] = selfRef
	badRoot := bytes.Clone(b)
	binary.LittleEndian.PutUint32(badRoot[0x24:], 0x7ffffff0)
	cases["bad-root"] = badRoot
	// What Wine's RegSaveKey writes: its own text format, not regf.
	cases["wine-text"] = append([]byte("WINE REGISTRY Version 2\n;; All keys relative to REGISTRY\\User\\S-1-5-21-0-0-0-1000\n"), bytes.Repeat([]byte("\n"), 8192)...)

	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			h, err := hive.Open(bytes.NewReader(data), int64(len(data)), name)
			if err != nil {
				if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "offset") {
					t.Errorf("error lacks file and offset: %v", err)
				}
				return
			}
			walk(h.Root(), 0)
			if name == "cyclic-index" && len(h.Errors()) == 0 {
				t.Error("cyclic index not reported")
			}
			for _, e := range h.Errors() {
				if !strings.Contains(e, name+":") {
					t.Errorf("error without file: %s", e)
				}
			}
		})
	}
}

func walk(k hive.Key, depth int) {
	budget := 2000
	walkN(k, depth, &budget)
}

// walkN visits at most *budget keys: a corrupt hive can make a key its own
// child, so the tree is unbounded.
func walkN(k hive.Key, depth int, budget *int) {
	*budget--
	if depth > 12 || *budget < 0 {
		return
	}
	vn, _ := k.ValueNames()
	for i, v := range vn {
		if i > 50 {
			break
		}
		k.String(v)
		k.Integer(v)
		k.Binary(v)
	}
	names, _ := k.SubkeyNames()
	for i, n := range names {
		if i > 50 || *budget < 0 {
			break
		}
		if c, err := k.Subkey(n); err == nil {
			walkN(c, depth+1, budget)
		}
	}
}
