package lab

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Capture is a running tcpdump writing a pcap file.
type Capture struct {
	PID     int
	Path    string // the pcap file
	LogPath string // tcpdump's stderr ("listening on lo…", packet counts)
	proc    *Proc
}

// Stop stops tcpdump (SIGTERM, so it flushes and closes the file) and waits
// for it. Call it before reading Path.
func (c *Capture) Stop() error { return c.proc.Stop() }

// Tcpdump captures TCP traffic to or from port on the loopback interface
// into file: `tcpdump -i lo -n -s 256 -U -B 8192 --immediate-mode -Z root
// -w file tcp port P` (-s 256 keeps handshakes and drops framebuffer bulk;
// --immediate-mode hands each packet over at once: without it packets wait
// in the kernel ring buffer and a SIGTERM soon after a short session loses
// them all; -Z root keeps the file owned by root instead of user tcpdump). It returns once tcpdump says
// it is listening. Needs root.
func Tcpdump(t testing.TB, port int, file string) *Capture {
	t.Helper()
	RequireRoot(t)
	Require(t, "tcpdump")
	bin, _ := binPath("tcpdump")
	logPath := filepath.Join(t.TempDir(), "tcpdump.log")
	cmd := exec.Command(bin, "-i", "lo", "-n", "-s", "256", "-U", "-B", "8192", "--immediate-mode", "-Z", "root",
		"-w", file, "tcp", "port", fmt.Sprint(port))
	p, err := startProc(t, "tcpdump", cmd, logPath)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if err := WaitForLog(logPath, "listening on lo", 10*time.Second); err != nil {
		t.Fatalf("lab: tcpdump (pid %d) did not start: %v (exit: %v)", p.PID, err, p.ExitError())
	}
	return &Capture{PID: p.PID, Path: file, LogPath: logPath, proc: p}
}
