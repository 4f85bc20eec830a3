package wire

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// synth builds Ethernet/IPv4 captures for tools with no public capture
// (RustDesk, ScreenConnect, Splashtop) and for name attribution, from the
// wire patterns in network.md §1.
type synth struct {
	t    *testing.T
	buf  bytes.Buffer
	w    *pcapfile.Writer
	now  time.Time
	seqs map[string]uint32
}

func newSynth(t *testing.T) *synth {
	s := &synth{t: t, now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), seqs: map[string]uint32{}}
	w, err := pcapfile.NewWriter(&s.buf, 1, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	s.w = w
	return s
}

func (s *synth) write(ls ...gopacket.SerializableLayer) {
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		s.t.Fatal(err)
	}
	if err := s.w.WritePacket(s.now, b.Bytes(), 0); err != nil {
		s.t.Fatal(err)
	}
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: netip.MustParseAddr(src).AsSlice(), DstIP: netip.MustParseAddr(dst).AsSlice()}
}

var eth = &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}

func (s *synth) udp(src string, sp uint16, dst string, dp uint16, payload []byte) {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	_ = u.SetNetworkLayerForChecksum(ip)
	s.write(eth, ip, u, gopacket.Payload(payload))
}

// tcp sends one segment; seq/ack are tracked per direction.
func (s *synth) tcp(src string, sp uint16, dst string, dp uint16, syn, ack bool, payload []byte) {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	k := src + ":" + string(rune(sp)) + ">" + dst + ":" + string(rune(dp))
	rk := dst + ":" + string(rune(dp)) + ">" + src + ":" + string(rune(sp))
	seq := s.seqs[k]
	if seq == 0 {
		seq = 1000
	}
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: s.seqs[rk], SYN: syn, ACK: ack, Window: 65535}
	_ = t.SetNetworkLayerForChecksum(ip)
	next := seq + uint32(len(payload))
	if syn {
		next++
	}
	s.seqs[k] = next
	if len(payload) > 0 {
		s.write(eth, ip, t, gopacket.Payload(payload))
	} else {
		s.write(eth, ip, t)
	}
}

func (s *synth) handshake(c string, cp uint16, srv string, sp uint16) {
	s.tcp(c, cp, srv, sp, true, false, nil)
	s.tcp(srv, sp, c, cp, true, true, nil)
	s.tcp(c, cp, srv, sp, false, true, nil)
}

// bulk sends n bytes from src in 1400-byte segments over secs seconds, the
// other side acking every segment with a small input-like message.
func (s *synth) bulk(src string, sp uint16, dst string, dp uint16, n int, secs int) {
	seg := 1400
	count := n / seg
	step := time.Duration(secs) * time.Second / time.Duration(count)
	for i := 0; i < count; i++ {
		s.now = s.now.Add(step)
		s.tcp(src, sp, dst, dp, false, true, bytes.Repeat([]byte{0xab}, seg))
		s.tcp(dst, dp, src, sp, false, true, []byte{1, 2, 3, 4, 5, 6})
	}
}

func (s *synth) analyze(opts Options) *Report {
	if opts.Signatures == nil {
		opts.Signatures = fixtureSignatures(s.t)
	}
	rep, err := Analyze(context.Background(), bytes.NewReader(s.buf.Bytes()), "synthetic.pcap", opts)
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

const (
	victim   = "192.168.10.20"
	rsServer = "203.0.113.10"
)

func TestRustDesk(t *testing.T) {
	s := newSynth(t)
	// Idle: RegisterPeer heartbeats to hbbs every 12 s.
	for i := 0; i < 6; i++ {
		s.udp(victim, 40000, rsServer, 21116, append([]byte{0x32, 0x0c, 0x0a, 0x09}, []byte("123456789xx")...))
		s.udp(rsServer, 21116, victim, 40000, []byte{0x3a, 0x02, 0x08, 0x01})
		s.now = s.now.Add(12 * time.Second)
	}
	// Relay: RequestRelay on hbbr 21117, then the victim sends the screen.
	s.handshake(victim, 40001, rsServer, 21117)
	rr := append([]byte{0x92, 0x01, 0x20}, bytes.Repeat([]byte{'a'}, 32)...)
	s.tcp(victim, 40001, rsServer, 21117, false, true, append([]byte{byte(len(rr) << 2)}, rr...))
	s.bulk(victim, 40001, rsServer, 21117, 600*1024, 40)
	rep := s.analyze(Options{LocalIPs: []netip.Addr{netip.MustParseAddr(victim)}})

	var control, relay *Flow
	for _, f := range rep.Flows {
		switch f.Server.Port {
		case 21116:
			control = f
		case 21117:
			relay = f
		}
	}
	if control == nil || control.Tool != ToolRustDesk || control.Protocol != ProtoRustDesk || control.Role != RoleControl || control.Verdict != VerdictIdle {
		t.Fatalf("control flow %+v", control)
	}
	if relay == nil || relay.Tool != ToolRustDesk || relay.Role != RoleRelay || relay.Verdict != VerdictSession || relay.Controlled != "client" || !relay.Input {
		t.Fatalf("relay flow %+v", relay)
	}
	tr := rep.Tool(ToolRustDesk)
	if tr == nil || tr.Verdict != VerdictSession || tr.Direction != session.Incoming {
		t.Fatalf("tool %+v", tr)
	}
	if len(rep.Records) != 1 || rep.Records[0].RemoteIP != rsServer || rep.Records[0].Direction != session.Incoming {
		t.Fatalf("records %+v", rep.Records)
	}
}

func TestScreenConnectAndSplashtop(t *testing.T) {
	s := newSynth(t)
	s.handshake(victim, 50000, "198.51.100.7", 443)
	s.tcp(victim, 50000, "198.51.100.7", 443, false, true, append([]byte{0x87, 0x15, 0x10, 0x00}, make([]byte, 40)...))
	s.bulk(victim, 50000, "198.51.100.7", 443, 400*1024, 30)
	s.handshake(victim, 50001, "198.51.100.8", 6783)
	s.tcp(victim, 50001, "198.51.100.8", 6783, false, true, []byte{0, 1, 0, 8, 0, 0, 0, 0, 0, 2, 1, 0})
	rep := s.analyze(Options{})
	if rep.LocalBy != "most-flows" || rep.Local[0].String() != victim {
		t.Fatalf("local %v %s", rep.Local, rep.LocalBy)
	}
	sc := rep.Tool(ToolScreenConnect)
	if sc == nil || sc.Verdict != VerdictSession || sc.Direction != session.Incoming {
		t.Fatalf("screenconnect %+v", sc)
	}
	st := rep.Tool(ToolSplashtop)
	if st == nil || st.Verdict != VerdictIdle {
		t.Fatalf("splashtop %+v", st)
	}
}

func dnsAnswer(name string, addr [4]byte) []byte {
	d := &layers.DNS{ID: 7, QR: true, RD: true, RA: true,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: addr[:]}},
	}
	b := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(b, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func clientHello(sni string) []byte {
	ext := []byte{0, 0}
	l := len(sni)
	body := []byte{byte((l + 3) >> 8), byte(l + 3), 0, byte(l >> 8), byte(l)}
	body = append(body, sni...)
	ext = append(ext, byte(len(body)>>8), byte(len(body)))
	ext = append(ext, body...)
	hello := []byte{3, 3}
	hello = append(hello, make([]byte, 32)...)
	hello = append(hello, 0, 0, 2, 0x13, 0x01, 1, 0)
	hello = append(hello, byte(len(ext)>>8), byte(len(ext)))
	hello = append(hello, ext...)
	hs := append([]byte{1, 0, byte(len(hello) >> 8), byte(len(hello))}, hello...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func TestNameAttribution(t *testing.T) {
	s := newSynth(t)
	s.udp(victim, 33333, "192.168.10.1", 53, []byte{0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'r', 'e', 'l', 'a', 'y', 0, 0, 1, 0, 1})
	s.udp("192.168.10.1", 53, victim, 33333, dnsAnswer("relay-0badf00d.net.anydesk.com", [4]byte{203, 0, 113, 99}))
	s.handshake(victim, 41000, "203.0.113.99", 6568)
	s.tcp(victim, 41000, "203.0.113.99", 6568, false, true, []byte{0x17, 3, 3, 0, 40, 1, 2, 3})
	s.handshake(victim, 41001, "198.51.100.50", 443)
	s.tcp(victim, 41001, "198.51.100.50", 443, false, true, clientHello("instance-abc123-relay.screenconnect.com"))
	s.udp(victim, 50001, "239.255.102.18", 50001, []byte("anydesk discovery"))
	rep := s.analyze(Options{})
	if rep.LocalBy != "dns-client" {
		t.Errorf("local by %s", rep.LocalBy)
	}
	var ad, sc *Flow
	for _, f := range rep.Flows {
		switch f.Server.Port {
		case 6568:
			ad = f
		case 443:
			sc = f
		}
	}
	if ad == nil || ad.Tool != ToolAnyDesk || ad.By != ByDNS || ad.Name != "relay-0badf00d.net.anydesk.com" || ad.Verdict != VerdictIdle {
		t.Fatalf("anydesk flow %+v", ad)
	}
	if sc == nil || sc.Tool != ToolScreenConnect || sc.By != BySNI || sc.TLS == nil || sc.TLS.SNI != "instance-abc123-relay.screenconnect.com" {
		t.Fatalf("screenconnect flow %+v", sc)
	}
	for _, f := range rep.Flows {
		if f.Server.Port == 50001 && (f.Tool != ToolAnyDesk || f.By != ByIPRange || f.Verdict != VerdictIdle) {
			t.Errorf("discovery flow %+v", f)
		}
	}
	if tr := rep.Tool(ToolAnyDesk); tr == nil || tr.Verdict != VerdictIdle || tr.Attempts != 0 {
		t.Errorf("anydesk tool %+v", tr)
	}
	if len(rep.Names) != 2 {
		t.Errorf("names %+v", rep.Names)
	}
}

// TestPortScanBounded: a scan of many ports keeps the flow table bounded and
// still closes out every flow.
func TestPortScanBounded(t *testing.T) {
	s := newSynth(t)
	const n = 20000
	for i := 0; i < n; i++ {
		s.now = s.now.Add(time.Millisecond)
		s.tcp("198.51.100.66", 44444, victim, uint16(1+i%65000), true, false, nil)
	}
	seen := 0
	rep := s.analyze(Options{MaxFlows: 500, MaxReportedFlows: 100, OnFlow: func(*Flow) { seen++ }})
	if rep.Stats.Flows != n || seen != n {
		t.Fatalf("flows %d, OnFlow %d, want %d", rep.Stats.Flows, seen, n)
	}
	if rep.Stats.MaxLiveFlows > 500 || rep.Stats.Evicted == 0 {
		t.Fatalf("max live %d evicted %d", rep.Stats.MaxLiveFlows, rep.Stats.Evicted)
	}
	if len(rep.Flows) > 100 || rep.Stats.FlowsOmitted == 0 {
		t.Fatalf("reported %d omitted %d", len(rep.Flows), rep.Stats.FlowsOmitted)
	}
}

// tcpAt sends a segment with an explicit sequence number (for duplicates
// and reordering); the tracked sequence is not changed.
func (s *synth) tcpAt(src string, sp uint16, dst string, dp uint16, seq uint32, payload []byte) {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, ACK: true, Window: 65535}
	_ = t.SetNetworkLayerForChecksum(ip)
	s.write(eth, ip, t, gopacket.Payload(payload))
}

// TestDuplicateAndReorderedSegments: retransmitted segments are not counted
// twice by the RFB parser, and a reordered segment stops stream parsing
// without breaking the verdict.
func TestDuplicateAndReorderedSegments(t *testing.T) {
	const cli, srv = "192.168.5.2", "192.168.5.1"
	s := newSynth(t)
	s.handshake(cli, 50500, srv, 5900)
	send := func(from string, p []byte) {
		if from == srv {
			s.tcp(srv, 5900, cli, 50500, false, true, p)
		} else {
			s.tcp(cli, 50500, srv, 5900, false, true, p)
		}
	}
	send(srv, []byte("RFB 003.008\n"))
	send(cli, []byte("RFB 003.008\n"))
	send(srv, []byte{1, 2})
	send(cli, []byte{2})
	send(srv, bytes.Repeat([]byte{7}, 16))
	send(cli, bytes.Repeat([]byte{8}, 16))
	send(srv, []byte{0, 0, 0, 0})
	send(cli, []byte{1})
	init := []byte{3, 0x20, 2, 0x58, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0, 0, 0, 0, 4, 't', 'e', 's', 't'}
	send(srv, init)
	pointer := []byte{5, 0, 0, 10, 0, 20}
	seq := s.seqs[cli+":"+string(rune(50500))+">"+srv+":"+string(rune(5900))]
	send(cli, pointer)
	s.tcpAt(cli, 50500, srv, 5900, seq, pointer) // duplicate
	key := []byte{4, 1, 0, 0, 0, 0, 0, 0x61}
	send(cli, key)
	// Reordered: the second of two segments arrives first.
	seq = s.seqs[cli+":"+string(rune(50500))+">"+srv+":"+string(rune(5900))]
	s.tcpAt(cli, 50500, srv, 5900, seq+6, pointer)
	s.tcpAt(cli, 50500, srv, 5900, seq, pointer)
	rep := s.analyze(Options{})
	if len(rep.Flows) != 1 {
		t.Fatalf("%d flows", len(rep.Flows))
	}
	f := rep.Flows[0]
	if f.Verdict != VerdictSession || f.RFB == nil || f.RFB.PointerEvents != 1 || f.RFB.KeyEvents != 1 || f.RFB.DesktopName != "test" || !f.Input {
		t.Fatalf("flow %+v rfb %+v", f, f.RFB)
	}
}
