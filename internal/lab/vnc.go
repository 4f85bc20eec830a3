package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a server process started by the lab, listening on
// 127.0.0.1:Port.
type Server struct {
	Name     string
	PID      int
	Port     int
	LogPath  string
	Password string  // VNC password, "" for none
	Display  Display // the X display served (for Xtigervnc: its own)
	proc     *Proc
}

// Addr is "127.0.0.1:Port".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Stop stops the server now (it is stopped in cleanup anyway).
func (s *Server) Stop() error { return s.proc.Stop() }

// Exited reports whether the server process has exited.
func (s *Server) Exited() bool { return s.proc.Exited() }

// Log returns the current contents of the server's log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// WaitLog waits up to d for substr in the server's log; it fails the test
// if it does not appear.
func (s *Server) WaitLog(t testing.TB, substr string, d time.Duration) {
	t.Helper()
	if err := WaitForLog(s.LogPath, substr, d); err != nil {
		t.Fatal(err)
	}
}

// VNCOpts configures X11VNC and TigerVNC.
type VNCOpts struct {
	// Password enables VNC Authentication; empty means security type None.
	Password string
	// LogFile is where the server logs; empty means a file in t.TempDir().
	LogFile string
}

// startServer starts a listening server on a fresh free port. It tries
// again on another port (3 attempts in all) when the port was taken
// meanwhile, or when the server hung without listening (seen once with
// freerdp-shadow-cli on a loaded machine); not when it exited by itself.
func startServer(t testing.TB, name string, logPath string, mk func(port int) *exec.Cmd) (*Proc, int) {
	t.Helper()
	var errs []string
	for attempt := 1; attempt <= 3; attempt++ {
		port := FreePort(t)
		// Keep the log of every attempt.
		if attempt > 1 {
			appendFile(logPath, fmt.Sprintf("\n--- lab: attempt %d on port %d ---\n", attempt, port))
		}
		p, err := startProc(t, name, mk(port), logPath)
		if err != nil {
			t.Fatalf("%v", err)
		}
		err = waitListening(p, port, StartTimeout)
		if err == nil {
			if attempt > 1 {
				t.Logf("lab: %s listening on attempt %d; earlier: %s", name, attempt, strings.Join(errs, "; "))
			}
			return p, port
		}
		hung := !p.Exited()
		errs = append(errs, err.Error())
		p.Stop()
		if IsListening(port) || hung {
			continue
		}
		break
	}
	t.Fatalf("%s", strings.Join(errs, "\n"))
	return nil, 0
}

func appendFile(path, s string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	f.WriteString(s)
	f.Close()
}

func logPathOr(t testing.TB, p, name string) string {
	if p != "" {
		return p
	}
	return filepath.Join(t.TempDir(), name)
}

// X11VNC serves disp with x11vnc in the foreground (no -bg, so the pid is
// x11vnc's own): -localhost -rfbport P -forever -shared, -nopw or -passwd,
// -o logfile. It returns once x11vnc listens on P.
func X11VNC(t testing.TB, disp Display, opts VNCOpts) *Server {
	t.Helper()
	Require(t, "x11vnc")
	bin, _ := binPath("x11vnc")
	logPath := logPathOr(t, opts.LogFile, "x11vnc.log")
	p, port := startServer(t, "x11vnc", logPath, func(port int) *exec.Cmd {
		args := []string{"-display", disp.String(), "-localhost", "-rfbport", fmt.Sprint(port),
			"-forever", "-shared", "-norc", "-nocmds", "-o", logPath}
		if opts.Password != "" {
			args = append(args, "-passwd", opts.Password)
		} else {
			args = append(args, "-nopw")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), disp.Env(), "HOME="+t.TempDir())
		return cmd
	})
	// x11vnc cleans up inside its SIGTERM handler and, rarely, deadlocks
	// there (seen: 1 stop in ~40 stuck in futex_wait); it normally exits in
	// a few ms, so do not wait the full StopGrace before SIGKILL.
	p.grace = 2 * time.Second
	return &Server{Name: "x11vnc", PID: p.PID, Port: port, LogPath: logPath, Password: opts.Password, Display: disp, proc: p}
}

// TigerVNC runs Xtigervnc directly (an X server with a built-in VNC server)
// on a free display: -localhost -rfbport P -SecurityTypes None, or VncAuth
// with a password file made by `vncpasswd -f`. Its log (stderr) goes to
// opts.LogFile. The returned Server's Display is the Xtigervnc display.
func TigerVNC(t testing.TB, opts VNCOpts) *Server {
	t.Helper()
	Require(t, "Xtigervnc")
	bin, _ := binPath("Xtigervnc")
	dir := t.TempDir()
	logPath := logPathOr(t, opts.LogFile, "Xtigervnc.log")
	var secArgs []string
	if opts.Password != "" {
		pwFile := filepath.Join(dir, "passwd")
		if err := vncPasswdFile(opts.Password, pwFile); err != nil {
			t.Fatalf("lab: %v", err)
		}
		secArgs = []string{"-SecurityTypes", "VncAuth", "-PasswordFile", pwFile}
	} else {
		secArgs = []string{"-SecurityTypes", "None"}
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		port := FreePort(t)
		disp, err := startX(t, "Xtigervnc", logPath, func(n int) *exec.Cmd {
			args := append([]string{fmt.Sprintf(":%d", n), "-localhost", "-rfbport", fmt.Sprint(port),
				"-geometry", "1024x768", "-depth", "24", "-nolisten", "tcp", "-desktop", "ratwatch-lab"}, secArgs...)
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "HOME="+dir)
			return cmd
		}, func(p *Proc) error {
			return waitListening(p, port, StartTimeout)
		})
		if err == nil {
			return &Server{Name: "Xtigervnc", PID: disp.PID, Port: port, LogPath: logPath, Password: opts.Password, Display: disp, proc: disp.proc}
		}
		lastErr = err
		if !IsListening(port) { // not a port race: do not retry
			break
		}
	}
	t.Fatalf("lab: Xtigervnc did not start: %v", lastErr)
	return nil
}

// vncPasswdFile writes a VNC password file with `vncpasswd -f`.
func vncPasswdFile(password, path string) error {
	bin, err := binPath("vncpasswd")
	if err != nil {
		if bin, err = binPath("tigervncpasswd"); err != nil {
			return fmt.Errorf("vncpasswd: %w", err)
		}
	}
	cmd := exec.Command(bin, "-f")
	cmd.Stdin = strings.NewReader(password + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("vncpasswd -f: %w", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("vncpasswd -f: %v: %s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill() // by pid: our own child
		<-done
		return fmt.Errorf("vncpasswd -f: no exit after 10 s")
	}
	if out.Len() != 8 {
		return fmt.Errorf("vncpasswd -f: expected 8 bytes, got %d", out.Len())
	}
	return os.WriteFile(path, out.Bytes(), 0o600)
}
