package wire

import (
	"encoding/binary"
	"strings"
)

// tlsState reassembles the cleartext TLS handshake of both directions (up
// to TLSBufferMax each) and extracts SNI, ALPN and certificate subjects.
type tlsState struct {
	raw  [2][]byte // unparsed record bytes
	hs   [2][]byte // handshake message bytes gathered from records
	done [2]bool   // ChangeCipherSpec / application data seen, or gave up
	info TLSInfo
}

func (a *Analyzer) tlsData(f *flowState, d int, b []byte, pi *PacketInfo) {
	s := f.tls
	if s == nil || s.done[d] || len(b) == 0 {
		return
	}
	if len(s.raw[d])+len(b) > TLSBufferMax {
		s.done[d] = true
		s.raw[d], s.hs[d] = nil, nil
		return
	}
	s.raw[d] = append(s.raw[d], b...)
	r := s.raw[d]
	for len(r) >= 5 && !s.done[d] {
		typ := r[0]
		l := int(binary.BigEndian.Uint16(r[3:]))
		if r[1] != 3 || l > 18432 {
			s.done[d] = true // not TLS (any more)
			break
		}
		if len(r) < 5+l {
			break
		}
		frag := r[5 : 5+l]
		r = r[5+l:]
		switch typ {
		case 22: // handshake
			s.hs[d] = append(s.hs[d], frag...)
			a.tlsHandshake(f, d, pi)
		case 20, 23: // ChangeCipherSpec, application data: the rest is encrypted
			s.done[d] = true
		}
	}
	if s.done[d] {
		s.raw[d], s.hs[d] = nil, nil
		if s.done[1-d] {
			s.info.Finished = true
		}
		return
	}
	// keep the unparsed tail
	s.raw[d] = append(s.raw[d][:0], r...)
}

func (a *Analyzer) tlsHandshake(f *flowState, d int, pi *PacketInfo) {
	s := f.tls
	h := s.hs[d]
	for len(h) >= 4 {
		typ := h[0]
		l := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		if len(h) < 4+l {
			break
		}
		body := h[4 : 4+l]
		h = h[4+l:]
		switch typ {
		case 1:
			a.clientHello(f, body, pi)
		case 2:
			serverHello(s, body)
		case 11:
			a.certificate(f, d, body, pi)
		}
	}
	s.hs[d] = append(s.hs[d][:0], h...)
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0301:
		return "1.0"
	case 0x0302:
		return "1.1"
	case 0x0303:
		return "1.2"
	case 0x0304:
		return "1.3"
	case 0x0300:
		return "SSL3"
	}
	return ""
}

func (a *Analyzer) clientHello(f *flowState, b []byte, pi *PacketInfo) {
	s := f.tls
	if len(b) < 38 {
		return
	}
	p := 34
	p += 1 + int(b[p]) // session id
	if p+2 > len(b) {
		return
	}
	p += 2 + int(binary.BigEndian.Uint16(b[p:])) // cipher suites
	if p+1 > len(b) {
		return
	}
	p += 1 + int(b[p]) // compression
	if p+2 > len(b) {
		return
	}
	end := p + 2 + int(binary.BigEndian.Uint16(b[p:]))
	p += 2
	if end > len(b) {
		end = len(b)
	}
	for p+4 <= end {
		typ := binary.BigEndian.Uint16(b[p:])
		l := int(binary.BigEndian.Uint16(b[p+2:]))
		p += 4
		if p+l > end {
			return
		}
		ext := b[p : p+l]
		p += l
		switch typ {
		case 0: // server_name
			if len(ext) >= 5 && ext[2] == 0 {
				n := int(binary.BigEndian.Uint16(ext[3:]))
				if 5+n <= len(ext) {
					s.info.SNI = strings.ToLower(string(ext[5 : 5+n]))
				}
			}
		case 16: // ALPN
			if len(ext) >= 2 {
				list := ext[2:]
				for len(list) > 0 && len(s.info.ALPN) < 8 {
					n := int(list[0])
					if 1+n > len(list) {
						break
					}
					s.info.ALPN = append(s.info.ALPN, string(list[1:1+n]))
					list = list[1+n:]
				}
			}
		}
	}
	ref := a.ref(pi, "")
	for _, alpn := range s.info.ALPN {
		if strings.HasPrefix(alpn, "anydesk/") {
			ref.Reason = "TLS ALPN " + alpn
			f.setTool(ToolAnyDesk, ByProtocol, "", &ref)
		}
	}
	if s.info.SNI != "" {
		if tool := a.matchDomain(s.info.SNI); tool != "" {
			ref.Reason = "TLS SNI " + s.info.SNI
			f.setTool(tool, BySNI, s.info.SNI, &ref)
			a.addName(tool, s.info.SNI, "sni", nil, f.Client.IP, ref)
		}
	}
}

func serverHello(s *tlsState, b []byte) {
	if len(b) < 2 {
		return
	}
	s.info.Version = tlsVersion(binary.BigEndian.Uint16(b))
	// supported_versions (43) names TLS 1.3, whose certificates are encrypted.
	if len(b) < 35 {
		return
	}
	p := 34
	p += 1 + int(b[p])
	p += 3 // cipher suite, compression
	if p+2 > len(b) {
		return
	}
	end := min(len(b), p+2+int(binary.BigEndian.Uint16(b[p:])))
	p += 2
	for p+4 <= end {
		typ := binary.BigEndian.Uint16(b[p:])
		l := int(binary.BigEndian.Uint16(b[p+2:]))
		p += 4
		if p+l > end {
			return
		}
		if typ == 43 && l == 2 {
			s.info.Version = tlsVersion(binary.BigEndian.Uint16(b[p:]))
		}
		p += l
	}
}

// certificate reads the leaf certificate's subject and issuer.
func (a *Analyzer) certificate(f *flowState, d int, b []byte, pi *PacketInfo) {
	s := f.tls
	if len(b) < 6 {
		return
	}
	l := int(b[3])<<16 | int(b[4])<<8 | int(b[5])
	if 6+l > len(b) {
		return
	}
	subject, issuer := certNames(b[6 : 6+l])
	if d == 0 {
		s.info.ClientCert = subject
	} else {
		s.info.ServerCert, s.info.ServerCA = subject, issuer
	}
	ref := a.ref(pi, "")
	side := "server"
	if d == 0 {
		side = "client"
	}
	switch {
	case strings.Contains(subject, "CN=AnyDesk Client"), strings.Contains(subject, "philandro"),
		strings.Contains(subject, "CN=AnyNet Relay"), strings.Contains(issuer, "AnyNet Root CA"):
		ref.Reason = "TLS " + side + " certificate " + subject
		f.setTool(ToolAnyDesk, ByProtocol, "", &ref)
	case strings.Contains(subject, "O=LogMeIn"):
		ref.Reason = "TLS " + side + " certificate " + subject
		f.setTool("logmein", ByProtocol, "", &ref)
	}
}

// certNames extracts subject and issuer of a DER certificate as
// "C=DE, O=…, CN=…" strings. Malformed input yields empty strings.
func certNames(der []byte) (subject, issuer string) {
	cert, _, ok := derNext(der, 0x30)
	if !ok {
		return "", ""
	}
	tbs, _, ok := derNext(cert, 0x30)
	if !ok {
		return "", ""
	}
	rest := tbs
	if len(rest) > 0 && rest[0] == 0xa0 { // [0] version
		_, rest, ok = derNext(rest, 0xa0)
		if !ok {
			return "", ""
		}
	}
	for _, tag := range []byte{0x02, 0x30} { // serial, signature algorithm
		if _, rest, ok = derNext(rest, tag); !ok {
			return "", ""
		}
	}
	iss, rest, ok := derNext(rest, 0x30)
	if !ok {
		return "", ""
	}
	if _, rest, ok = derNext(rest, 0x30); !ok { // validity
		return "", ""
	}
	sub, _, ok := derNext(rest, 0x30)
	if !ok {
		return "", nameString(iss)
	}
	return nameString(sub), nameString(iss)
}

// derNext reads one TLV with the expected tag; it returns the value and the
// bytes after it.
func derNext(b []byte, tag byte) (val, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	l := int(b[1])
	p := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || len(b) < 2+n {
			return nil, nil, false
		}
		l = 0
		for i := range n {
			l = l<<8 | int(b[2+i])
		}
		p += n
	}
	if p+l > len(b) {
		return nil, nil, false
	}
	return b[p : p+l], b[p+l:], true
}

var oidNames = map[string]string{
	"\x55\x04\x03": "CN", "\x55\x04\x06": "C", "\x55\x04\x0a": "O", "\x55\x04\x0b": "OU",
	"\x55\x04\x07": "L", "\x55\x04\x08": "ST",
}

// nameString renders an X.501 Name (SEQUENCE OF SET OF AttributeTypeAndValue).
func nameString(name []byte) string {
	var parts []string
	for len(name) > 0 && len(parts) < 16 {
		set, rest, ok := derNext(name, 0x31)
		if !ok {
			break
		}
		name = rest
		for len(set) > 0 {
			atv, r2, ok := derNext(set, 0x30)
			if !ok {
				break
			}
			set = r2
			oid, v, ok := derNext(atv, 0x06)
			if !ok || len(v) < 2 {
				continue
			}
			key, known := oidNames[string(oid)]
			if !known {
				continue
			}
			tag := v[0]
			val, _, ok := derNext(v, tag)
			if !ok {
				continue
			}
			parts = append(parts, key+"="+sanitize(val))
		}
	}
	return strings.Join(parts, ", ")
}

// sanitize keeps printable ASCII (names in these certificates are ASCII).
func sanitize(b []byte) string {
	var sb strings.Builder
	for _, c := range b[:min(len(b), 128)] {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('?')
		}
	}
	return sb.String()
}
