package rfb_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/lab"
	"github.com/ratwatch/ratwatch/internal/rfb"
)

// Vector computed independently with
// `openssl enc -des-ecb -K 0e86ceceeef64e26 -nopad` (key = "password" with
// each byte bit-reversed) over the ASCII challenge "0123456789abcdef".
func TestVNCAuthResponseVector(t *testing.T) {
	got, err := rfb.VNCAuthResponse("password", []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "5645abeb5f1e6475e8feb11beb66ea19"; hex.EncodeToString(got) != want {
		t.Fatalf("response %x, want %s", got, want)
	}
	// Only the first 8 bytes of the password count.
	long, _ := rfb.VNCAuthResponse("password-and-more", []byte("0123456789abcdef"))
	if hex.EncodeToString(long) != hex.EncodeToString(got) {
		t.Errorf("password longer than 8 bytes changed the response")
	}
	if _, err := rfb.VNCAuthResponse("x", make([]byte, 15)); err == nil {
		t.Errorf("short challenge accepted")
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]rfb.Version{
		"RFB 003.003\n": rfb.V33,
		"RFB 003.008\n": rfb.V38,
		"RFB 003.889\n": {Major: 3, Minor: 889}, // Apple
	} {
		v, err := rfb.ParseVersion([]byte(in))
		if err != nil || v != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
	for _, bad := range []string{"RFB 003.008", "HTTP/1.1 200", "RFB 00x.008\n", "RFB 002.000\n"} {
		if _, err := rfb.ParseVersion([]byte(bad)); !errors.Is(err, rfb.ErrProtocol) {
			t.Errorf("ParseVersion(%q): %v, want ErrProtocol", bad, err)
		}
	}
}

// --- against a real x11vnc ---------------------------------------------------

func x11vnc(t *testing.T, password string) *lab.Server {
	t.Helper()
	lab.Require(t, "Xvfb", "x11vnc")
	return lab.X11VNC(t, lab.Xvfb(t), lab.VNCOpts{Password: password})
}

func dial(t *testing.T, addr string, cfg rfb.Config) (*rfb.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rfb.Dial(ctx, addr, cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// exercise sends input and reads one framebuffer update.
func exercise(t *testing.T, c *rfb.Client) {
	t.Helper()
	if err := c.SetEncodings(0); err != nil {
		t.Fatal(err)
	}
	if err := c.KeyEvent('x', true); err != nil {
		t.Fatal(err)
	}
	if err := c.KeyEvent('x', false); err != nil {
		t.Fatal(err)
	}
	if err := c.PointerEvent(0, 100, 100); err != nil {
		t.Fatal(err)
	}
	if err := c.FramebufferUpdateRequest(false, 0, 0, 32, 8); err != nil {
		t.Fatal(err)
	}
	m, err := c.WaitFramebufferUpdate(5 * time.Second)
	if err != nil {
		t.Fatalf("framebuffer update: %v", err)
	}
	var px int
	for _, r := range m.Rects {
		px += int(r.W) * int(r.H)
	}
	if px == 0 {
		t.Fatalf("empty framebuffer update %+v", m)
	}
}

func TestX11VNCNone(t *testing.T) {
	t.Parallel()
	srv := x11vnc(t, "")
	for _, v := range []rfb.Version{rfb.V38, rfb.V37, rfb.V33} {
		c, err := dial(t, srv.Addr(), rfb.Config{MaxVersion: v})
		if err != nil {
			t.Fatalf("version %v: %v", v, err)
		}
		if c.Version != v || c.SecurityType != rfb.SecNone {
			t.Errorf("negotiated %v / type %d, want %v / None", c.Version, c.SecurityType, v)
		}
		if c.Width == 0 || c.Height == 0 || c.DesktopName == "" {
			t.Errorf("ServerInit: %dx%d name %q", c.Width, c.Height, c.DesktopName)
		}
		exercise(t, c)
		c.Close()
		srv.WaitLog(t, "Client Protocol Version "+v.String(), 5*time.Second)
	}
}

func TestX11VNCAuth(t *testing.T) {
	t.Parallel()
	srv := x11vnc(t, "Pw-1234")
	for _, v := range []rfb.Version{rfb.V38, rfb.V37, rfb.V33} {
		c, err := dial(t, srv.Addr(), rfb.Config{Password: "Pw-1234", MaxVersion: v})
		if err != nil {
			t.Fatalf("version %v: %v", v, err)
		}
		if c.SecurityType != rfb.SecVNCAuth {
			t.Errorf("security type %d, want VNC auth", c.SecurityType)
		}
		exercise(t, c)
		c.Close()
	}
}

func TestX11VNCWrongPassword(t *testing.T) {
	t.Parallel()
	srv := x11vnc(t, "Pw-1234")

	_, err := dial(t, srv.Addr(), rfb.Config{Password: "nope"})
	var ae *rfb.AuthError
	if !errors.Is(err, rfb.ErrAuthFailed) || !errors.As(err, &ae) {
		t.Fatalf("got %v, want an AuthError", err)
	}
	if ae.Reason == "" || !strings.Contains(err.Error(), ae.Reason) {
		t.Errorf("RFB 3.8 reason string missing: %+v", ae)
	}
	if errors.Is(err, rfb.ErrNoUsableSecurity) {
		t.Errorf("auth failure also matches ErrNoUsableSecurity")
	}
	srv.WaitLog(t, "password check failed", 5*time.Second)

	// 3.3 has no reason string but is still an auth failure.
	_, err = dial(t, srv.Addr(), rfb.Config{Password: "nope", MaxVersion: rfb.V33})
	if !errors.Is(err, rfb.ErrAuthFailed) {
		t.Fatalf("3.3: got %v, want ErrAuthFailed", err)
	}

	// No password configured: VNC auth is offered but unusable.
	_, err = dial(t, srv.Addr(), rfb.Config{})
	var se *rfb.SecurityTypesError
	if !errors.Is(err, rfb.ErrNoUsableSecurity) || !errors.As(err, &se) {
		t.Fatalf("got %v, want ErrNoUsableSecurity", err)
	}
	if len(se.Offered) != 1 || se.Offered[0] != rfb.SecVNCAuth {
		t.Errorf("offered %v, want [2]", se.Offered)
	}
	if errors.Is(err, rfb.ErrAuthFailed) {
		t.Errorf("no usable type also matches ErrAuthFailed")
	}
}

// --- protocol corner cases a real server will not produce on demand ---------

// scripted serves one connection on 127.0.0.1 with fn.
func scripted(t *testing.T, fn func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fn(c)
	}()
	return l.Addr().String()
}

func reasonString(s string) []byte {
	b := make([]byte, 4+len(s))
	binary.BigEndian.PutUint32(b, uint32(len(s)))
	copy(b[4:], s)
	return b
}

func TestRefusedWithReason(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		c.Write([]byte("RFB 003.008\n"))
		io.ReadFull(c, make([]byte, 12))
		c.Write(append([]byte{0}, reasonString("Too many authentication failures")...))
	})
	_, err := dial(t, addr, rfb.Config{})
	var re *rfb.RefusedError
	if !errors.Is(err, rfb.ErrConnectionFailed) || !errors.As(err, &re) || re.Reason != "Too many authentication failures" {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownSecurityTypes(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		c.Write([]byte("RFB 003.008\n"))
		io.ReadFull(c, make([]byte, 12))
		c.Write([]byte{2, 18, 19}) // TLS, VeNCrypt
		io.ReadFull(c, make([]byte, 1))
	})
	_, err := dial(t, addr, rfb.Config{Password: "x"})
	var se *rfb.SecurityTypesError
	if !errors.Is(err, rfb.ErrNoUsableSecurity) || !errors.As(err, &se) || len(se.Offered) != 2 {
		t.Fatalf("got %v", err)
	}
}

func TestReadTimeout(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		// Never send the banner.
		io.ReadFull(c, make([]byte, 1))
	})
	start := time.Now()
	_, err := dial(t, addr, rfb.Config{Timeout: 300 * time.Millisecond})
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestVersion33SecurityFailure(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		c.Write([]byte("RFB 003.003\n"))
		io.ReadFull(c, make([]byte, 12))
		c.Write([]byte{0, 0, 0, 0})
		c.Write(reasonString("go away"))
	})
	_, err := dial(t, addr, rfb.Config{})
	if !errors.Is(err, rfb.ErrConnectionFailed) || !strings.Contains(err.Error(), "go away") {
		t.Fatalf("got %v", err)
	}
}
