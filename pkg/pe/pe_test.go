package pe_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/pe"
	"github.com/ratwatch/ratwatch/pkg/pe/petest"
)

func parseFile(t *testing.T, p string) *pe.Info {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	info, err := pe.Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return info
}

func TestBuiltAndSignedBinary(t *testing.T) {
	dir := t.TempDir()
	unsigned, signed := petest.SignedAnyDesk(t, dir)

	u := parseFile(t, unsigned)
	if u.OriginalFilename != "AnyDesk.exe" || u.CompanyName != "AnyDesk Software GmbH" ||
		u.ProductName != "AnyDesk" || u.FileVersion != "9.0.5" || u.FileDescription != "AnyDesk" {
		t.Errorf("version info = %+v", u)
	}
	if u.Machine != "amd64" || u.Signed || u.Signer != "" || len(u.Errors) != 0 {
		t.Errorf("unsigned: machine %s signed %v signer %q errors %v", u.Machine, u.Signed, u.Signer, u.Errors)
	}

	s := parseFile(t, signed)
	if s.OriginalFilename != "AnyDesk.exe" || s.ProductName != "AnyDesk" {
		t.Errorf("signed version info = %+v", s)
	}
	if !s.Signed || s.Signer != "AnyDesk Software GmbH" {
		t.Errorf("signer = %v %q (errors %v)", s.Signed, s.Signer, s.Errors)
	}
	if s.SignerSubject != "CN=AnyDesk Software GmbH,O=AnyDesk Software GmbH,C=DE" {
		t.Errorf("subject = %q", s.SignerSubject)
	}
	if s.SignerIssuer != "CN=Ratwatch Test Root CA" {
		t.Errorf("issuer = %q", s.SignerIssuer)
	}
	if len(s.Errors) != 0 {
		t.Errorf("errors: %v", s.Errors)
	}
}

// Every PE file Wine ships parses without error, and for each one that has
// a version resource our strings equal what Windows' own
// GetFileVersionInfo/VerQueryValue (Wine's version.dll) returns.
func TestWineBinariesAgainstWindowsAPI(t *testing.T) {
	const wineDir = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows"
	wine.NeedTools(t, "wine", "x86_64-w64-mingw32-gcc")
	files, _ := filepath.Glob(filepath.Join(wineDir, "*.exe"))
	dlls, _ := filepath.Glob(filepath.Join(wineDir, "*.dll"))
	files = append(files, dlls...)
	if len(files) < 100 {
		t.Fatalf("only %d Wine PE files in %s", len(files), wineDir)
	}
	ours := map[string]map[string]string{}
	var withVersion []string
	for _, f := range files {
		info := parseFile(t, f)
		for _, e := range info.Errors {
			if !strings.Contains(e, "no version resource") {
				t.Errorf("%s: %s", f, e)
			}
		}
		if len(info.Strings) > 0 {
			m := map[string]string{}
			for k, v := range info.Strings {
				if v != "" {
					m[k] = v
				}
			}
			ours[filepath.Base(f)] = m
			withVersion = append(withVersion, f)
		}
	}
	if len(withVersion) < 100 {
		t.Fatalf("only %d of %d Wine PE files have a version resource", len(withVersion), len(files))
	}
	pfx := wine.New(t)
	exe := filepath.Join(t.TempDir(), "verquery.exe")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-municode", "-O2", "-o", exe, "testdata/verquery.c", "-lversion").CombinedOutput(); err != nil {
		t.Fatalf("building verquery.exe: %v\n%s", err, out)
	}
	args := []string{exe}
	for _, f := range withVersion {
		args = append(args, "Z:"+strings.ReplaceAll(f, "/", `\`))
	}
	out := pfx.Wine(t, args...)
	theirs := map[string]map[string]string{}
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", ""), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || parts[2] == "" {
			continue
		}
		base := parts[0][strings.LastIndexByte(parts[0], '\\')+1:]
		if theirs[base] == nil {
			theirs[base] = map[string]string{}
		}
		theirs[base][parts[1]] = strings.TrimSpace(parts[2])
	}
	compared := 0
	for name, tm := range theirs {
		om := ours[name]
		for k, v := range tm {
			compared++
			if om[k] != v {
				t.Errorf("%s %s: ours %q, Windows API %q", name, k, om[k], v)
			}
		}
		for _, k := range []string{"OriginalFilename", "CompanyName", "ProductName", "FileVersion"} {
			if om[k] != "" && tm[k] == "" {
				t.Errorf("%s %s: ours %q, Windows API none", name, k, om[k])
			}
		}
	}
	if len(theirs) < len(withVersion)*9/10 {
		t.Errorf("Windows API answered for %d of %d files", len(theirs), len(withVersion))
	}
	t.Logf("%d PE files parsed, %d with version info, %d strings equal to the Windows API's", len(files), len(withVersion), compared)
}

// Truncated and scribbled images never panic; errors carry offsets.
func TestBrokenImages(t *testing.T) {
	dir := t.TempDir()
	_, signed := petest.SignedAnyDesk(t, dir)
	good, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		name string
		data []byte
	}
	add := func(name string, b []byte) {
		cases = append(cases, struct {
			name string
			data []byte
		}{name, b})
	}
	add("empty", nil)
	add("mz-only", []byte("MZ"))
	add("garbage", bytes.Repeat([]byte("MZ\xff\x00"), 4096))
	for i := 1; i < 64; i++ {
		add(fmt.Sprintf("truncated-%d", i), good[:len(good)*i/64])
	}
	// Cut inside the certificate table.
	add("truncated-cert", good[:len(good)-100])
	for i := 0x3c; i < 0x400; i += 7 {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		add(fmt.Sprintf("flip-%#x", i), b)
	}
	offsets := 0
	for _, c := range cases {
		info, err := pe.Parse(bytes.NewReader(c.data), int64(len(c.data)))
		if err != nil {
			continue
		}
		for _, e := range info.Errors {
			if !strings.Contains(e, "offset") && !strings.Contains(e, "optional header") {
				t.Errorf("%s: error without offset: %s", c.name, e)
			}
			offsets++
		}
	}
	info, err := pe.Parse(bytes.NewReader(good[:len(good)-100]), int64(len(good)-100))
	if err != nil || len(info.Errors) == 0 || !strings.Contains(info.Errors[0], "certificate table: at offset 0x") {
		t.Errorf("truncated certificate table: %v %+v", err, info)
	}
	if offsets == 0 {
		t.Error("no broken image reported an error")
	}
}

func TestNotPE(t *testing.T) {
	_, err := pe.Parse(strings.NewReader("#!/bin/sh\n"), 10)
	if err == nil || !strings.Contains(err.Error(), "offset 0") {
		t.Errorf("err = %v", err)
	}
}
