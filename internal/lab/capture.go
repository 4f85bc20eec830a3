package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
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

// Stop stops tcpdump and waits for it; call it before reading Path. It
// first lets tcpdump write out every packet the kernel already passed it:
// tcpdump drops what is still in its ring buffer at SIGTERM, and on a busy
// machine that can be the whole short session. So it asks for the counters
// (SIGUSR1) until "captured" catches up with "received by filter" (half of
// it on lo), at most drainTimeout, then sends SIGTERM.
func (c *Capture) Stop() error {
	if !c.proc.Exited() {
		c.drain()
	}
	return c.proc.Stop()
}

const drainTimeout = 5 * time.Second

var statsRe = regexp.MustCompile(`(\d+) packets? captured, (\d+) packets? received by filter`)

func (c *Capture) drain() {
	waitUntilEvery(drainTimeout, 100*time.Millisecond, func() bool {
		if c.proc.Exited() || syscall.Kill(c.PID, syscall.SIGUSR1) != nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
		b, _ := os.ReadFile(c.LogPath)
		m := statsRe.FindAllStringSubmatch(string(b), -1)
		if len(m) == 0 {
			return false
		}
		last := m[len(m)-1]
		captured, _ := strconv.Atoi(last[1])
		received, _ := strconv.Atoi(last[2])
		// On lo the kernel hands libpcap every packet twice (outgoing and
		// incoming); libpcap drops the outgoing copy, so "received by
		// filter" ends at twice "captured".
		return 2*captured >= received
	})
}

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
