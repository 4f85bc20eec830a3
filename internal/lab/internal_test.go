package lab

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseProcNetTCP(t *testing.T) {
	const sample = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:170D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C8A 0100007F:170D 01 00000000:00000000 00:00000000 00000000  1001        0 123457 1 0000000000000000 20 4 30 10 -1
`
	socks, err := parseProcNetTCP(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 2 {
		t.Fatalf("got %d sockets", len(socks))
	}
	s := socks[1]
	if !s.LocalIP.Equal(net.IPv4(127, 0, 0, 1)) || s.LocalPort != 0x9C8A || s.RemotePort != 5901 ||
		s.State != tcpEstablished || s.UID != 1001 || s.Inode != 123457 {
		t.Errorf("parsed %+v", s)
	}
	if socks[0].State != tcpListen {
		t.Errorf("state %x, want LISTEN", socks[0].State)
	}
	// IPv6 ::1 as /proc/net/tcp6 prints it.
	ip, port, err := parseHexAddr("00000000000000000000000001000000:0D3D")
	if err != nil || !ip.Equal(net.IPv6loopback) || port != 3389 {
		t.Errorf("tcp6 ::1: %v %d %v", ip, port, err)
	}
}

// A real loopback connection from this process: both ends are found, with
// this process's pid on each.
func TestFindEstablishedSelf(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srvConn := <-accepted
	port := l.Addr().(*net.TCPAddr).Port
	cport := c.LocalAddr().(*net.TCPAddr).Port
	pair := WaitEstablished(t, cport, port)
	if pair.ClientPort != cport || pair.ServerPort != port {
		t.Errorf("pair %+v", pair)
	}
	if pair.ClientPID() != os.Getpid() || pair.ServerPID() != os.Getpid() {
		t.Errorf("pids %v/%v, want %d", pair.ClientPIDs, pair.ServerPIDs, os.Getpid())
	}
	pids, err := ListenerPIDs(port)
	if err != nil || len(pids) != 1 || pids[0] != os.Getpid() {
		t.Errorf("listener pids %v %v", pids, err)
	}
	c.Close()
	srvConn.Close()
	WaitClosed(t, cport, port)
}

func TestSetINI(t *testing.T) {
	in := "[Globals]\nport=3389\nfork=true\n\n[Logging]\nLogFile=xrdp.log\n#x=y\n\n[Xorg]\nport=-1\n"
	out := setINI(in, "Globals", "port", "tcp://.:5000")
	out = setINI(out, "Logging", "LogFile", "/tmp/x.log")
	out = setINI(out, "Logging", "EnableSyslog", "false")
	out = setINI(out, "Sessions", "X11DisplayOffset", "300")
	for sec, kv := range map[string][2]string{
		"Globals":  {"port", "tcp://.:5000"},
		"Logging":  {"EnableSyslog", "false"},
		"Xorg":     {"port", "-1"},
		"Sessions": {"X11DisplayOffset", "300"},
	} {
		if v, ok := getINI(out, sec, kv[0]); !ok || v != kv[1] {
			t.Errorf("[%s] %s = %q %v, want %q\n%s", sec, kv[0], v, ok, kv[1], out)
		}
	}
	if v, _ := getINI(out, "Logging", "LogFile"); v != "/tmp/x.log" {
		t.Errorf("LogFile %q", v)
	}
}

func TestFreePortAndDisplay(t *testing.T) {
	p := FreePort(t)
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("free port %d not bindable: %v", p, err)
	}
	l.Close()
	n := FreeDisplay(t)
	if n < displayMin || n >= displayMax || displayInUse(n) {
		t.Errorf("display %d", n)
	}
}

// The whole process group is stopped, children included.
func TestProcStopGroup(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & sleep 30 & wait")
	p, err := startProc(t, "sh", cmd, "")
	if err != nil {
		t.Fatal(err)
	}
	if !waitUntil(5*time.Second, func() bool { return len(groupMembers(p.PID)) == 3 }) {
		t.Fatalf("group members %v, want sh + 2 sleeps", groupMembers(p.PID))
	}
	kids := Descendants(p.PID)
	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stop took %v", d)
	}
	if m := groupMembers(p.PID); len(m) != 0 {
		t.Errorf("members left: %v (children were %v)", m, kids)
	}
	if err := p.Stop(); err != nil { // idempotent
		t.Errorf("second Stop: %v", err)
	}
}

// A process that ignores SIGTERM gets SIGKILL after StopGrace.
func TestProcStopKill(t *testing.T) {
	if testing.Short() {
		t.Skip("takes StopGrace")
	}
	t.Parallel()
	cmd := exec.Command("sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	log := t.TempDir() + "/log"
	p, err := startProc(t, "stubborn", cmd, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitForLog(log, "ready", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	err = p.Stop()
	if err == nil || !strings.Contains(err.Error(), "SIGKILL") {
		t.Fatalf("Stop: %v, want a note about SIGKILL", err)
	}
	if !p.Exited() || len(groupMembers(p.PID)) != 0 {
		t.Errorf("still running after SIGKILL")
	}
}

// TestHostLockChild is the other process of TestHostLockCrossProcess.
func TestHostLockChild(t *testing.T) {
	if os.Getenv("LAB_HOSTLOCK_CHILD") != "1" {
		t.Skip("helper process for TestHostLockCrossProcess")
	}
	HostLock(t)
	os.Stdout.WriteString("locked\n")
	time.Sleep(1500 * time.Millisecond)
}

// Another test process holding HostLock keeps this one from starting lab
// processes until it is done. Not parallel: no other lab process of this
// binary may hold the shared lock meanwhile.
func TestHostLockCrossProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LAB_HOSTLOCK_CHILD=1")
	log := t.TempDir() + "/child.log"
	child, err := startProcUnlocked(t, "hostlock-child", cmd, log)
	if err != nil {
		t.Fatal(err)
	}
	// Other test binaries may hold the lock shared for a while.
	if err := WaitForLog(log, "locked", 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := startProc(t, "sleep", exec.Command("sleep", "30"), "")
	if err != nil {
		t.Fatal(err)
	}
	// The child holds the lock for 1.5 s after saying "locked" (it is
	// released in its test cleanup, a moment before the process exits).
	if waited := time.Since(start); waited < 1200*time.Millisecond {
		t.Errorf("started after %v while the other process held the host lock for 1.5 s", waited)
	}
	if err := child.Wait(30 * time.Second); err != nil {
		t.Errorf("child: %v\n%s", err, tail(log, 2000))
	}
	p.Stop()
}

func TestHostLockInProcess(t *testing.T) {
	released := make(chan time.Time, 1)
	t.Run("group", func(t *testing.T) {
		t.Run("holder", func(t *testing.T) {
			t.Parallel()
			HostLock(t)
			// Own processes are allowed under the exclusive lock.
			p, err := startProc(t, "sleep", exec.Command("sleep", "30"), "")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			p.Stop()
			t.Cleanup(func() { released <- time.Now() })
		})
		t.Run("other", func(t *testing.T) {
			t.Parallel()
			time.Sleep(200 * time.Millisecond) // let holder lock first
			p, err := startProc(t, "sleep", exec.Command("sleep", "30"), "")
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			p.Stop()
			select {
			case r := <-released:
				if at.Before(r) {
					t.Errorf("started at %v, before the holder released at %v", at, r)
				}
			default:
				t.Errorf("started while the holder test still held the host lock")
			}
		})
	})
}
