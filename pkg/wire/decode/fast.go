package decode

import (
	"encoding/binary"
	"net/netip"
)

// The fast path decodes the common frame shapes — Ethernet (up to two VLAN
// tags) or raw IP, IPv4 without options or fragmentation, IPv6 without
// extension headers, then TCP or UDP — by reading the header fields in
// place. It is about five times cheaper per packet than gopacket's
// DecodingLayerParser, which the 1 GB benchmark against nDPI needs.
//
// It is not a second decoder with its own opinions: every frame it is not
// sure about (options, fragments, extension headers, tunnels, other link
// types, any malformed length) is handed to gopacket, and for the frames it
// does take it yields exactly what the gopacket path yields. The test
// TestFastPathMatchesGopacket checks that on every packet of every shared
// capture, and FuzzFastPath on arbitrary frames.

const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86DD
	etherDot1Q = 0x8100
	etherQinQ  = 0x88a8
	protoICMP  = 1
	protoICMP6 = 58
)

// fast returns handled=false when the gopacket path must decide.
func fast(linkType uint32, data []byte, p *Packet) (err error, handled bool) {
	switch linkType {
	case LinkEthernet:
		if len(data) < 14 {
			return nil, false
		}
		et := binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
		for tags := 0; et == etherDot1Q || et == etherQinQ; tags++ {
			if tags == 2 || len(data) < 4 {
				return nil, false
			}
			et = binary.BigEndian.Uint16(data[2:4])
			data = data[4:]
		}
		switch et {
		case etherIPv4:
			return fastIPv4(data, p)
		case etherIPv6:
			return fastIPv6(data, p)
		}
		return nil, false
	case LinkRaw, LinkRawOld, LinkRawOld2:
		if len(data) == 0 {
			return nil, false
		}
		if data[0]>>4 == 6 {
			return fastIPv6(data, p)
		}
		return fastIPv4(data, p)
	case LinkIPv4:
		return fastIPv4(data, p)
	case LinkIPv6:
		return fastIPv6(data, p)
	}
	return nil, false
}

func fastIPv4(data []byte, p *Packet) (error, bool) {
	if len(data) < 20 {
		return nil, false
	}
	length := int(binary.BigEndian.Uint16(data[2:4]))
	// No options (IHL 5), a length that covers the header, not a fragment
	// (MF clear, offset 0).
	if data[0]&0x0F != 5 || length < 20 || binary.BigEndian.Uint16(data[6:8])&0x3FFF != 0 {
		return nil, false
	}
	proto := data[9]
	if proto == protoICMP {
		return ErrNotTransport, true
	}
	if proto != ProtoTCP && proto != ProtoUDP {
		return nil, false
	}
	if len(data) > length {
		data = data[:length] // link-layer padding
	}
	*p = Packet{
		Src: netip.AddrFrom4([4]byte(data[12:16])),
		Dst: netip.AddrFrom4([4]byte(data[16:20])),
	}
	return fastTransport(proto, data[20:], length-20, p)
}

func fastIPv6(data []byte, p *Packet) (error, bool) {
	if len(data) < 40 {
		return nil, false
	}
	length := int(binary.BigEndian.Uint16(data[4:6]))
	proto := data[6]
	if length == 0 { // jumbogram or bogus: gopacket's HopByHop rules decide
		return nil, false
	}
	if proto == protoICMP6 {
		return ErrNotTransport, true
	}
	if proto != ProtoTCP && proto != ProtoUDP {
		return nil, false
	}
	payload := data[40:]
	if len(payload) > length {
		payload = payload[:length]
	}
	*p = Packet{
		Src: netip.AddrFrom16([16]byte(data[8:24])),
		Dst: netip.AddrFrom16([16]byte(data[24:40])),
	}
	return fastTransport(proto, payload, length, p)
}

// fastTransport decodes the TCP or UDP header; announced is the transport
// length the IP header gives.
func fastTransport(proto uint8, data []byte, announced int, p *Packet) (error, bool) {
	switch proto {
	case ProtoTCP:
		if len(data) < 20 {
			return nil, false
		}
		off := int(data[12]>>4) * 4
		if off < 20 || off > len(data) {
			return nil, false
		}
		p.Proto = ProtoTCP
		p.SrcPort = binary.BigEndian.Uint16(data[0:2])
		p.DstPort = binary.BigEndian.Uint16(data[2:4])
		p.Seq = binary.BigEndian.Uint32(data[4:8])
		p.Ack = binary.BigEndian.Uint32(data[8:12])
		p.Flags = data[13] & (FlagFIN | FlagSYN | FlagRST | FlagPSH | FlagACK)
		p.Payload = data[off:]
		p.PayloadLen = announced - off
	default: // UDP
		if len(data) < 8 {
			return nil, false
		}
		ulen := int(binary.BigEndian.Uint16(data[4:6]))
		switch {
		case ulen >= 8:
			p.Payload = data[8:min(ulen, len(data))]
			p.PayloadLen = ulen - 8
		case ulen == 0:
			p.Payload = data[8:]
		default:
			return nil, false
		}
		p.Proto = ProtoUDP
		p.SrcPort = binary.BigEndian.Uint16(data[0:2])
		p.DstPort = binary.BigEndian.Uint16(data[2:4])
	}
	finishPayload(p)
	return nil, true
}

// finishPayload reconciles the announced and the captured payload length
// (shared with the gopacket path).
func finishPayload(p *Packet) {
	switch {
	case p.PayloadLen <= 0 || p.PayloadLen > 1<<20:
		// Missing or bogus length fields: trust what was captured.
		p.PayloadLen = len(p.Payload)
	case p.PayloadLen < len(p.Payload):
		// Link-layer padding after the IP packet.
		p.Payload = p.Payload[:p.PayloadLen]
	}
}
