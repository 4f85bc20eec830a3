package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// rdpState follows the RDP connection sequence (MS-RDPBCGR 1.3.1.1) as far
// as it is cleartext: X.224 CR/CC with negotiation, then — for standard RDP
// security — MCS Connect Initial / Response.
type rdpState struct {
	info      RDPInfo
	sawCR     bool
	sawCC     bool
	tls       bool // TLS/CredSSP selected: the rest is encrypted
	failed    bool
	mcsOK     bool
	done      bool
	markRef   PacketRef // the packet after which server volume counts
	resultRef PacketRef
	markedSrv uint64
	markedSet bool
}

var rdpProtocols = map[uint32]string{0: "RDP", 1: "SSL", 2: "HYBRID", 4: "RDSTLS", 8: "HYBRID_EX"}

var rdpFailures = map[uint32]string{
	1: "SSL_REQUIRED_BY_SERVER", 2: "SSL_NOT_ALLOWED_BY_SERVER", 3: "SSL_CERT_NOT_ON_SERVER",
	4: "INCONSISTENT_FLAGS", 5: "HYBRID_REQUIRED_BY_SERVER", 6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
}

func (a *Analyzer) rdpData(f *flowState, d int, b []byte, pi *PacketInfo) {
	s := f.rdp
	if s == nil || s.done || len(b) < 7 || b[0] != 3 || b[1] != 0 {
		return
	}
	switch {
	case d == 0 && b[5] == 0xE0 && !s.sawCR: // Connection Request
		s.sawCR = true
		tail := b[11:min(len(b), int(binary.BigEndian.Uint16(b[2:])))]
		if after, ok := bytes.CutPrefix(tail, []byte("Cookie: mstshash=")); ok {
			if i := bytes.Index(after, []byte("\r\n")); i >= 0 {
				s.info.Cookie = sanitize(after[:i])
				tail = after[i+2:]
			}
		} else if i := bytes.Index(tail, []byte("\r\n")); i >= 0 && bytes.HasPrefix(tail, []byte("Cookie:")) {
			tail = tail[i+2:]
		}
		if len(tail) >= 8 && tail[0] == 1 && tail[2] == 8 && tail[3] == 0 {
			s.info.Requested = binary.LittleEndian.Uint32(tail[4:])
		}
	case d == 1 && b[5] == 0xD0 && !s.sawCC: // Connection Confirm
		s.sawCC = true
		s.info.Selected = "RDP"
		if len(b) >= 19 && b[13] == 8 && b[14] == 0 {
			v := binary.LittleEndian.Uint32(b[15:])
			switch b[11] {
			case 2:
				if name, ok := rdpProtocols[v]; ok {
					s.info.Selected = name
				} else {
					s.info.Selected = fmt.Sprintf("0x%x", v)
				}
				s.tls = v != 0
			case 3:
				s.info.Selected = ""
				s.info.Failure = rdpFailures[v]
				if s.info.Failure == "" {
					s.info.Failure = fmt.Sprintf("0x%x", v)
				}
				s.failed = true
				s.done = true
				s.resultRef = a.ref(pi, "RDP_NEG_FAILURE "+s.info.Failure)
				return
			}
		}
		if s.tls {
			s.done = true
			s.markRef = a.ref(pi, "X.224 Connection Confirm selected "+s.info.Selected+"; TLS follows")
			s.markedSrv, s.markedSet = f.volume(1), true
		}
	case d == 0 && b[5] == 0xF0 && len(b) > 9 && b[7] == 0x7f && b[8] == 0x65: // MCS Connect Initial
		rdpClientCore(&s.info, b)
	case d == 1 && b[5] == 0xF0 && len(b) > 9 && b[7] == 0x7f && b[8] == 0x66: // MCS Connect Response
		p := 9
		if b[p]&0x80 != 0 {
			p += 1 + int(b[p]&0x7f)
		} else {
			p++
		}
		if p+3 <= len(b) && b[p] == 0x0a && b[p+1] == 1 {
			if b[p+2] == 0 {
				s.info.MCSResult = "success"
				s.mcsOK = true
			} else {
				s.info.MCSResult = fmt.Sprintf("failure %d", b[p+2])
				s.failed = true
			}
		}
		s.done = true
		s.resultRef = a.ref(pi, "MCS Connect Response result "+s.info.MCSResult)
		s.markRef = s.resultRef
		s.markedSrv, s.markedSet = f.volume(1), true
	}
}

// rdpClientCore reads TS_UD_CS_CORE from the MCS Connect Initial.
func rdpClientCore(info *RDPInfo, b []byte) {
	i := bytes.Index(b, []byte("Duca"))
	if i < 0 {
		return
	}
	rest := b[i+4:]
	j := bytes.Index(rest, []byte{0x01, 0xc0})
	if j < 0 || j > 16 {
		return
	}
	core := rest[j:]
	if len(core) < 56 {
		return
	}
	info.DesktopWidth = binary.LittleEndian.Uint16(core[8:])
	info.DesktopHeight = binary.LittleEndian.Uint16(core[10:])
	info.ClientBuild = binary.LittleEndian.Uint32(core[20:])
	var u []uint16
	for k := 24; k+1 < 56; k += 2 {
		c := binary.LittleEndian.Uint16(core[k:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	info.ClientName = sanitize([]byte(string(utf16.Decode(u))))
}
