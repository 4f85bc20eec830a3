package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// XRDPServer is a running xrdp + xrdp-sesman pair listening on
// 127.0.0.1:Port, with a throwaway local user that may log in.
type XRDPServer struct {
	Port      int
	PID       int // xrdp listener (runs as user xrdp); per-connection children are in its process group
	SesmanPID int // xrdp-sesman (root); session children (Xorg, xrdp-chansrv, the "window manager") are in its process group

	User     string // throwaway user
	Password string
	UID      int
	Home     string

	LogPath          string // xrdp log (LogFile= in the copied xrdp.ini)
	SesmanLogPath    string // xrdp-sesman log (LogFile= in the copied sesman.ini)
	ConfigPath       string // copied xrdp.ini
	SesmanConfigPath string // copied sesman.ini
	// SesmanPort is the port xrdp uses to reach sesman. xrdp reads it from
	// /etc/xrdp/sesman.ini, so it cannot be changed per test: that is why
	// the lab runs one XRDP at a time per machine (a file lock).
	SesmanPort int
	// DisplayOffset is sesman's X11DisplayOffset: sessions get the first
	// free display number from there.
	DisplayOffset int

	xrdp, sesman *Proc
}

// Addr is "127.0.0.1:Port".
func (s *XRDPServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// WaitLog waits up to d for substr in the xrdp log; it fails the test if it
// does not appear.
func (s *XRDPServer) WaitLog(t testing.TB, substr string, d time.Duration) {
	t.Helper()
	if err := WaitForLog(s.LogPath, substr, d); err != nil {
		t.Fatal(err)
	}
}

// WaitSesmanLog is WaitLog for the sesman log.
func (s *XRDPServer) WaitSesmanLog(t testing.TB, substr string, d time.Duration) {
	t.Helper()
	if err := WaitForLog(s.SesmanLogPath, substr, d); err != nil {
		t.Fatal(err)
	}
}

// SessionPIDs lists the live processes of the throwaway user: the session
// sesman started (Xorg, xrdp-chansrv, the "window manager" sleep).
func (s *XRDPServer) SessionPIDs() []int { return uidProcs(s.UID) }

// Stop stops xrdp and sesman (with their session children) now; the user is
// removed in cleanup.
func (s *XRDPServer) Stop() error {
	err1 := s.xrdp.Stop()
	err2 := s.sesman.Stop()
	if err1 != nil {
		return err1
	}
	return err2
}

// xrdpLockPath serialises XRDP across test binaries on this machine: xrdp
// always talks to the sesman port in /etc/xrdp/sesman.ini.
const (
	xrdpLockPath = "/tmp/ratwatch-lab-xrdp.lock"
	xrdpLockWait = 3 * time.Minute
)

// XRDP starts xrdp-sesman and xrdp in the foreground (-n, pids held) with
// copies of sesman.ini and xrdp.ini: xrdp listens on 127.0.0.1:P
// (port=tcp://.:P), both log to files in a temp dir, sessions start at a
// free display number. A throwaway user (useradd -m, random password) whose
// ~/startwm.sh is startWM (a terminal) can log in. Cleanup stops xrdp, sesman
// and every process of the session by pid/process group, removes the user
// (userdel -r) and the temp dir. Needs root.
func XRDP(t testing.TB) *XRDPServer {
	t.Helper()
	RequireRoot(t)
	Require(t, "xrdp", "xrdp-sesman", "Xorg", "useradd", "userdel", "chpasswd")
	if _, err := os.Stat("/usr/lib/xorg/modules/drivers/xrdpdev_drv.so"); err != nil {
		failOrSkip(t, "lab: xorgxrdp is not installed; install with: sudo scripts/install-test-deps")
	}
	xrdpBin, _ := binPath("xrdp")
	sesmanBin, _ := binPath("xrdp-sesman")

	unlock := lockFile(t, xrdpLockPath, xrdpLockWait)
	t.Cleanup(unlock)
	// Hold the host lock shared until the very end: the session's
	// processes (Xorg, xrdp-chansrv under the throwaway user) leave
	// sesman's process tree and are stopped only when the user is removed,
	// after the servers' own locks are released. (Cleanups run last-in
	// first-out: this release runs after removeUser.)
	acquireShared(t)
	reapStaleXRDP(t)

	sysSesman, err := os.ReadFile("/etc/xrdp/sesman.ini")
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	sysXrdp, err := os.ReadFile("/etc/xrdp/xrdp.ini")
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	sesmanPort := 3350
	if v, ok := getINI(string(sysSesman), "Globals", "ListenPort"); ok {
		if p, err := strconv.Atoi(v); err == nil {
			sesmanPort = p
		}
	}
	if pids, _ := ListenerPIDs(sesmanPort); IsListening(sesmanPort) {
		failOrSkip(t, fmt.Sprintf("lab: port %d (xrdp-sesman) is already in use by pids %v; "+
			"another xrdp-sesman not started by the lab is running", sesmanPort, pids))
	}

	xu, err := user.Lookup("xrdp")
	if err != nil {
		t.Fatalf("lab: user xrdp: %v (is the xrdp package installed?)", err)
	}
	xuid, _ := strconv.Atoi(xu.Uid)
	xgid, _ := strconv.Atoi(xu.Gid)
	groups := []uint32{uint32(xgid)}
	if g, err := user.LookupGroup("ssl-cert"); err == nil {
		// xrdp reads /etc/xrdp/key.pem (snakeoil, group ssl-cert).
		gid, _ := strconv.Atoi(g.Gid)
		groups = append(groups, uint32(gid))
	}

	// /run/xrdp/sockdir must exist (/run is a tmpfs) and belong to group
	// xrdp, setgid: the session's Xorg creates its xrdp_display_N socket
	// there mode 0660, and xrdp (user xrdp) connects to it. A sockdir made
	// by something else (group root) lets the login succeed but xrdp never
	// reaches the desktop: the client sees a blank screen. socksetup is the
	// package's own script and idempotent.
	xg, err := user.LookupGroup("xrdp")
	if err != nil {
		t.Fatalf("lab: group xrdp: %v (is the xrdp package installed?)", err)
	}
	if fi, err := os.Stat("/run/xrdp/sockdir"); err != nil || fi.Mode()&os.ModeSetgid == 0 ||
		strconv.FormatUint(uint64(fi.Sys().(*syscall.Stat_t).Gid), 10) != xg.Gid {
		if out, err := exec.Command("sh", "/usr/share/xrdp/socksetup").CombinedOutput(); err != nil {
			t.Fatalf("lab: /usr/share/xrdp/socksetup: %v: %s", err, out)
		}
	}

	dir := scratchDir(t, "xrdp")
	// sesman forks a child per session (same command line, then setsid):
	// it leaves the process group and may outlive sesman a moment. Before
	// the host lock is released, stop every process still running with
	// this test's own config path on its command line, by pid.
	t.Cleanup(func() { stopPIDs(cmdlineHas(dir)) })
	s := &XRDPServer{
		LogPath:          filepath.Join(dir, "xrdp.log"),
		SesmanLogPath:    filepath.Join(dir, "xrdp-sesman.log"),
		ConfigPath:       filepath.Join(dir, "xrdp.ini"),
		SesmanConfigPath: filepath.Join(dir, "sesman.ini"),
		SesmanPort:       sesmanPort,
	}

	s.User, s.Password, s.UID, s.Home = createUser(t)

	// sesman.ini: own log file, no syslog, free display numbers.
	s.DisplayOffset = FreeDisplay(t)
	sc := string(sysSesman)
	sc = setINI(sc, "Logging", "LogFile", s.SesmanLogPath)
	sc = setINI(sc, "Logging", "EnableSyslog", "false")
	sc = setINI(sc, "Logging", "LogLevel", "INFO")
	sc = setINI(sc, "Sessions", "X11DisplayOffset", strconv.Itoa(s.DisplayOffset))
	sc = setINI(sc, "ChansrvLogging", "EnableSyslog", "false")
	if err := os.WriteFile(s.SesmanConfigPath, []byte(sc), 0o644); err != nil {
		t.Fatalf("lab: %v", err)
	}

	sesman, err := startProc(t, "xrdp-sesman", exec.Command(sesmanBin, "-n", "-c", s.SesmanConfigPath), filepath.Join(dir, "xrdp-sesman.stdout"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.sesman, s.SesmanPID = sesman, sesman.PID
	if err := waitListening(sesman, sesmanPort, StartTimeout); err != nil {
		t.Fatalf("%v\nsesman log:\n%s", err, tail(s.SesmanLogPath, 2000))
	}

	// xrdp runs as user xrdp: it must be able to write its log.
	for _, f := range []string{s.LogPath, filepath.Join(dir, "xrdp.stdout")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatalf("lab: %v", err)
		}
		if err := os.Chown(f, xuid, xgid); err != nil {
			t.Fatalf("lab: %v", err)
		}
	}
	xrdp, port := startServer(t, "xrdp", filepath.Join(dir, "xrdp.stdout"), func(port int) *exec.Cmd {
		xc := string(sysXrdp)
		xc = setINI(xc, "Globals", "port", fmt.Sprintf("tcp://.:%d", port)) // tcp://. is 127.0.0.1
		xc = setINI(xc, "Logging", "LogFile", s.LogPath)
		xc = setINI(xc, "Logging", "EnableSyslog", "false")
		xc = setINI(xc, "Logging", "LogLevel", "INFO")
		if err := os.WriteFile(s.ConfigPath, []byte(xc), 0o644); err != nil {
			t.Fatalf("lab: %v", err)
		}
		cmd := exec.Command(xrdpBin, "-n", "-c", s.ConfigPath)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(xuid), Gid: uint32(xgid), Groups: groups}}
		return cmd
	})
	s.xrdp, s.PID, s.Port = xrdp, xrdp.PID, port
	return s
}

// reapStaleXRDP removes what a killed test binary may have left behind.
// Its direct children (xrdp, xrdp-sesman) die with it (Pdeathsig), but not
// their forks: xrdp's per-connection child and sesman's session child with
// the session (Xorg, chansrv, sleep) of a lab user. This stops xrdp and
// xrdp-sesman processes running from a lab config dir and the processes of
// lab users, then removes those users and the stale dirs. Only called with the xrdp lock held: then no other
// lab XRDP is running, so everything found is stale. Matched by the lab's
// own config path and user name prefix, stopped by pid.
func reapStaleXRDP(t testing.TB) {
	t.Helper()
	var stale []int
	for _, pid := range allPIDs() {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) >= 3 && (filepath.Base(args[0]) == "xrdp" || filepath.Base(args[0]) == "xrdp-sesman") &&
			strings.Contains(args[len(args)-1], "/"+labXRDPDirPrefix) {
			stale = append(stale, pid)
		}
	}
	if len(stale) > 0 {
		t.Logf("lab: stopping stale lab xrdp processes %s", describe(stale))
		stopPIDs(stale)
	}
	if dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), labXRDPDirPrefix+"*")); len(dirs) > 0 {
		t.Logf("lab: removing stale lab xrdp dirs %v", dirs)
		for _, d := range dirs {
			os.RemoveAll(d)
		}
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(passwd), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if isLabUser(name) {
			t.Logf("lab: removing stale lab user %s", name)
			removeUser(t, name)
		}
	}
}

// Lab users are "rwlab" + 8 hex digits; lab xrdp dirs /tmp/ratwatch-lab-xrdp-*.
const (
	labUserPrefix    = "rwlab"
	labXRDPDirPrefix = "ratwatch-lab-xrdp-"
)

func isLabUser(name string) bool {
	if len(name) != len(labUserPrefix)+8 || !strings.HasPrefix(name, labUserPrefix) {
		return false
	}
	for _, c := range name[len(labUserPrefix):] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// lockFile takes an exclusive flock on path, polling until d passes.
func lockFile(t testing.TB, path string, d time.Duration) (unlock func()) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("lab: lock %s: %v", path, err)
	}
	start := time.Now()
	ok := waitUntilEvery(d, 100*time.Millisecond, func() bool {
		return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
	})
	if !ok {
		f.Close()
		t.Fatalf("lab: lock %s still held by another test process after %v", path, d)
	}
	if w := time.Since(start); w > time.Second {
		t.Logf("lab: waited %v for %s", w.Round(time.Millisecond), path)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// waitUntilEvery is waitUntil with its own poll interval.
func waitUntilEvery(d, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
}

// startWM is the lab user's session ("window manager" for sesman): a
// terminal at the top left when xterm is installed, so a remote user has
// something to drive and the session sends real screen updates (else a
// blank desktop). The session lasts as long as the sleep: 10 minutes at
// most, whatever the terminal does.
const startWM = "#!/bin/sh\n" +
	"if command -v xterm >/dev/null 2>&1; then xterm -geometry 100x36+0+0 -e /bin/sh & fi\n" +
	"exec sleep 600\n"

// createUser adds a throwaway user with a home, a random password and a
// ~/startwm.sh (startWM), and registers its removal: every process
// of the user is stopped by pid, files it left in /tmp/.X11-unix and
// /run/xrdp/sockdir are removed, then userdel -r.
func createUser(t testing.TB) (name, password string, uid int, home string) {
	t.Helper()
	name = labUserPrefix + randHex(4)
	password = "Rw-" + randHex(8)
	if out, err := runBounded(30*time.Second, nil, "useradd", "-m", "-s", "/bin/sh", name); err != nil {
		t.Fatalf("lab: useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { removeUser(t, name) })
	if out, err := runBounded(30*time.Second, strings.NewReader(name+":"+password+"\n"), "chpasswd"); err != nil {
		t.Fatalf("lab: chpasswd: %v: %s", err, out)
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("lab: lookup %s: %v", name, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	home = u.HomeDir
	wm := filepath.Join(home, "startwm.sh")
	if err := os.WriteFile(wm, []byte(startWM), 0o755); err != nil {
		t.Fatalf("lab: %v", err)
	}
	if err := os.Chown(wm, uid, gid); err != nil {
		t.Fatalf("lab: %v", err)
	}
	return name, password, uid, home
}

func removeUser(t testing.TB, name string) {
	u, err := user.Lookup(name)
	if err != nil {
		t.Logf("lab: user %s already gone: %v", name, err)
		return
	}
	uid, _ := strconv.Atoi(u.Uid)
	// Normally sesman's process group stop has ended the session already.
	if pids := uidProcs(uid); len(pids) > 0 {
		t.Logf("lab: stopping leftover processes of %s: %s", name, describe(pids))
		stopPIDs(pids)
	}
	removeOwnedFiles(uid, "/tmp/.X11-unix", "/run/xrdp/sockdir", "/tmp")
	if out, err := runBounded(30*time.Second, nil, "userdel", "-r", name); err != nil {
		// Exit 12: mail spool or home could not be removed; say so but go on.
		t.Logf("lab: userdel -r %s: %v: %s", name, err, out)
	}
	if _, err := os.Stat(u.HomeDir); err == nil {
		os.RemoveAll(u.HomeDir)
	}
}

// uidProcs lists live processes whose real uid is uid.
func uidProcs(uid int) []int {
	var pids []int
	for _, pid := range allPIDs() {
		if u, err := procUID(pid); err == nil && u == uid {
			if st, err := readStat(pid); err == nil && st.state != 'Z' {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// stopPIDs sends SIGTERM to each pid, waits up to StopGrace, then SIGKILLs
// the ones left. Only for pids the lab owns (e.g. the throwaway user's).
func stopPIDs(pids []int) {
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGTERM)
	}
	alive := func() []int {
		var left []int
		for _, p := range pids {
			if st, err := readStat(p); err == nil && st.state != 'Z' {
				left = append(left, p)
			}
		}
		return left
	}
	if waitUntil(StopGrace, func() bool { return len(alive()) == 0 }) {
		return
	}
	for _, p := range alive() {
		syscall.Kill(p, syscall.SIGKILL)
	}
	waitUntil(StopGrace, func() bool { return len(alive()) == 0 })
}

// removeOwnedFiles removes the direct entries of dirs owned by uid (X
// sockets, lock files, xrdp sockets left by a killed session).
func removeOwnedFiles(uid int, dirs ...string) {
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(d, e.Name())
			fi, err := os.Lstat(p)
			if err != nil {
				continue
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid && uid != 0 {
				os.RemoveAll(p)
			}
		}
	}
}

// runBounded runs a short helper command (useradd, chpasswd…) with a
// deadline and returns its combined output.
func runBounded(d time.Duration, stdin *strings.Reader, name string, args ...string) (string, error) {
	bin, err := binPath(name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...) // killed by pid on timeout
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s: no exit after %v", name, d)
	}
	return out.String(), err
}

// SessionDisplays returns the display numbers sesman reported starting
// sessions on, from its log.
func (s *XRDPServer) SessionDisplays() []int {
	b, _ := os.ReadFile(s.SesmanLogPath)
	var out []int
	for _, m := range sessionDisplayRe.FindAllStringSubmatch(string(b), -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			out = appendUnique(out, n)
		}
	}
	return out
}

var sessionDisplayRe = regexp.MustCompile(`Session started successfully for user \S+ on display (\d+)`)

// FreeRDPShadow shares disp over RDP with freerdp-shadow-cli on
// 127.0.0.1:P (/bind-address:127.0.0.1, -auth: no user or PAM needed). Its
// stdout and stderr, at WLOG_LEVEL=INFO and line-buffered, are the log
// ("Client from 127.0.0.1 is activated (800x600@32)" on a session).
func FreeRDPShadow(t testing.TB, disp Display) *Server {
	t.Helper()
	Require(t, "freerdp-shadow-cli")
	bin, _ := binPath("freerdp-shadow-cli")
	home := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "freerdp-shadow.log")
	// stdbuf -oL: its log goes through stdio, fully buffered into a file and
	// lost at SIGTERM otherwise. stdbuf execs, so the pid is the server's.
	stdbuf, err := binPath("stdbuf")
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	p, port := startServer(t, "freerdp-shadow-cli", logPath, func(port int) *exec.Cmd {
		cmd := exec.Command(stdbuf, "-oL", "-eL", bin, fmt.Sprintf("/port:%d", port), "/bind-address:127.0.0.1", "-auth")
		// HOME: the server writes its generated certificate there.
		// WLOG_LEVEL=INFO: log connections (the default level logs none).
		cmd.Env = append(os.Environ(), disp.Env(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "WLOG_LEVEL=INFO")
		return cmd
	})
	return &Server{Name: "freerdp-shadow-cli", PID: p.PID, Port: port, LogPath: logPath, Display: disp, proc: p}
}

// Client is a GUI client started by the lab. It is stopped by Stop, in
// cleanup, or after MaxClientLifetime, whichever comes first.
type Client struct {
	Name    string
	PID     int
	LogPath string
	proc    *Proc
	timer   *time.Timer
}

// Stop stops the client now.
func (c *Client) Stop() error {
	c.timer.Stop()
	return c.proc.Stop()
}

// Exited reports whether the client has exited.
func (c *Client) Exited() bool { return c.proc.Exited() }

// TypeLine types line and presses Return in the client's window on disp,
// as a person at the viewer would: the keys go through the client to the
// remote desktop. Return is a key of its own: xdotool types "\n" as the
// Linefeed keysym, which RDP clients have no scancode for. It waits up to
// 20 s for the window.
func (c *Client) TypeLine(t testing.TB, disp Display, line string) {
	t.Helper()
	Require(t, "xdotool")
	// xdotool's type takes every argument after it as text: two runs. The
	// windowfocus is what makes the keys real: typing into a window that
	// has no focus would send synthetic events, which clients ignore; with
	// the focus, xdotool types through XTEST like a keyboard.
	for _, what := range [][]string{{"type", "--delay", "40", line}, {"key", "Return"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second+time.Duration(len(line))*100*time.Millisecond)
		args := append([]string{"search", "--sync", "--onlyvisible", "--pid", strconv.Itoa(c.PID),
			"", // every window of the pid (this xdotool wants a pattern)
			"windowfocus", "--sync"}, what...)
		cmd := exec.CommandContext(ctx, "xdotool", args...)
		cmd.Env = append(os.Environ(), disp.Env())
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("lab: xdotool %s into %s (pid %d): %v: %s", what[0], c.Name, c.PID, err, out)
		}
	}
}

// Wait waits up to d for the client to exit by itself.
func (c *Client) Wait(d time.Duration) error { return c.proc.Wait(d) }

// Log returns the client's output so far.
func (c *Client) Log() string {
	b, _ := os.ReadFile(c.LogPath)
	return string(b)
}

// XFreeRDP runs `xfreerdp /v:host:port /u:user /p:pass /cert:ignore
// /size:800x600` on disp (use a second Xvfb, not the one being served).
// The pid is xfreerdp's own (no wrapper). Output goes to the client's log.
func XFreeRDP(t testing.TB, disp Display, host string, port int, user, pass string) *Client {
	t.Helper()
	Require(t, "xfreerdp")
	bin, _ := binPath("xfreerdp")
	home := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "xfreerdp.log")
	cmd := exec.Command(bin, fmt.Sprintf("/v:%s:%d", host, port), "/u:"+user, "/p:"+pass,
		"/cert:ignore", "/size:800x600")
	cmd.Env = append(os.Environ(), disp.Env(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	p, err := startProc(t, "xfreerdp", cmd, logPath)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := &Client{Name: "xfreerdp", PID: p.PID, LogPath: logPath, proc: p}
	c.timer = time.AfterFunc(MaxClientLifetime, func() { p.Stop() })
	t.Cleanup(func() { c.timer.Stop() })
	return c
}

// cmdlineHas lists live processes whose command line contains s (a path
// unique to one test, so no other program matches).
func cmdlineHas(s string) []int {
	var pids []int
	for _, pid := range allPIDs() {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			if st, err := readStat(pid); err == nil && st.state != 'Z' {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
