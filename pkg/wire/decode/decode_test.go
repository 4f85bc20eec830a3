package decode

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func ipTCP(t testing.TB, v6 bool) []byte {
	t.Helper()
	b := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 3389, Seq: 7, Ack: 9, SYN: true, ACK: true, Window: 1}
	var err error
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: netip.MustParseAddr("2001:db8::1").AsSlice(), DstIP: netip.MustParseAddr("2001:db8::2").AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(b, opts, ip, tcp, gopacket.Payload("hello"))
	} else {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(b, opts, ip, tcp, gopacket.Payload("hello"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), b.Bytes()...)
}

func TestLinkTypes(t *testing.T) {
	v4, v6 := ipTCP(t, false), ipTCP(t, true)
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	vlan := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x4d, 0x08, 0x00}
	sll := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}
	sll2 := []byte{0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}
	null4 := []byte{2, 0, 0, 0}
	null6 := []byte{30, 0, 0, 0}
	for _, c := range []struct {
		name string
		lt   uint32
		data []byte
		v6   bool
	}{
		{"ethernet", LinkEthernet, append(eth, v4...), false},
		{"vlan", LinkEthernet, append(vlan, v4...), false},
		{"sll", LinkLinuxSLL, append(sll, v4...), false},
		{"sll2-ipv6", LinkLinuxSLL2, append(sll2, v6...), true},
		{"null", LinkNull, append(null4, v4...), false},
		{"null-ipv6-darwin", LinkNull, append(null6, v6...), true},
		{"raw4", LinkRaw, v4, false},
		{"raw6", LinkRaw, v6, true},
		{"ipv4", LinkIPv4, v4, false},
		{"ipv6", LinkIPv6, v6, true},
		{"ethernet-padding", LinkEthernet, append(append(eth, v4...), 0, 0, 0, 0), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := NewDecoder().Decode(c.lt, c.data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Proto != ProtoTCP || p.SrcPort != 40000 || p.DstPort != 3389 || p.Seq != 7 || p.Ack != 9 ||
				p.Flags != FlagSYN|FlagACK || string(p.Payload) != "hello" || p.PayloadLen != 5 || p.Src.Is6() != c.v6 {
				t.Fatalf("%+v", p)
			}
		})
	}
}

func TestNotTransport(t *testing.T) {
	var p Packet
	d := NewDecoder()
	if err := d.Decode(LinkEthernet, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1}, &p); err != ErrNotTransport {
		t.Fatalf("ARP: %v", err)
	}
	if err := d.Decode(999, []byte{1, 2, 3}, &p); err != ErrUnsupportedLink {
		t.Fatalf("link 999: %v", err)
	}
	if err := d.Decode(LinkEthernet, []byte{1, 2}, &p); err == nil {
		t.Fatal("2-byte frame decoded")
	}
}

func BenchmarkDecode(b *testing.B) {
	t := &testing.T{}
	frame := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, ipTCP(t, false)...)
	d := NewDecoder()
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Decode(LinkEthernet, frame, &p)
	}
}

// FuzzDecode: every link type, any bytes: no panic, payload inside the frame.
func FuzzDecode(f *testing.F) {
	t := &testing.T{}
	f.Add(uint32(LinkEthernet), append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, ipTCP(t, false)...))
	f.Add(uint32(LinkRaw), ipTCP(t, true))
	f.Add(uint32(LinkNull), append([]byte{2, 0, 0, 0}, ipTCP(t, false)...))
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint32, data []byte) {
		var p Packet
		if err := d.Decode(lt%300, data, &p); err == nil && len(p.Payload) > len(data) {
			t.Fatalf("payload %d bytes from a %d-byte frame", len(p.Payload), len(data))
		}
	})
}
