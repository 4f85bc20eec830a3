// Package rfb is a minimal RFB (VNC) client used by the test lab to drive
// real VNC servers on loopback: version handshake (3.3, 3.7, 3.8), security
// types None (1) and VNC Authentication (2), ClientInit/ServerInit, then a
// few input events and a framebuffer update request.
//
// It is not a viewer: it decodes only raw-encoded framebuffer updates and
// the other three standard server messages, which is all a test needs to
// prove that a session was established and that input was sent.
package rfb

import (
	"context"
	"crypto/des"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Security types.
const (
	SecInvalid uint8 = 0
	SecNone    uint8 = 1
	SecVNCAuth uint8 = 2
)

// Client-to-server message types.
const (
	msgSetEncodings             = 2
	msgFramebufferUpdateRequest = 3
	msgKeyEvent                 = 4
	msgPointerEvent             = 5
)

// Server-to-client message types.
const (
	MsgFramebufferUpdate   uint8 = 0
	MsgSetColourMapEntries uint8 = 1
	MsgBell                uint8 = 2
	MsgServerCutText       uint8 = 3
)

// DefaultTimeout bounds every single read and write when Config.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// maxStringLen caps reason strings, desktop names and cut text, so a broken
// server cannot make the client allocate without bound.
const maxStringLen = 1 << 20

// Sentinel errors, matched with errors.Is.
var (
	// ErrAuthFailed: the server rejected the credentials (SecurityResult
	// failed). The concrete error is *AuthError, with the server's reason.
	ErrAuthFailed = errors.New("rfb: authentication failed")
	// ErrNoUsableSecurity: the server offered no security type this client
	// can use with its configuration. The concrete error is
	// *SecurityTypesError, with the offered types.
	ErrNoUsableSecurity = errors.New("rfb: no usable security type")
	// ErrConnectionFailed: the server refused the connection before
	// authentication (zero security types / security type 0), e.g. too
	// many failed attempts. The concrete error is *RefusedError.
	ErrConnectionFailed = errors.New("rfb: server refused the connection")
	// ErrProtocol: the server sent something this client does not
	// understand.
	ErrProtocol = errors.New("rfb: protocol error")
)

// AuthError is returned when the SecurityResult says the authentication
// failed. Reason is the server's text (RFB 3.8 only; empty before 3.8).
type AuthError struct {
	SecurityType uint8
	Status       uint32
	Reason       string
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("rfb: authentication failed (security type %d, status %d)", e.SecurityType, e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes errors.Is(err, ErrAuthFailed) true.
func (e *AuthError) Is(target error) bool { return target == ErrAuthFailed }

// SecurityTypesError is returned when none of the offered security types
// can be used (unknown types only, or VNC auth offered but no password set).
type SecurityTypesError struct {
	Offered []uint8
	Detail  string
}

func (e *SecurityTypesError) Error() string {
	s := fmt.Sprintf("rfb: no usable security type: server offered %v", e.Offered)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNoUsableSecurity) true.
func (e *SecurityTypesError) Is(target error) bool { return target == ErrNoUsableSecurity }

// RefusedError is returned when the server closes the handshake with a
// reason instead of offering security types.
type RefusedError struct {
	Reason string
}

func (e *RefusedError) Error() string {
	return "rfb: server refused the connection: " + e.Reason
}

// Is makes errors.Is(err, ErrConnectionFailed) true.
func (e *RefusedError) Is(target error) bool { return target == ErrConnectionFailed }

// Version is an RFB protocol version.
type Version struct {
	Major, Minor int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Supported versions.
var (
	V33 = Version{3, 3}
	V37 = Version{3, 7}
	V38 = Version{3, 8}
)

func (v Version) less(o Version) bool {
	return v.Major < o.Major || (v.Major == o.Major && v.Minor < o.Minor)
}

// Config configures a client. The zero value is usable: no password,
// shared session, highest common version, DefaultTimeout.
type Config struct {
	// Password for VNC Authentication. When empty, only security type
	// None is acceptable. When set, VNC Authentication is preferred.
	Password string
	// Exclusive asks the server to disconnect other clients
	// (ClientInit shared-flag 0). Default is shared.
	Exclusive bool
	// MaxVersion caps the negotiated version (e.g. V33 to force 3.3).
	// Zero means 3.8.
	MaxVersion Version
	// Timeout bounds each read and each write. Zero means DefaultTimeout.
	Timeout time.Duration
}

// PixelFormat is the RFB PIXEL_FORMAT structure.
type PixelFormat struct {
	BitsPerPixel, Depth       uint8
	BigEndian, TrueColour     bool
	RedMax, GreenMax, BlueMax uint16
	RedShift, GreenShift      uint8
	BlueShift                 uint8
}

// Client is an RFB client connection after a successful handshake.
type Client struct {
	conn    net.Conn
	timeout time.Duration

	// ServerVersion is what the server announced; Version is what was
	// negotiated.
	ServerVersion Version
	Version       Version
	// SecurityTypes offered by the server (for 3.3 the single type the
	// server chose) and the one used.
	SecurityTypes []uint8
	SecurityType  uint8

	Width, Height uint16
	PixelFormat   PixelFormat
	DesktopName   string
}

// Dial connects to addr ("127.0.0.1:5901") and performs the handshake.
// The context bounds the TCP connect; cfg.Timeout bounds each read/write.
func Dial(ctx context.Context, addr string, cfg Config) (*Client, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = cfg.timeout()
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rfb: dial %s: %w", addr, err)
	}
	c, err := NewClient(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient performs the RFB handshake on an open connection. On error the
// caller still owns conn and must close it.
func NewClient(conn net.Conn, cfg Config) (*Client, error) {
	c := &Client{conn: conn, timeout: cfg.timeout()}
	if err := c.handshake(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

func (cfg Config) timeout() time.Duration {
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return DefaultTimeout
}

// Conn returns the underlying connection (for addresses in tests).
func (c *Client) Conn() net.Conn { return c.conn }

// LocalAddr is the client's end of the TCP connection.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// --- handshake -------------------------------------------------------------

func (c *Client) handshake(cfg Config) error {
	// ProtocolVersion.
	var banner [12]byte
	if err := c.read(banner[:]); err != nil {
		return fmt.Errorf("rfb: reading server version: %w", err)
	}
	sv, err := ParseVersion(banner[:])
	if err != nil {
		return err
	}
	c.ServerVersion = sv
	c.Version = negotiate(sv, cfg.MaxVersion)
	if err := c.write([]byte(fmt.Sprintf("RFB %03d.%03d\n", c.Version.Major, c.Version.Minor))); err != nil {
		return fmt.Errorf("rfb: sending client version: %w", err)
	}

	// Security.
	if c.Version == V33 {
		t, err := c.readU32()
		if err != nil {
			return fmt.Errorf("rfb: reading security type: %w", err)
		}
		if t == 0 {
			return c.refused()
		}
		if t > 255 {
			return fmt.Errorf("%w: security type %d", ErrProtocol, t)
		}
		c.SecurityTypes = []uint8{uint8(t)}
		st, detail := choose(c.SecurityTypes, cfg.Password)
		if st == SecInvalid {
			return &SecurityTypesError{Offered: c.SecurityTypes, Detail: detail}
		}
		c.SecurityType = st
	} else {
		n, err := c.readU8()
		if err != nil {
			return fmt.Errorf("rfb: reading security types: %w", err)
		}
		if n == 0 {
			return c.refused()
		}
		types := make([]byte, n)
		if err := c.read(types); err != nil {
			return fmt.Errorf("rfb: reading security types: %w", err)
		}
		c.SecurityTypes = types
		st, detail := choose(types, cfg.Password)
		if st == SecInvalid {
			return &SecurityTypesError{Offered: types, Detail: detail}
		}
		c.SecurityType = st
		if err := c.write([]byte{st}); err != nil {
			return fmt.Errorf("rfb: sending security type: %w", err)
		}
	}

	if c.SecurityType == SecVNCAuth {
		var challenge [16]byte
		if err := c.read(challenge[:]); err != nil {
			return fmt.Errorf("rfb: reading VNC auth challenge: %w", err)
		}
		resp, err := VNCAuthResponse(cfg.Password, challenge[:])
		if err != nil {
			return err
		}
		if err := c.write(resp); err != nil {
			return fmt.Errorf("rfb: sending VNC auth response: %w", err)
		}
	}

	// SecurityResult: always in 3.8; only after VNC auth in 3.3 and 3.7.
	if c.SecurityType != SecNone || c.Version == V38 {
		status, err := c.readU32()
		if err != nil {
			if c.SecurityType == SecVNCAuth && isEOF(err) {
				// Some servers just hang up on a bad password.
				return &AuthError{SecurityType: c.SecurityType, Status: 1, Reason: "connection closed by server"}
			}
			return fmt.Errorf("rfb: reading security result: %w", err)
		}
		if status != 0 {
			ae := &AuthError{SecurityType: c.SecurityType, Status: status}
			if c.Version == V38 {
				if reason, err := c.readString(); err == nil {
					ae.Reason = reason
				}
			}
			return ae
		}
	}

	// ClientInit / ServerInit.
	shared := byte(1)
	if cfg.Exclusive {
		shared = 0
	}
	if err := c.write([]byte{shared}); err != nil {
		return fmt.Errorf("rfb: sending ClientInit: %w", err)
	}
	var si [20]byte
	if err := c.read(si[:]); err != nil {
		return fmt.Errorf("rfb: reading ServerInit: %w", err)
	}
	c.Width = binary.BigEndian.Uint16(si[0:])
	c.Height = binary.BigEndian.Uint16(si[2:])
	c.PixelFormat = parsePixelFormat(si[4:20])
	name, err := c.readString()
	if err != nil {
		return fmt.Errorf("rfb: reading desktop name: %w", err)
	}
	c.DesktopName = name
	if c.PixelFormat.BitsPerPixel != 8 && c.PixelFormat.BitsPerPixel != 16 && c.PixelFormat.BitsPerPixel != 32 {
		return fmt.Errorf("%w: bits per pixel %d", ErrProtocol, c.PixelFormat.BitsPerPixel)
	}
	return nil
}

// ParseVersion parses a 12-byte "RFB xxx.yyy\n" banner.
func ParseVersion(b []byte) (Version, error) {
	s := string(b)
	if len(b) != 12 || !strings.HasPrefix(s, "RFB ") || s[7] != '.' || s[11] != '\n' {
		return Version{}, fmt.Errorf("%w: bad version banner %q", ErrProtocol, s)
	}
	maj, err1 := strconv.Atoi(s[4:7])
	minor, err2 := strconv.Atoi(s[8:11])
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("%w: bad version banner %q", ErrProtocol, s)
	}
	if maj < 3 {
		return Version{}, fmt.Errorf("%w: unsupported server version %d.%d", ErrProtocol, maj, minor)
	}
	return Version{maj, minor}, nil
}

// negotiate picks the version to answer with: the highest of 3.3/3.7/3.8
// not above the server's and not above max. Per the RFB spec, 3.4–3.6
// (UltraVNC, etc.) are handled as 3.3, and anything above 3.8 as 3.8.
func negotiate(server, max Version) Version {
	v := V33
	switch {
	case !server.less(V38):
		v = V38
	case !server.less(V37):
		v = V37
	}
	if max != (Version{}) && max.less(v) {
		switch {
		case !max.less(V38):
			v = V38
		case !max.less(V37):
			v = V37
		default:
			v = V33
		}
	}
	return v
}

// choose returns the security type to use, or SecInvalid with a reason.
func choose(offered []uint8, password string) (uint8, string) {
	hasNone, hasVNC := false, false
	for _, t := range offered {
		switch t {
		case SecNone:
			hasNone = true
		case SecVNCAuth:
			hasVNC = true
		}
	}
	switch {
	case hasVNC && password != "":
		return SecVNCAuth, ""
	case hasNone:
		return SecNone, ""
	case hasVNC:
		return SecInvalid, "server requires VNC authentication and no password is configured"
	default:
		return SecInvalid, "only None (1) and VNC Authentication (2) are supported"
	}
}

// refused reads the reason string after "zero security types".
func (c *Client) refused() error {
	reason, err := c.readString()
	if err != nil {
		reason = "(no reason: " + err.Error() + ")"
	}
	return &RefusedError{Reason: reason}
}

// VNCAuthResponse computes the 16-byte response to a VNC Authentication
// challenge: DES-ECB with the password (first 8 bytes, zero padded) as key,
// each key byte bit-reversed, as every VNC implementation does.
func VNCAuthResponse(password string, challenge []byte) ([]byte, error) {
	if len(challenge) != 16 {
		return nil, fmt.Errorf("rfb: VNC auth challenge must be 16 bytes, got %d", len(challenge))
	}
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = reverseBits(b)
	}
	block, err := des.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("rfb: DES: %w", err)
	}
	resp := make([]byte, 16)
	block.Encrypt(resp[0:8], challenge[0:8])
	block.Encrypt(resp[8:16], challenge[8:16])
	return resp, nil
}

func reverseBits(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

func parsePixelFormat(b []byte) PixelFormat {
	return PixelFormat{
		BitsPerPixel: b[0],
		Depth:        b[1],
		BigEndian:    b[2] != 0,
		TrueColour:   b[3] != 0,
		RedMax:       binary.BigEndian.Uint16(b[4:]),
		GreenMax:     binary.BigEndian.Uint16(b[6:]),
		BlueMax:      binary.BigEndian.Uint16(b[8:]),
		RedShift:     b[10],
		GreenShift:   b[11],
		BlueShift:    b[12],
	}
}

// --- client messages -------------------------------------------------------

// SetEncodings announces the encodings the client accepts. The lab only
// decodes Raw (0); servers fall back to Raw when nothing else is listed.
func (c *Client) SetEncodings(encodings ...int32) error {
	msg := make([]byte, 4+4*len(encodings))
	msg[0] = msgSetEncodings
	binary.BigEndian.PutUint16(msg[2:], uint16(len(encodings)))
	for i, e := range encodings {
		binary.BigEndian.PutUint32(msg[4+4*i:], uint32(e))
	}
	return c.write(msg)
}

// KeyEvent presses (down=true) or releases an X11 keysym.
func (c *Client) KeyEvent(keysym uint32, down bool) error {
	msg := make([]byte, 8)
	msg[0] = msgKeyEvent
	if down {
		msg[1] = 1
	}
	binary.BigEndian.PutUint32(msg[4:], keysym)
	return c.write(msg)
}

// PointerEvent moves the pointer to (x, y) with the given button mask
// (bit 0 = left, 1 = middle, 2 = right).
func (c *Client) PointerEvent(buttons uint8, x, y uint16) error {
	msg := make([]byte, 6)
	msg[0] = msgPointerEvent
	msg[1] = buttons
	binary.BigEndian.PutUint16(msg[2:], x)
	binary.BigEndian.PutUint16(msg[4:], y)
	return c.write(msg)
}

// FramebufferUpdateRequest asks for (part of) the screen.
func (c *Client) FramebufferUpdateRequest(incremental bool, x, y, w, h uint16) error {
	msg := make([]byte, 10)
	msg[0] = msgFramebufferUpdateRequest
	if incremental {
		msg[1] = 1
	}
	binary.BigEndian.PutUint16(msg[2:], x)
	binary.BigEndian.PutUint16(msg[4:], y)
	binary.BigEndian.PutUint16(msg[6:], w)
	binary.BigEndian.PutUint16(msg[8:], h)
	return c.write(msg)
}

// --- server messages -------------------------------------------------------

// Rect is one rectangle of a FramebufferUpdate.
type Rect struct {
	X, Y, W, H uint16
	Encoding   int32
	// Bytes is the size of the rectangle's payload that was read.
	Bytes int
}

// Message is a summary of one server-to-client message.
type Message struct {
	Type  uint8
	Rects []Rect // FramebufferUpdate
	Text  string // ServerCutText
}

// ReadMessage reads one server message. FramebufferUpdate rectangles must be
// Raw (0), CopyRect (1) or the DesktopSize pseudo-encoding (-223): ask for
// those only with SetEncodings (or none, which means Raw).
func (c *Client) ReadMessage() (Message, error) {
	t, err := c.readU8()
	if err != nil {
		return Message{}, err
	}
	m := Message{Type: t}
	switch t {
	case MsgFramebufferUpdate:
		var hdr [3]byte // padding, number-of-rectangles
		if err := c.read(hdr[:]); err != nil {
			return m, err
		}
		n := int(binary.BigEndian.Uint16(hdr[1:]))
		bpp := int(c.PixelFormat.BitsPerPixel) / 8
		for i := 0; i < n; i++ {
			var rh [12]byte
			if err := c.read(rh[:]); err != nil {
				return m, err
			}
			r := Rect{
				X:        binary.BigEndian.Uint16(rh[0:]),
				Y:        binary.BigEndian.Uint16(rh[2:]),
				W:        binary.BigEndian.Uint16(rh[4:]),
				H:        binary.BigEndian.Uint16(rh[6:]),
				Encoding: int32(binary.BigEndian.Uint32(rh[8:])),
			}
			switch r.Encoding {
			case 0: // Raw
				r.Bytes = int(r.W) * int(r.H) * bpp
			case 1: // CopyRect
				r.Bytes = 4
			case -223: // DesktopSize
				c.Width, c.Height = r.W, r.H
			default:
				return m, fmt.Errorf("%w: unsupported encoding %d", ErrProtocol, r.Encoding)
			}
			if err := c.discard(r.Bytes); err != nil {
				return m, err
			}
			m.Rects = append(m.Rects, r)
		}
	case MsgSetColourMapEntries:
		var hdr [5]byte // padding, first-colour, number-of-colours
		if err := c.read(hdr[:]); err != nil {
			return m, err
		}
		if err := c.discard(6 * int(binary.BigEndian.Uint16(hdr[3:]))); err != nil {
			return m, err
		}
	case MsgBell:
	case MsgServerCutText:
		var pad [3]byte
		if err := c.read(pad[:]); err != nil {
			return m, err
		}
		s, err := c.readString()
		if err != nil {
			return m, err
		}
		m.Text = s
	default:
		return m, fmt.Errorf("%w: unknown server message type %d", ErrProtocol, t)
	}
	return m, nil
}

// WaitFramebufferUpdate reads server messages until a FramebufferUpdate
// arrives or d passes.
func (c *Client) WaitFramebufferUpdate(d time.Duration) (Message, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := c.ReadMessage()
		if err != nil {
			return m, err
		}
		if m.Type == MsgFramebufferUpdate {
			return m, nil
		}
	}
	return Message{}, fmt.Errorf("rfb: no framebuffer update within %v", d)
}

// --- I/O helpers -----------------------------------------------------------

func (c *Client) read(b []byte) error {
	if err := c.conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return err
	}
	_, err := io.ReadFull(c.conn, b)
	return err
}

func (c *Client) write(b []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return err
	}
	_, err := c.conn.Write(b)
	return err
}

func (c *Client) readU8() (uint8, error) {
	var b [1]byte
	err := c.read(b[:])
	return b[0], err
}

func (c *Client) readU32() (uint32, error) {
	var b [4]byte
	err := c.read(b[:])
	return binary.BigEndian.Uint32(b[:]), err
}

func (c *Client) readString() (string, error) {
	n, err := c.readU32()
	if err != nil {
		return "", err
	}
	if n > maxStringLen {
		return "", fmt.Errorf("%w: string of %d bytes", ErrProtocol, n)
	}
	b := make([]byte, n)
	if err := c.read(b); err != nil {
		return "", err
	}
	return string(b), nil
}

func (c *Client) discard(n int) error {
	var buf [32 << 10]byte
	for n > 0 {
		k := min(n, len(buf))
		if err := c.read(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}
