// Package decode turns link-layer frames into the few transport facts the
// flow tracker needs: common frames on a fast path that reads the headers in
// place (fast.go), everything else with gopacket's zero-allocation
// DecodingLayerParser.
//
// Supported link types: Ethernet (with 802.1Q / QinQ tags), Linux cooked
// capture v1 and v2 (SLL, SLL2), BSD NULL and OpenBSD LOOP, raw IP (IPv4 and
// IPv6, told apart by the version nibble), IPv4 and IPv6 link types. Network
// layers: IPv4 and IPv6 (hop-by-hop options skipped). Transports: TCP, UDP.
package decode

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link types (pcap LINKTYPE_* values; DLT_RAW 12 and 14 appear in old files).
const (
	LinkNull      = 0
	LinkEthernet  = 1
	LinkRawOld    = 12
	LinkRawOld2   = 14
	LinkRaw       = 101
	LinkLoop      = 108
	LinkLinuxSLL  = 113
	LinkIPv4      = 228
	LinkIPv6      = 229
	LinkLinuxSLL2 = 276
)

// Transport protocol numbers.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// TCP flag bits as they appear in byte 13 of the TCP header.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagPSH = 0x08
	FlagACK = 0x10
)

// Packet is the decoded view of one frame. Payload aliases the frame buffer.
type Packet struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8 // ProtoTCP or ProtoUDP
	Flags            uint8 // TCP flags
	Seq, Ack         uint32
	Payload          []byte // captured transport payload
	// PayloadLen is the payload length the IP header announces: larger than
	// len(Payload) when the capture cut the packet (snap length).
	PayloadLen int
	Fragment   bool // a non-first IP fragment (no transport header)
}

// Errors returned for frames that are not TCP/UDP over IP. They are not
// failures of the capture: callers count them and go on.
var (
	ErrUnsupportedLink = errors.New("unsupported link type")
	ErrNotTransport    = errors.New("not a TCP or UDP packet")
	ErrFragment        = errors.New("non-first IP fragment")
)

// Decoder decodes frames. It is not safe for concurrent use; each goroutine
// needs its own.
type Decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	lo    layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP
	udp   layers.UDP

	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

// NewDecoder returns a decoder for every supported link type.
func NewDecoder() *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 8), parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first)
		// The sparse container indexes decoders by layer type: the fastest
		// of gopacket's containers (the default is a map).
		var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
		for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.lo, &d.ip4, &d.ip6, &d.tcp, &d.udp} {
			dlc = dlc.Put(l)
		}
		p.SetDecodingLayerContainer(dlc)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	return d
}

// Supported reports whether the link type can be decoded.
func Supported(linkType uint32) bool {
	switch linkType {
	case LinkNull, LinkEthernet, LinkRawOld, LinkRawOld2, LinkRaw, LinkLoop, LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

func firstLayer(linkType uint32, data []byte) (gopacket.LayerType, bool) {
	switch linkType {
	case LinkEthernet:
		return layers.LayerTypeEthernet, true
	case LinkNull, LinkLoop:
		return layers.LayerTypeLoopback, true
	case LinkLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case LinkLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case LinkIPv4:
		return layers.LayerTypeIPv4, true
	case LinkIPv6:
		return layers.LayerTypeIPv6, true
	case LinkRaw, LinkRawOld, LinkRawOld2:
		if len(data) == 0 {
			return 0, false
		}
		if data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return 0, false
}

// Decode fills p from one frame. It returns nil for TCP and UDP packets, one
// of the sentinel errors above for other traffic, or a decoding error for a
// malformed frame. It never panics on hostile input. p is only meaningful
// when the result is nil.
func (d *Decoder) Decode(linkType uint32, data []byte, p *Packet) error {
	if err, ok := fast(linkType, data, p); ok {
		return err
	}
	return d.decodeGopacket(linkType, data, p)
}

// decodeGopacket decodes with gopacket's DecodingLayerParser: every frame
// the fast path does not take.
func (d *Decoder) decodeGopacket(linkType uint32, data []byte, p *Packet) error {
	first, ok := firstLayer(linkType, data)
	if !ok {
		return ErrUnsupportedLink
	}
	parser := d.parsers[first]
	d.decoded = d.decoded[:0]
	err := parser.DecodeLayers(data, &d.decoded)
	var ipLayer gopacket.LayerType
	var transport gopacket.LayerType
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			if ipLayer == 0 { // the outer header decides (tunnels are not followed)
				ipLayer = lt
			}
		case layers.LayerTypeTCP, layers.LayerTypeUDP:
			transport = lt
		}
	}
	if ipLayer == 0 {
		if err != nil {
			return err
		}
		return ErrNotTransport
	}
	*p = Packet{}
	announced := -1 // transport payload length from the IP header
	switch ipLayer {
	case layers.LayerTypeIPv4:
		p.Src, _ = netip.AddrFromSlice(d.ip4.SrcIP)
		p.Dst, _ = netip.AddrFromSlice(d.ip4.DstIP)
		p.Src, p.Dst = p.Src.Unmap(), p.Dst.Unmap()
		if d.ip4.FragOffset != 0 {
			p.Fragment = true
			return ErrFragment
		}
		announced = int(d.ip4.Length) - int(d.ip4.IHL)*4
	case layers.LayerTypeIPv6:
		p.Src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
		p.Dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
		if d.ip6.Length != 0 {
			announced = int(d.ip6.Length)
			if d.ip6.HopByHop != nil {
				announced -= len(d.ip6.HopByHop.Contents)
			}
		}
	}
	switch transport {
	case layers.LayerTypeTCP:
		t := &d.tcp
		p.Proto = ProtoTCP
		p.SrcPort, p.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
		p.Seq, p.Ack = t.Seq, t.Ack
		var f uint8
		if t.FIN {
			f |= FlagFIN
		}
		if t.SYN {
			f |= FlagSYN
		}
		if t.RST {
			f |= FlagRST
		}
		if t.PSH {
			f |= FlagPSH
		}
		if t.ACK {
			f |= FlagACK
		}
		p.Flags = f
		p.Payload = t.Payload
		if announced >= 0 {
			p.PayloadLen = announced - int(t.DataOffset)*4
		}
	case layers.LayerTypeUDP:
		u := &d.udp
		p.Proto = ProtoUDP
		p.SrcPort, p.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
		p.Payload = u.Payload
		if u.Length >= 8 {
			p.PayloadLen = int(u.Length) - 8
		}
	default:
		if err != nil {
			return err
		}
		return ErrNotTransport
	}
	finishPayload(p)
	return nil
}
