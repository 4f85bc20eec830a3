package wire

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// rfbState follows the RFB handshake (RFC 6143 §7.1–7.3) on the server's
// byte stream and, after ServerInit, counts the client's messages.
type rfbState struct {
	info        RFBInfo
	major       int
	minor       int
	secTypeSeen bool   // the server's security type(s) message was seen
	offered     []byte // RFB 3.7+: the security types the server offered
	chosen      bool   // the client's choice among them was seen
	challenge   bool   // a 16-byte VNC-auth challenge was seen
	serverInit  bool
	encrypted   bool // RFB 004.x (RealVNC): everything after the banners is encrypted
	bannerRef   PacketRef
	resultRef   PacketRef
	initRef     PacketRef
	markedSrv   uint64
	marked      bool

	// client message parser (after ServerInit)
	desync bool
	skip   int      // bytes of the current message still to skip
	hdr    [12]byte // partial message header
	hdrN   int
}

func parseRFBVersion(b []byte) (major, minor int, ok bool) {
	maj, err1 := strconv.Atoi(string(b[4:7]))
	mn, err2 := strconv.Atoi(string(b[8:11]))
	return maj, mn, err1 == nil && err2 == nil
}

func (a *Analyzer) rfbData(f *flowState, d int, b []byte, pi *PacketInfo) {
	s := f.rfb
	if s == nil || len(b) == 0 {
		return
	}
	if len(b) == 12 && string(b[:4]) == "RFB " && b[11] == '\n' {
		v := string(b[4:11])
		if d == 1 {
			s.info.ServerVersion = v
			if maj, mn, ok := parseRFBVersion(b); ok {
				s.major, s.minor = maj, mn
			}
			s.bannerRef = a.ref(pi, "RFB server banner "+v)
		} else {
			s.info.ClientVersion = v
			// The client answers with the version to use: at most the
			// server's (a 3.8 server talking to a 3.3 viewer speaks 3.3).
			if maj, mn, ok := parseRFBVersion(b); ok && (s.major == 0 || maj < s.major || maj == s.major && mn < s.minor) {
				s.major, s.minor = maj, mn
			}
		}
		switch {
		case s.major >= 4:
			s.encrypted = true
			f.refineTool(ToolRealVNC, &s.bannerRef)
		case s.major == 3 && s.minor == 889:
			f.refineTool(ToolAppleARD, &s.bannerRef)
		}
		if s.info.ServerVersion != "" && s.info.ClientVersion != "" && !s.marked {
			s.marked, s.markedSrv = true, f.volume(1)
		}
		return
	}
	if s.encrypted {
		return
	}
	if d == 1 {
		a.rfbServer(f, s, b, pi)
		return
	}
	// RFB 3.7+: the client answers the server's list with the one type it
	// picks (a byte); the auth method is that type, not the first offered.
	if len(s.offered) > 0 && !s.chosen && s.info.Auth == "" && !s.serverInit {
		s.chosen = true
		if bytes.IndexByte(s.offered, b[0]) >= 0 {
			s.info.SecurityType = int(b[0])
		}
		return
	}
	if s.serverInit {
		s.clientMessages(b)
	}
}

func (a *Analyzer) rfbServer(f *flowState, s *rfbState, b []byte, pi *PacketInfo) {
	if s.serverInit {
		return
	}
	if !s.secTypeSeen {
		s.secTypeSeen = true
		if s.major == 3 && s.minor < 7 {
			// 3.3: u32 security type chosen by the server; 0 = failure + reason.
			if len(b) >= 4 {
				s.info.SecurityType = int(binary.BigEndian.Uint32(b))
				if s.info.SecurityType == 0 {
					s.fail(a, b[4:], pi)
				}
			}
			return
		}
		// 3.7+: count, then that many types; count 0 = failure + reason.
		if b[0] == 0 {
			s.fail(a, b[1:], pi)
			return
		}
		if int(b[0]) < len(b) {
			s.info.SecurityType = int(b[1])
			s.offered = append([]byte(nil), b[1:1+int(b[0])]...)
		}
		return
	}
	if s.info.Auth == "" {
		switch {
		case len(b) == 16 && !s.challenge:
			s.challenge = true
			return
		case len(b) >= 4 && binary.BigEndian.Uint32(b) == 0 && (len(b) == 4 || s.isServerInit(b[4:])):
			s.info.Auth = "ok"
			s.resultRef = a.ref(pi, "RFB SecurityResult OK")
			if len(b) > 4 {
				s.serverInitAt(a, b[4:], pi)
			}
			return
		case len(b) >= 4 && (binary.BigEndian.Uint32(b) == 1 || binary.BigEndian.Uint32(b) == 2):
			s.fail(a, b[4:], pi)
			return
		}
	}
	if s.isServerInit(b) {
		s.serverInitAt(a, b, pi)
	}
}

func (s *rfbState) fail(a *Analyzer, reason []byte, pi *PacketInfo) {
	s.info.Auth = "failed"
	if len(reason) >= 4 {
		n := int(binary.BigEndian.Uint32(reason))
		if n > 0 && 4+n <= len(reason) {
			s.info.FailReason = sanitize(reason[4 : 4+n])
		}
	}
	s.resultRef = a.ref(pi, "RFB security failure "+s.info.FailReason)
}

// isServerInit checks the ServerInit layout: width, height, a plausible
// pixel format and a name length that matches the message. The big-endian
// and true-colour flags are any non-zero value for true (RFC 6143 7.4;
// x11vnc sends 0xff), so they are not checked.
func (s *rfbState) isServerInit(b []byte) bool {
	if len(b) < 24 {
		return false
	}
	w, h := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	bpp := b[4]
	n := binary.BigEndian.Uint32(b[20:])
	return w > 0 && h > 0 && w <= 16384 && h <= 16384 && (bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32) &&
		b[5] > 0 && b[5] <= bpp && n <= 4096 && 24+int(n) <= len(b)
}

func (s *rfbState) serverInitAt(a *Analyzer, b []byte, pi *PacketInfo) {
	s.serverInit = true
	s.info.Width = binary.BigEndian.Uint16(b)
	s.info.Height = binary.BigEndian.Uint16(b[2:])
	n := int(binary.BigEndian.Uint32(b[20:]))
	s.info.DesktopName = sanitize(b[24 : 24+n])
	s.initRef = a.ref(pi, "RFB ServerInit "+strconv.Itoa(int(s.info.Width))+"x"+strconv.Itoa(int(s.info.Height))+
		" \""+s.info.DesktopName+"\"")
}

// rfbClientLen returns the length of a client message from its header (RFC
// 6143 §7.5), or -1 when more header bytes are needed, or -2 when unknown.
func rfbClientLen(h []byte) int {
	switch h[0] {
	case 0: // SetPixelFormat
		return 20
	case 2: // SetEncodings
		if len(h) < 4 {
			return -1
		}
		return 4 + 4*int(binary.BigEndian.Uint16(h[2:]))
	case 3: // FramebufferUpdateRequest
		return 10
	case 4: // KeyEvent
		return 8
	case 5: // PointerEvent
		return 6
	case 6: // ClientCutText
		if len(h) < 8 {
			return -1
		}
		return 8 + int(binary.BigEndian.Uint32(h[4:])&0x7fffffff)
	case 150: // EnableContinuousUpdates
		return 10
	case 248: // ClientFence
		if len(h) < 9 {
			return -1
		}
		return 9 + int(h[8])
	}
	return -2
}

// clientMessages walks the client→server stream after ServerInit.
func (s *rfbState) clientMessages(b []byte) {
	for len(b) > 0 && !s.desync {
		if s.skip > 0 {
			n := min(s.skip, len(b))
			s.skip -= n
			b = b[n:]
			continue
		}
		s.hdr[s.hdrN] = b[0]
		s.hdrN++
		b = b[1:]
		l := rfbClientLen(s.hdr[:s.hdrN])
		switch {
		case l == -2 || l >= 0 && l < s.hdrN:
			s.desync = true
			return
		case l == -1:
			if s.hdrN == len(s.hdr) {
				s.desync = true
				return
			}
			continue
		}
		switch s.hdr[0] {
		case 3:
			s.info.UpdateRequests++
		case 4:
			s.info.KeyEvents++
		case 5:
			s.info.PointerEvents++
		}
		s.skip = l - s.hdrN
		s.hdrN = 0
	}
}
