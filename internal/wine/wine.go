// Package wine runs this project's Windows code for real on Linux: it makes
// a throwaway Wine prefix, seeds its registry and files, builds Windows test
// binaries of a package (GOOS=windows go test -c) and runs them under Wine.
//
// Wine 8 (Debian 12) lacks bcryptprimitives.dll, which every Go ≥ 1.22
// Windows binary loads at start-up (ProcessPrng); Prepare compiles a small
// shim that forwards to advapi32!SystemFunction036 and puts it in system32.
//
// Driver tests call New(t), seed with RegImport/WriteFile, then RunTests.
package wine

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

//go:embed shim/bcryptprimitives_shim.c
var shimSource []byte

// Prefix is a Wine prefix owned by one test.
type Prefix struct {
	Dir string
	env []string
}

// New gives the test its own prefix: a clone (hard links, registry files
// copied) of a template prefix made once per Wine version with wineboot
// --init and the shim, and kept in the user cache dir
// ($RATWATCH_WINE_CACHE overrides). It skips (or fails under CI) when wine or
// mingw is missing. The prefix's wineserver is shut down when the test ends.
func New(t testing.TB) *Prefix {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("wine tests run on Linux")
	}
	NeedTools(t, "wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc")
	// Programs run under this prefix (test executables named like remote
	// tools among them) are processes of this host: a test that scans the
	// whole host with lab.HostLock must not see them.
	holdLab(t)
	start := time.Now()
	tmpl, err := template()
	if err != nil {
		t.Fatalf("wine template prefix: %v", err)
	}
	dir := t.TempDir()
	p := &Prefix{Dir: filepath.Join(dir, "prefix"), env: prefixEnv(filepath.Join(dir, "prefix"))}
	if err := cloneTree(tmpl, p.Dir); err != nil {
		t.Fatalf("cloning the wine prefix: %v", err)
	}
	t.Cleanup(func() {
		// Stop this prefix's own wineserver (and so its processes) so the
		// temp dir can be removed; other prefixes are not affected.
		cmd := exec.Command("wineserver", "-k")
		cmd.Env = p.env
		_ = cmd.Run()
	})
	t.Logf("wine prefix ready in %s", time.Since(start).Round(time.Millisecond))
	return p
}

func prefixEnv(dir string) []string {
	return append(os.Environ(),
		"WINEPREFIX="+dir,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=",
		"WINEARCH=win64",
		"DISPLAY=",
	)
}

// template returns the path of a ready template prefix, making it under a
// file lock when missing (go test runs package binaries in parallel).
func template() (string, error) {
	ver, err := exec.Command("wine", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("wine --version: %v", err)
	}
	sum := sha256.Sum256(append(ver, shimSource...))
	root := os.Getenv("RATWATCH_WINE_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		root = filepath.Join(c, "ratwatch", "wine")
	}
	base := filepath.Join(root, hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmpl := filepath.Join(base, "prefix")
	ready := filepath.Join(base, "ready")
	unlock, err := lockFile(filepath.Join(base, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(ready); err == nil {
		return tmpl, nil
	}
	os.RemoveAll(tmpl)
	p := &Prefix{Dir: tmpl, env: prefixEnv(tmpl)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := p.output(p.command(ctx, "wineboot", "--init")); err != nil {
		return "", fmt.Errorf("wineboot --init: %v\n%s", err, out)
	}
	shimC := filepath.Join(base, "bcryptprimitives_shim.c")
	if err := os.WriteFile(shimC, shimSource, 0o644); err != nil {
		return "", err
	}
	dll := filepath.Join(p.CDrive(), "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", dll, shimC, "-ladvapi32").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the bcryptprimitives shim: %v\n%s", err, out)
	}
	// Wait for the template's wineserver to exit: it writes the registry
	// files on the way out, and clones must not share a running server.
	if out, err := p.output(p.command(ctx, "wineserver", "-w")); err != nil {
		return "", fmt.Errorf("wineserver -w: %v\n%s", err, out)
	}
	return tmpl, os.WriteFile(ready, ver, 0o644)
}

// cloneTree copies src to dst: directories are made, symlinks recreated,
// registry and other small text files copied, everything else hard-linked
// (Wine only reads its DLLs; a failing link falls back to a copy).
func cloneTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			// wineboot links the profile's Desktop, Downloads, Documents…
			// to the Linux home: make them plain folders so a test never
			// writes into the real home.
			if filepath.IsAbs(target) && strings.HasPrefix(rel, "drive_c"+string(filepath.Separator)) {
				return os.MkdirAll(out, 0o755)
			}
			return os.Symlink(target, out)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > 64<<10 && !strings.HasSuffix(p, ".reg") {
			if os.Link(p, out) == nil {
				return nil
			}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, info.Mode().Perm())
	})
}

// Env is the environment for wine commands of this prefix.
func (p *Prefix) Env() []string { return p.env }

// CDrive is the host path of C:.
func (p *Prefix) CDrive() string { return filepath.Join(p.Dir, "drive_c") }

// HostPath maps a C:\ path of the prefix to a host path.
func (p *Prefix) HostPath(win string) string {
	win = strings.ReplaceAll(win, `\`, "/")
	if len(win) >= 2 && (win[:2] == "C:" || win[:2] == "c:") {
		win = win[2:]
	}
	return filepath.Join(p.CDrive(), filepath.FromSlash(win))
}

func (p *Prefix) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// output runs cmd with stdout and stderr going to a file, not a pipe: the
// wineserver that wine starts inherits them and outlives the command, so a
// pipe would only close when the server exits.
func (p *Prefix) output(cmd *exec.Cmd) ([]byte, error) {
	f, err := os.CreateTemp(filepath.Dir(p.Dir), "out-*.txt")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, rerr := os.ReadFile(f.Name())
	if err == nil {
		err = rerr
	}
	return out, err
}

// Wine runs a Windows program (path on the host or inside the prefix) and
// returns its combined output.
func (p *Prefix) Wine(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := p.output(p.command(ctx, "wine", args...))
	if err != nil {
		t.Fatalf("wine %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// RegImport imports a REGEDIT4-style file body (without the header) into
// the prefix's registry with one `wine reg import`.
func (p *Prefix) RegImport(t testing.TB, body string) {
	t.Helper()
	f := filepath.Join(filepath.Dir(p.Dir), fmt.Sprintf("seed-%d.reg", time.Now().UnixNano()))
	if err := os.WriteFile(f, []byte("REGEDIT4\r\n\r\n"+strings.ReplaceAll(body, "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Wine(t, "reg", "import", f)
}

// Stop shuts down the prefix's wineserver and the Wine processes it runs
// (services.exe…), so the next program starts them afresh: services.exe reads
// the service database from the registry only when it starts.
func (p *Prefix) Stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := p.output(p.command(ctx, "wineserver", "-k")); err != nil && len(out) > 0 {
		t.Logf("wineserver -k: %v %s", err, out)
	}
	if out, err := p.output(p.command(ctx, "wineserver", "-w")); err != nil {
		t.Fatalf("wineserver -w: %v %s", err, out)
	}
}

// RegAdd runs `wine reg add key /v name /t typ /d data /f`.
func (p *Prefix) RegAdd(t testing.TB, key, name, typ, data string) {
	t.Helper()
	args := []string{"reg", "add", key}
	if name != "" {
		args = append(args, "/v", name)
	}
	if typ != "" {
		args = append(args, "/t", typ, "/d", data)
	}
	p.Wine(t, append(args, "/f")...)
}

// WriteFile writes a file inside the prefix (C:\… path).
func (p *Prefix) WriteFile(t testing.TB, win string, data []byte) string {
	t.Helper()
	hp := p.HostPath(win)
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return hp
}

// BuildTest compiles the Windows test binary of the package in dir
// (usually ".") and returns its path.
func BuildTest(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "pkg.test.exe")
	cmd := exec.Command("go", "test", "-c", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go test -c: %v\n%s", err, b)
	}
	t.Logf("windows test binary built in %s", time.Since(start).Round(time.Millisecond))
	return out
}

var passRE = regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): (\S+)`)

// RunTests runs the Windows test binary under Wine with the tests matching
// run and extra environment variables, fails t on any failure, and returns
// the names of the tests that passed. A test that skipped is a failure: the
// driver exists to make them run.
func (p *Prefix) RunTests(t testing.TB, exe, run string, env ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := p.command(ctx, "wine", exe, "-test.v", "-test.run", run, "-test.count=1")
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, "RATWATCH_WINE=1")
	start := time.Now()
	out, err := p.output(cmd)
	t.Logf("under wine (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("windows tests failed: %v", err)
	}
	var passed []string
	for _, m := range passRE.FindAllStringSubmatch(string(out), -1) {
		switch m[1] {
		case "PASS":
			passed = append(passed, m[2])
		default:
			t.Errorf("%s %s under wine", m[2], m[1])
		}
	}
	if len(passed) == 0 {
		t.Fatalf("no test matching %q ran under wine", run)
	}
	return passed
}

// UnderWine tells a Windows-side test that a Linux driver started it in a
// seeded prefix; such tests skip otherwise (on a real Windows box the
// seeded keys are absent).
func UnderWine() bool { return os.Getenv("RATWATCH_WINE") == "1" }
