package lab_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/lab"
	"github.com/ratwatch/ratwatch/internal/rfb"
)

// rfbSession connects to addr, sends a few key and pointer events and a
// framebuffer update request, reads one update, and returns the open client.
func rfbSession(t *testing.T, addr, password string) *rfb.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rfb.Dial(ctx, addr, rfb.Config{Password: password})
	if err != nil {
		t.Fatalf("rfb.Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetEncodings(0); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []struct {
		key  uint32
		down bool
	}{{'a', true}, {'a', false}, {0xff0d, true}, {0xff0d, false}} {
		if err := c.KeyEvent(ev.key, ev.down); err != nil {
			t.Fatalf("KeyEvent: %v", err)
		}
	}
	if err := c.PointerEvent(0, 10, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.PointerEvent(1, 20, 20); err != nil {
		t.Fatal(err)
	}
	if err := c.PointerEvent(0, 20, 20); err != nil {
		t.Fatal(err)
	}
	if err := c.FramebufferUpdateRequest(false, 0, 0, 16, 16); err != nil {
		t.Fatal(err)
	}
	m, err := c.WaitFramebufferUpdate(5 * time.Second)
	if err != nil {
		t.Fatalf("waiting for a framebuffer update: %v", err)
	}
	if len(m.Rects) == 0 {
		t.Fatalf("framebuffer update without rectangles")
	}
	return c
}

func localPort(c *rfb.Client) int { return c.LocalAddr().(*net.TCPAddr).Port }

func TestX11VNCNoPassword(t *testing.T) {
	lab.Require(t, "Xvfb", "x11vnc")
	t.Parallel()
	disp := lab.Xvfb(t)
	srv := lab.X11VNC(t, disp, lab.VNCOpts{})

	c := rfbSession(t, srv.Addr(), "")
	if c.SecurityType != rfb.SecNone || c.Version != rfb.V38 {
		t.Errorf("security type %d version %v, want None and 3.8", c.SecurityType, c.Version)
	}
	if c.Width != 1024 || c.Height != 768 {
		t.Errorf("framebuffer %dx%d, want 1024x768", c.Width, c.Height)
	}

	pair := lab.WaitEstablished(t, localPort(c), srv.Port)
	if pair.ClientPID() != os.Getpid() {
		t.Errorf("client pid %v, want this test's pid %d", pair.ClientPIDs, os.Getpid())
	}
	if pair.ServerPID() != srv.PID {
		t.Errorf("server pid %v, want x11vnc pid %d", pair.ServerPIDs, srv.PID)
	}
	srv.WaitLog(t, "Got connection from client 127.0.0.1", 5*time.Second)
	srv.WaitLog(t, "Client Protocol Version 3.8", 5*time.Second)
	srv.WaitLog(t, "rfbProcessClientSecurityType: executing handler for type 1", 5*time.Second)

	c.Close()
	lab.WaitClosed(t, localPort(c), srv.Port)
	srv.WaitLog(t, "Client 127.0.0.1 gone", 5*time.Second)
	// x11vnc prints per-client statistics at disconnect: proof of input.
	srv.WaitLog(t, "KeyEvent", 5*time.Second)
	srv.WaitLog(t, "PointerEvent", 5*time.Second)
	if lab.LogContains(srv.LogPath, "authentication failed") {
		t.Errorf("unexpected authentication failure in log")
	}
}

func TestX11VNCPassword(t *testing.T) {
	lab.Require(t, "Xvfb", "x11vnc")
	t.Parallel()
	disp := lab.Xvfb(t)
	srv := lab.X11VNC(t, disp, lab.VNCOpts{Password: "s3cret-pw"})

	// Right password.
	c := rfbSession(t, srv.Addr(), "s3cret-pw")
	if c.SecurityType != rfb.SecVNCAuth {
		t.Errorf("security type %d, want VNC auth", c.SecurityType)
	}
	lab.WaitEstablished(t, localPort(c), srv.Port)
	srv.WaitLog(t, "rfbProcessClientSecurityType: executing handler for type 2", 5*time.Second)
	c.Close()

	// Wrong password: auth error with the server's reason, and the server
	// logs the failure.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{Password: "wrong"})
	var ae *rfb.AuthError
	if !errors.Is(err, rfb.ErrAuthFailed) || !errors.As(err, &ae) {
		t.Fatalf("wrong password: got %v, want ErrAuthFailed", err)
	}
	t.Logf("wrong password: %v", err)
	srv.WaitLog(t, "password check failed", 5*time.Second)

	// No password at all: nothing usable.
	_, err = rfb.Dial(ctx, srv.Addr(), rfb.Config{})
	if !errors.Is(err, rfb.ErrNoUsableSecurity) {
		t.Fatalf("no password: got %v, want ErrNoUsableSecurity", err)
	}
	if !strings.Contains(err.Error(), "[2]") {
		t.Errorf("error should list offered types: %v", err)
	}
}

func TestTigerVNC(t *testing.T) {
	lab.Require(t, "Xtigervnc", "vncpasswd")
	t.Parallel()
	t.Run("None", func(t *testing.T) {
		t.Parallel()
		srv := lab.TigerVNC(t, lab.VNCOpts{})
		c := rfbSession(t, srv.Addr(), "")
		if c.SecurityType != rfb.SecNone {
			t.Errorf("security type %d, want None", c.SecurityType)
		}
		pair := lab.WaitEstablished(t, localPort(c), srv.Port)
		if pair.ServerPID() != srv.PID {
			t.Errorf("server pid %v, want Xtigervnc pid %d", pair.ServerPIDs, srv.PID)
		}
		srv.WaitLog(t, "Connections: accepted: 127.0.0.1::", 5*time.Second)
		srv.WaitLog(t, "Client requests security type None(1)", 5*time.Second)
		c.Close()
		srv.WaitLog(t, "Connections: closed: 127.0.0.1::", 5*time.Second)
	})
	t.Run("VncAuth", func(t *testing.T) {
		t.Parallel()
		srv := lab.TigerVNC(t, lab.VNCOpts{Password: "tiger-pw"})
		c := rfbSession(t, srv.Addr(), "tiger-pw")
		if c.SecurityType != rfb.SecVNCAuth {
			t.Errorf("security type %d, want VNC auth", c.SecurityType)
		}
		srv.WaitLog(t, "Client requests security type VncAuth(2)", 5*time.Second)
		c.Close()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{Password: "wrong"})
		if !errors.Is(err, rfb.ErrAuthFailed) {
			t.Fatalf("wrong password: got %v, want ErrAuthFailed", err)
		}
		t.Logf("wrong password: %v", err)
		srv.WaitLog(t, "Authentication failure", 5*time.Second)
	})
}

func TestTcpdumpVNC(t *testing.T) {
	lab.Require(t, "Xvfb", "x11vnc", "tcpdump")
	lab.RequireRoot(t)
	t.Parallel()
	disp := lab.Xvfb(t)
	srv := lab.X11VNC(t, disp, lab.VNCOpts{})
	pcap := t.TempDir() + "/vnc.pcap"
	capt := lab.Tcpdump(t, srv.Port, pcap)
	c := rfbSession(t, srv.Addr(), "")
	c.Close()
	lab.WaitClosed(t, localPort(c), srv.Port)
	if err := capt.Stop(); err != nil {
		t.Fatalf("stopping tcpdump: %v", err)
	}
	b, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || string(b[:4]) != "\xd4\xc3\xb2\xa1" {
		t.Fatalf("%s is not a little-endian pcap file (%d bytes)", pcap, len(b))
	}
	if n := strings.Count(string(b), "RFB 003.008\n"); n < 2 {
		t.Errorf("want server and client RFB 003.008 banners in the capture, found %d (%d bytes); tcpdump log:\n%s",
			n, len(b), tailOf(capt.LogPath))
	}
}

func TestXRDP(t *testing.T) {
	lab.Require(t, "Xvfb", "xrdp", "xrdp-sesman", "xfreerdp")
	lab.RequireRoot(t)
	t.Parallel()
	srv := lab.XRDP(t)
	clientDisp := lab.Xvfb(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("xrdp log:\n%s\nsesman log:\n%s", tailOf(srv.LogPath), tailOf(srv.SesmanLogPath))
		}
	})

	t.Run("GoodPassword", func(t *testing.T) {
		cl := lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, srv.User, srv.Password)
		dumpOnFailure(t, cl)
		pair := lab.WaitEstablished(t, 0, srv.Port)
		if pair.ClientPID() != cl.PID {
			t.Errorf("client pid %v, want xfreerdp pid %d", pair.ClientPIDs, cl.PID)
		}
		// The server end belongs to xrdp's per-connection child.
		if pid := pair.ServerPID(); pid == 0 || !contains(lab.Descendants(srv.PID), pid) {
			t.Errorf("server pid %v is not a child of xrdp %d", pair.ServerPIDs, srv.PID)
		}
		srv.WaitLog(t, "login successful for user "+srv.User, 15*time.Second)
		srv.WaitSesmanLog(t, "created session (access granted): username "+srv.User, 5*time.Second)
		srv.WaitSesmanLog(t, "Session started successfully for user "+srv.User, 10*time.Second)
		if len(srv.SessionPIDs()) == 0 {
			t.Errorf("no processes of session user %s", srv.User)
		}
		if cl.Exited() {
			t.Errorf("xfreerdp exited: %v\n%s", cl.Wait(0), cl.Log())
		}
		if err := cl.Stop(); err != nil {
			t.Logf("stopping xfreerdp: %v", err)
		}
		lab.WaitClosed(t, 0, srv.Port)
	})

	t.Run("WrongPassword", func(t *testing.T) {
		cl := lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, srv.User, "not-"+srv.Password)
		dumpOnFailure(t, cl)
		// A wrong password still gives an ESTABLISHED connection (xrdp shows
		// its login screen); only the log says the login failed.
		lab.WaitEstablished(t, 0, srv.Port)
		srv.WaitLog(t, "login failed for user "+srv.User, 15*time.Second)
		srv.WaitSesmanLog(t, "AUTHFAIL: user="+srv.User, 5*time.Second)
		if err := cl.Stop(); err != nil {
			t.Logf("stopping xfreerdp: %v", err)
		}
	})

	// Stopping the server also ends the session it left behind
	// (KillDisconnected=false keeps it after the client leaves).
	if err := srv.Stop(); err != nil {
		t.Logf("stopping xrdp: %v", err)
	}
	if left := srv.SessionPIDs(); len(left) > 0 {
		t.Errorf("session processes left after Stop: %v", left)
	}
}

func TestFreeRDPShadow(t *testing.T) {
	lab.Require(t, "Xvfb", "freerdp-shadow-cli", "xfreerdp")
	t.Parallel()
	served := lab.Xvfb(t)
	clientDisp := lab.Xvfb(t)
	srv := lab.FreeRDPShadow(t, served)
	cl := lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, "x", "x")
	dumpOnFailure(t, cl)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("freerdp-shadow-cli log:\n%s", tailOf(srv.LogPath))
		}
	})
	pair := lab.WaitEstablished(t, 0, srv.Port)
	if pair.ClientPID() != cl.PID {
		t.Errorf("client pid %v, want xfreerdp pid %d", pair.ClientPIDs, cl.PID)
	}
	if pair.ServerPID() != srv.PID {
		t.Errorf("server pid %v, want freerdp-shadow-cli pid %d", pair.ServerPIDs, srv.PID)
	}
	srv.WaitLog(t, "Client from 127.0.0.1 is activated", 10*time.Second)
	if cl.Exited() {
		t.Fatalf("xfreerdp exited early: %v\n%s", cl.Wait(0), cl.Log())
	}
	if err := cl.Stop(); err != nil {
		t.Logf("stopping xfreerdp: %v", err)
	}
	lab.WaitClosed(t, 0, srv.Port)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func tailOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// dumpOnFailure logs the client's output if the test fails.
func dumpOnFailure(t *testing.T, cl *lab.Client) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s (pid %d, exited %v) output:\n%s", cl.Name, cl.PID, cl.Exited(), tailOf(cl.LogPath))
		}
	})
}
