package wire

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

// Published vendor address ranges (nDPI ndpi_content_match.c.inc, quoted in
// network.md §2.1). They only give a weak attribution: a relay address can
// serve many customers.
var vendorRanges = []struct {
	tool   string
	prefix netip.Prefix
}{
	{ToolAnyDesk, netip.MustParsePrefix("51.83.238.200/29")},
	{ToolAnyDesk, netip.MustParsePrefix("51.83.238.208/29")},
	{ToolAnyDesk, netip.MustParsePrefix("51.83.238.216/30")},
	{ToolAnyDesk, netip.MustParsePrefix("51.83.238.220/31")},
	{ToolAnyDesk, netip.MustParsePrefix("51.83.239.142/31")},
	{ToolAnyDesk, netip.MustParsePrefix("51.83.239.144/31")},
	{ToolAnyDesk, netip.MustParsePrefix("239.255.102.18/32")},
	{"chrome-remote-desktop", netip.MustParsePrefix("74.125.247.128/32")},
}

// genericPorts are never used for port-only attribution: shared by too many
// services.
var genericPorts = map[uint32]bool{80: true, 443: true, 53: true, 8080: true, 8443: true, 3478: true, 5353: true, 1900: true, 5355: true}

// indexPorts records signature ports that exactly one tool claims.
func (a *Analyzer) indexPorts() {
	if a.sigs == nil {
		return
	}
	claims := map[uint32]map[string]bool{}
	for _, s := range a.sigs.Signatures {
		for _, p := range s.Network.Ports {
			hi := p.To
			if hi == 0 {
				hi = p.Port
			}
			if hi-p.Port > 64 { // wide ranges say little
				continue
			}
			proto := uint32(decode.ProtoTCP)
			if p.Proto == "udp" {
				proto = decode.ProtoUDP
			}
			for port := p.Port; port <= hi; port++ {
				if port < 1024 || genericPorts[uint32(port)] {
					continue
				}
				k := proto<<16 | uint32(port)
				if claims[k] == nil {
					claims[k] = map[string]bool{}
				}
				claims[k][s.ID] = true
			}
		}
	}
	for k, tools := range claims {
		if len(tools) == 1 {
			for t := range tools {
				a.portTools[k] = t
			}
		}
	}
}

// matchDomain returns the tool whose signature domains match name.
func (a *Analyzer) matchDomain(name string) string {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if t, ok := a.domainHit[name]; ok {
		return t
	}
	tool := ""
	if a.sigs != nil {
		for _, s := range a.sigs.Signatures {
			if len(s.MatchDomain(name)) > 0 {
				tool = s.ID
				break
			}
		}
	}
	if len(a.domainHit) < MaxNames {
		a.domainHit[name] = tool
	}
	return tool
}

// addName records a name hit (deduplicated by tool and name).
func (a *Analyzer) addName(tool, name, source string, addrs []netip.Addr, client netip.Addr, ref PacketRef) {
	k := tool + "\x00" + name + "\x00" + source
	if i, ok := a.nameIdx[k]; ok {
		h := &a.rep.Names[i]
		for _, ad := range addrs {
			if len(h.Addrs) < 16 && !containsAddr(h.Addrs, ad) {
				h.Addrs = append(h.Addrs, ad)
			}
		}
		return
	}
	if len(a.rep.Names) >= MaxNames {
		return
	}
	a.nameIdx[k] = len(a.rep.Names)
	a.rep.Names = append(a.rep.Names, NameHit{Tool: tool, Name: name, Source: source, Addrs: addrs, Client: client, Ref: ref})
}

func containsAddr(l []netip.Addr, a netip.Addr) bool {
	for _, x := range l {
		if x == a {
			return true
		}
	}
	return false
}

// attributeByAddress attributes a new flow by a resolved name, a vendor
// range or a signature port.
func (a *Analyzer) attributeByAddress(f *flowState, pi *PacketInfo) {
	for _, ip := range []netip.Addr{f.Server.IP, f.Client.IP} {
		if r, ok := a.resolved[ip]; ok {
			ref := a.ref(pi, "address resolved from "+r.name)
			f.setTool(r.tool, ByDNS, r.name, &ref)
			return
		}
	}
	for _, vr := range vendorRanges {
		if vr.prefix.Contains(f.Server.IP) || vr.prefix.Contains(f.Client.IP) {
			ref := a.ref(pi, "address in published range "+vr.prefix.String())
			f.setTool(vr.tool, ByIPRange, "", &ref)
			return
		}
	}
	proto := uint32(decode.ProtoUDP)
	if f.Proto == "tcp" {
		proto = decode.ProtoTCP
	}
	if t, ok := a.portTools[proto<<16|uint32(f.Server.Port)]; ok {
		ref := a.ref(pi, "signature port "+f.Proto+"/"+itoa(int(f.Server.Port)))
		f.setTool(t, ByPort, "", &ref)
	}
}

// attributeByName is tried again when a flow closes: the DNS answer may have
// come after the flow started.
func (a *Analyzer) attributeByName(f *flowState) {
	for _, ip := range []netip.Addr{f.Server.IP, f.Client.IP} {
		if r, ok := a.resolved[ip]; ok {
			ref := f.FirstPacket
			ref.Reason = "address resolved from " + r.name
			f.setTool(r.tool, ByDNS, r.name, &ref)
			return
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// dns parses a DNS message: queries and answers whose names match a
// signature are recorded, and answered addresses attribute later flows.
func (a *Analyzer) dns(p *decode.Packet, pi *PacketInfo) {
	b := p.Payload
	if len(b) < 12 {
		return
	}
	isResponse := b[2]&0x80 != 0
	qd := int(binary.BigEndian.Uint16(b[4:]))
	an := int(binary.BigEndian.Uint16(b[6:]))
	if !isResponse && p.DstPort == 53 {
		if h := a.hosts[p.Src]; h != nil {
			h.dnsQueries++
		} else if len(a.hosts) < MaxHosts {
			a.hosts[p.Src] = &hostStat{dnsQueries: 1}
		}
	}
	off := 12
	var names []string
	var qname string
	for i := 0; i < qd && i < 4; i++ {
		name, n, ok := dnsName(b, off)
		if !ok || n+4 > len(b) {
			return
		}
		if i == 0 {
			qname = name
		}
		names = append(names, name)
		off = n + 4
	}
	var addrs []netip.Addr
	for i := 0; i < an && i < 64; i++ {
		_, n, ok := dnsName(b, off)
		if !ok || n+10 > len(b) {
			break
		}
		typ := binary.BigEndian.Uint16(b[n:])
		rdl := int(binary.BigEndian.Uint16(b[n+8:]))
		rd := n + 10
		if rd+rdl > len(b) {
			break
		}
		switch {
		case typ == 1 && rdl == 4:
			addrs = append(addrs, netip.AddrFrom4([4]byte(b[rd:rd+4])))
		case typ == 28 && rdl == 16:
			addrs = append(addrs, netip.AddrFrom16([16]byte(b[rd:rd+16])).Unmap())
		case typ == 5: // CNAME
			if cn, _, ok := dnsName(b, rd); ok && len(names) < 16 {
				names = append(names, cn)
			}
		}
		off = rd + rdl
	}
	for _, name := range names {
		tool := a.matchDomain(name)
		if tool == "" {
			continue
		}
		client := p.Src
		if isResponse {
			client = p.Dst
		}
		ref := a.ref(pi, "DNS "+map[bool]string{true: "answer", false: "query"}[isResponse]+" "+qname)
		a.addName(tool, qname, "dns", addrs, client, ref)
		for _, ad := range addrs {
			if _, ok := a.resolved[ad]; ok || len(a.resolved) < MaxNames {
				a.resolved[ad] = resolvedName{tool: tool, name: qname}
			}
		}
		return
	}
}

// dnsName reads a possibly compressed name at off; it returns the name and
// the offset after it in the message.
func dnsName(b []byte, off int) (string, int, bool) {
	var sb strings.Builder
	end := -1
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, false
		}
		l := int(b[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.ToLower(sb.String()), end, true
		case l&0xC0 == 0xC0:
			if off+1 >= len(b) || jumps > 16 {
				return "", 0, false
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3FFF)
			jumps++
		case l&0xC0 != 0:
			return "", 0, false
		default:
			if off+1+l > len(b) || sb.Len() > 255 {
				return "", 0, false
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(b[off+1 : off+1+l])
			off += 1 + l
		}
	}
}
