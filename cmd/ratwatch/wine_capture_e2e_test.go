//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/lab"
	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/wire"
)

// The Windows capture path (pkg/wire/capture/capture_windows.go: wpcap.dll
// loaded at run time, called through SyscallN) runs for real under Wine:
// Wine 8 ships a wpcap.dll that forwards to the host's libpcap.so.0.8, so
// ratwatch.exe lists Wine's devices (\Device\NPF_{GUID}, connection names
// "lo", "eth0"), opens "lo" and reads real loopback packets through
// pcap_next_ex with the Windows struct pcap_pkthdr.

// buildWindowsExe builds the static ratwatch.exe (CGO_ENABLED=0).
func buildWindowsExe(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "ratwatch.exe")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building ratwatch.exe: %v\n%s", err, out)
	}
	return exe
}

// startWine starts `wine exe args…` in the prefix with extra environment;
// output goes to a file (wineserver inherits it, a pipe would stay open).
// The process is killed by pid when ctx ends.
func startWine(t *testing.T, ctx context.Context, p *wine.Prefix, env []string, exe string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = append(p.Env(), env...)
	cmd.WaitDelay = 5 * time.Second
	logf, err := os.CreateTemp(t.TempDir(), "wine-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, logf.Name()
}

// exitCode waits for cmd and returns its exit code.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("wine: %v", err)
	}
	return 0
}

// captureReady reports whether pid or one of its descendants has mapped the
// ring of an AF_PACKET socket (listed in /proc/net/packet; the mapping shows
// as socket:[inode] in /proc/PID/maps). libpcap creates the socket, binds it
// to the interface, then sets up and maps the ring: from then on every
// packet is kept. The socket alone is too early — packets queued before the
// ring exists are dropped.
func captureReady(pid int) bool {
	b, err := os.ReadFile("/proc/net/packet")
	if err != nil {
		return false
	}
	inodes := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 9 {
			inodes["socket:["+f[8]+"]"] = true
		}
	}
	for _, p := range append([]int{pid}, lab.Descendants(pid)...) {
		maps, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "maps"))
		for _, line := range strings.Split(string(maps), "\n") {
			if f := strings.Fields(line); len(f) >= 6 && inodes[f[len(f)-1]] {
				return true
			}
		}
	}
	return false
}

// TestWindowsCaptureUnderWine: `ratwatch.exe capture --iface lo` under Wine
// while a real viewer connects to x11vnc on 127.0.0.1 and drives it. The
// report must hold that exact connection (viewer port → x11vnc port) as an
// incoming VNC session, and the pcap the Windows build wrote must read back
// to the same flow.
func TestWindowsCaptureUnderWine(t *testing.T) {
	lab.Require(t, "Xvfb", "x11vnc")
	lab.RequireRoot(t) // libpcap under Wine opens an AF_PACKET socket
	p := wine.New(t)
	exe := buildWindowsExe(t)
	disp := lab.Xvfb(t)
	srv := lab.X11VNC(t, disp, lab.VNCOpts{})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const dur = 10 * time.Second
	cmd, logPath := startWine(t, ctx, p, nil, exe, "capture", "--iface", "lo", "--duration", dur.String(),
		"-o", "json", "--file", `C:\capture.json`, "--write", `C:\capture.pcap`)
	start := time.Now()
	for !captureReady(cmd.Process.Pid) {
		if time.Since(start) > dur/2 {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("no packet capture ring mapped by ratwatch.exe after %s:\n%s", time.Since(start), out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("capture running after %s", time.Since(start).Round(time.Millisecond))
	c := vncControl(t, srv.Addr(), "")
	cport := clientPort(c)
	code := exitCode(t, cmd) // the viewer is still connected when the capture ends
	out, _ := os.ReadFile(logPath)
	raw, err := os.ReadFile(p.HostPath(`C:\capture.json`))
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, out)
	}
	validate(t, raw)
	var r report.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Scan.Source.OS != "windows" || r.ExitCode != code || code != 3 || r.Verdict.RemoteControl != report.Established {
		t.Errorf("os %s exit %d (report %d) verdict %s: %s", r.Scan.Source.OS, code, r.ExitCode, r.Verdict.RemoteControl, out)
	}
	if len(r.Scanners) != 1 || r.Scanners[0].Status != "ok" || r.Scanners[0].Name != `capture C:\capture.pcap` {
		t.Errorf("scanners %+v", r.Scanners)
	}
	f := finding(t, &r, "vnc")
	var flow *report.Match
	for i := range f.Matches {
		m := &f.Matches[i]
		if m.Kind == "flow" && len(m.Evidence) > 0 && m.Evidence[0].Socket != nil {
			s := m.Evidence[0].Socket
			if int(s.LocalPort) == srv.Port && int(s.RemotePort) == cport || int(s.LocalPort) == cport && int(s.RemotePort) == srv.Port {
				flow = m
			}
		}
	}
	if flow == nil {
		t.Fatalf("no wire flow 127.0.0.1:%d → :%d in the vnc finding: %+v\nwine output:\n%s", cport, srv.Port, f.Matches, out)
	}
	if flow.Role != "session" {
		t.Errorf("flow verdict %s (%s), want session", flow.Role, flow.Why)
	}
	var rec bool
	for _, s := range f.Incoming {
		if int(s.RemotePort) == cport && int(s.LocalPort) == srv.Port && s.RemoteIP == "127.0.0.1" && len(s.Evidence) > 0 && s.Evidence[0].Kind == "packet" {
			rec = true
		}
	}
	if !rec {
		t.Errorf("no incoming session record from 127.0.0.1:%d to :%d: %+v", cport, srv.Port, f.Incoming)
	}

	// The pcap written by the Windows build reads back to the same flow.
	fh, err := os.Open(p.HostPath(`C:\capture.pcap`))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rep, err := wire.Analyze(context.Background(), fh, "capture.pcap", wire.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wf *wire.Flow
	for _, fl := range rep.Flows {
		if int(fl.Client.Port) == cport && int(fl.Server.Port) == srv.Port {
			wf = fl
		}
	}
	// The client sent 12 (version) + 1 (security type) + 1 (ClientInit) +
	// 4×8 (KeyEvent) + 3×6 (PointerEvent) + 10 (FramebufferUpdateRequest)
	// = 74 bytes of sequence space, and no gap in either direction: the
	// payload in the file covers the sequence progress (a loaded loopback
	// sometimes retransmits a segment, so the payload may be more).
	if wf == nil || wf.Protocol != wire.ProtoRFB || wf.Tool != "vnc" || wf.Verdict != wire.VerdictSession ||
		wf.SeqBytes[0] != 74 || wf.Bytes[0] < wf.SeqBytes[0] || wf.Bytes[1] < wf.SeqBytes[1] || wf.SeqBytes[1] == 0 {
		keep := filepath.Join(os.TempDir(), "ratwatch-wine-capture.pcap")
		b, _ := os.ReadFile(p.HostPath(`C:\capture.pcap`))
		os.WriteFile(keep, b, 0o644)
		t.Fatalf("flow %d→%d in the written pcap (kept in %s): %+v", cport, srv.Port, keep, wf)
	}
	if t.Failed() {
		t.Logf("wine output:\n%s", out)
	}
}

// TestWindowsCaptureErrorsUnderWine: without wpcap.dll (Wine's builtin
// disabled, as on a PC without Npcap) `capture` fails with a message naming
// Npcap and https://npcap.com, and `scan --capture` still scans and lists
// the capture as incomplete; without CAP_NET_RAW (setpriv drops it, as a
// non-administrator on an admin-only Npcap) the error is the clear
// permission message; an unknown interface lists Wine's devices.
func TestWindowsCaptureErrorsUnderWine(t *testing.T) {
	lab.Require(t, "setpriv")
	lab.RequireRoot(t)
	p := wine.New(t)
	exe := buildWindowsExe(t)
	noWpcap := []string{"WINEDLLOVERRIDES=mscoree,mshtml=;wpcap="}
	run := func(t *testing.T, env []string, prefix []string, args ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var cmd *exec.Cmd
		var logPath string
		if prefix != nil {
			cmd = exec.CommandContext(ctx, prefix[0], append(append(prefix[1:], "wine", exe), args...)...)
			cmd.Env = append(p.Env(), env...)
			cmd.WaitDelay = 5 * time.Second
			f, err := os.CreateTemp(t.TempDir(), "wine-*.log")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd.Stdout, cmd.Stderr = f, f
			logPath = f.Name()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
		} else {
			cmd, logPath = startWine(t, ctx, p, env, exe, args...)
		}
		code := exitCode(t, cmd)
		out, _ := os.ReadFile(logPath)
		return code, string(out)
	}

	t.Run("no-npcap", func(t *testing.T) {
		code, out := run(t, noWpcap, nil, "capture", "--iface", "lo", "--duration", "1s", "-o", "json")
		if code != 1 || !strings.Contains(out, "install Npcap from https://npcap.com") || !strings.Contains(out, "wpcap.dll") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("scan-without-npcap", func(t *testing.T) {
		code, out := run(t, noWpcap, nil, "scan", "--only", "windows-services", "--capture", "1s", "--capture-iface", "lo",
			"-o", "json", "--file", `C:\scan.json`)
		raw, err := os.ReadFile(p.HostPath(`C:\scan.json`))
		if err != nil {
			t.Fatalf("no report (exit %d): %v\n%s", code, err, out)
		}
		validate(t, raw)
		var r report.Report
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		var note string
		for _, s := range r.Verdict.Incomplete {
			if strings.HasPrefix(s, "capture: failed") {
				note = s
			}
		}
		if code == 1 || !strings.Contains(note, "https://npcap.com") {
			t.Errorf("exit %d, incomplete %q: %s", code, r.Verdict.Incomplete, out)
		}
	})
	t.Run("not-permitted", func(t *testing.T) {
		code, out := run(t, nil, []string{"setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw"},
			"capture", "--iface", "lo", "--duration", "1s", "-o", "json")
		if code != 1 || !strings.Contains(out, "live capture needs administrator rights") || !strings.Contains(out, "NPF_{") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("unknown-interface", func(t *testing.T) {
		code, out := run(t, nil, nil, "capture", "--iface", "no-such-if", "--duration", "1s", "-o", "json")
		if code != 1 || !strings.Contains(out, `unknown capture interface "no-such-if"`) ||
			!strings.Contains(out, `"lo" [loopback]`) || !strings.Contains(out, `\Device\NPF_{`) {
			t.Errorf("exit %d: %s", code, out)
		}
	})
}
