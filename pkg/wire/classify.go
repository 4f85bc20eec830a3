package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

// byRank orders attribution methods: a stronger one replaces a weaker one.
func byRank(by string) int {
	switch by {
	case ByProtocol:
		return 6
	case BySNI:
		return 5
	case ByHTTP:
		return 4
	case ByDNS:
		return 3
	case ByIPRange:
		return 2
	case ByPort:
		return 1
	}
	return 0
}

// setTool attributes the flow to a tool unless a stronger attribution exists.
func (f *flowState) setTool(tool, by, name string, ref *PacketRef) {
	if tool == "" || byRank(by) <= f.byRank {
		return
	}
	f.Tool, f.By, f.byRank = tool, by, byRank(by)
	f.actOff = false
	if name != "" {
		f.Name = name
	}
	if ref != nil && (f.Label == nil || by == ByProtocol) {
		r := *ref
		f.Label = &r
	}
}

// refineTool replaces a generic tool id with a more specific one found by
// the same protocol (vnc → realvnc / apple-remote-desktop).
func (f *flowState) refineTool(tool string, ref *PacketRef) {
	if f.Tool == "" || f.By == ByProtocol {
		f.Tool, f.By, f.byRank = tool, ByProtocol, byRank(ByProtocol)
		if ref != nil {
			r := *ref
			f.Label = &r
		}
	}
}

// setProtocol labels the flow with a protocol, recording the deciding packet.
func (f *flowState) setProtocol(proto string, ref PacketRef, reason string, payload []byte) {
	f.Protocol = proto
	ref.Reason = reason
	n := min(len(payload), 32)
	ref.Hex = hex.EncodeToString(payload[:n])
	f.Label = &ref
}

func hasPort(f *flowState, ports ...uint16) bool {
	for _, p := range ports {
		if f.Client.Port == p || f.Server.Port == p {
			return true
		}
	}
	return false
}

func portIn(f *flowState, lo, hi uint16) (uint16, bool) {
	if f.Server.Port >= lo && f.Server.Port <= hi {
		return f.Server.Port, true
	}
	if f.Client.Port >= lo && f.Client.Port <= hi {
		return f.Client.Port, true
	}
	return 0, false
}

// inspect offers one payload packet to the recognisers (while the flow is
// unlabelled) and to the labelled protocol's parser.
func (a *Analyzer) inspect(f *flowState, d int, p *decode.Packet, pi *PacketInfo) {
	stream := f.inOrder(d, p)
	f.inspected++
	if f.Tool == "" && f.inspected >= MaxInspectPackets && !f.actOff {
		// Not a tool flow after the inspection window: stop the
		// per-second accounting (setTool turns it back on).
		f.act, f.actOff = nil, true
	}
	if f.Protocol == "" {
		if f.inspectDone {
			return
		}
		a.recognise(f, d, p, pi)
		if f.Protocol == "" {
			if f.inspected >= MaxInspectPackets {
				f.inspectDone = true
			}
			return
		}
	}
	switch f.Protocol {
	case ProtoTeamViewer:
		f.teamViewerCommand(p)
	case ProtoTLS:
		a.tlsData(f, d, stream, pi)
	case ProtoRDP:
		a.rdpData(f, d, stream, pi)
	case ProtoRFB:
		a.rfbData(f, d, stream, pi)
	case ProtoRDPEUDP:
		f.eudpData(d, p.Payload, a.ref(pi, ""))
	case ProtoRustDesk:
		f.rustdeskData(d, p, a.ref(pi, ""))
	case ProtoHTTP:
		if d == 0 && f.Detail == "" {
			a.httpRequest(f, p.Payload, pi)
		}
	}
}

// recognise tries every recogniser on the first payload packets of a flow.
func (a *Analyzer) recognise(f *flowState, d int, p *decode.Packet, pi *PacketInfo) {
	b := p.Payload
	ref := a.ref(pi, "")
	tcp := p.Proto == decode.ProtoTCP

	// TeamViewer: `17 24` / `11 30` + command; UDP has the magic at 11.
	if tcp && len(b) >= 3 && (b[0] == 0x17 && b[1] == 0x24 || b[0] == 0x11 && b[1] == 0x30) ||
		!tcp && len(b) > 13 && b[11] == 0x17 && b[12] == 0x24 {
		f.tvFrames++
		if f.tvFrames >= TeamViewerMinFrames || hasPort(f, 5938) {
			f.setProtocol(ProtoTeamViewer, ref, "TeamViewer framing 17 24 / 11 30", b)
			f.setTool(ToolTeamViewer, ByProtocol, "", f.Label)
			f.tvCmds = &[256]uint32{}
			return
		}
		return
	}
	if tcp {
		switch {
		case len(b) >= 6 && b[0] == 0x16 && b[1] == 3 && b[2] <= 4 && (b[5] == 1 || b[5] == 2):
			f.setProtocol(ProtoTLS, ref, "TLS handshake record", b)
			f.tls = &tlsState{}
		case isTPKT(b) && (b[5] == 0xE0 || b[5] == 0xD0):
			f.setProtocol(ProtoRDP, ref, "TPKT + X.224 connection request/confirm", b)
			f.setTool(ToolRDP, ByProtocol, "", f.Label)
			f.rdp = &rdpState{}
		case len(b) == 12 && bytes.HasPrefix(b, []byte("RFB ")) && b[7] == '.' && b[11] == '\n':
			f.setProtocol(ProtoRFB, ref, "RFB protocol version banner", b)
			f.setTool(ToolVNC, ByProtocol, "", f.Label)
			f.rfb = &rfbState{}
		case d == 0 && len(b) >= 16 && b[0] == 0x87 && (b[1] == 0x15 || b[1] == 0x1c || b[1] == 0x12) && b[2] == 0x10 && b[3] == 0 &&
			allZero(b[4:16]):
			f.setProtocol(ProtoScreenConnect, ref, "ScreenConnect relay check-in 87 xx 10 00 + 12×00", b)
			f.setTool(ToolScreenConnect, ByProtocol, "", f.Label)
		case len(b) >= 5 && len(b) <= 32 && (bytes.HasPrefix(b, []byte("NXSH-")) || bytes.HasPrefix(b, []byte("NXD-"))):
			f.setProtocol(ProtoNoMachine, ref, "NoMachine NXSH-/NXD- banner", b)
			f.setTool(ToolNoMachine, ByProtocol, "", f.Label)
			f.Detail = strings.TrimSpace(string(b))
		case isRadmin(b):
			f.setProtocol(ProtoRadmin, ref, "Radmin session setup", b)
			f.setTool(ToolRadmin, ByProtocol, "", f.Label)
		case f.Server.Port == 6783 && d == 0 && bytes.Equal(b, []byte{0, 1, 0, 8, 0, 0, 0, 0, 0, 2, 1, 0}),
			f.Server.Port == 6784 && d == 0 && bytes.Equal(b, []byte{0, 0, 0x34, 0x12}):
			f.setProtocol(ProtoSplashtop, ref, "Splashtop check-in / keep-alive", b)
			f.setTool(ToolSplashtop, ByProtocol, "", f.Label)
		case len(b) >= 6 && bytes.HasPrefix(b, []byte("\x7f\x7fICA\x00")):
			f.setProtocol(ProtoCitrixICA, ref, "Citrix ICA banner", b)
			f.setTool(ToolCitrix, ByProtocol, "", f.Label)
		case d == 0 && isHTTPRequest(b):
			f.setProtocol(ProtoHTTP, ref, "HTTP request", b)
		case isRustDeskTCP(f, b):
			f.setProtocol(ProtoRustDesk, ref, "RustDesk BytesCodec frame with a rendezvous message", b)
			f.setTool(ToolRustDesk, ByProtocol, "", f.Label)
			f.rd = &rustdeskState{}
		}
		return
	}
	// UDP
	switch {
	case hasPort(f, 3389) && isRDPEUDP(b):
		f.setProtocol(ProtoRDPEUDP, ref, "RDPEUDP header on UDP 3389", b)
		f.setTool(ToolRDP, ByProtocol, "", f.Label)
		f.eudp = &eudpState{}
	case isRustDeskUDP(f, b):
		f.setProtocol(ProtoRustDesk, ref, "RustDesk rendezvous protobuf on UDP", b)
		f.setTool(ToolRustDesk, ByProtocol, "", f.Label)
		f.rd = &rustdeskState{}
	case hasPort(f, 4000) && len(b) >= 10 && binary.LittleEndian.Uint16(b[2:]) == 1 &&
		int(binary.LittleEndian.Uint16(b[4:])) == len(b) && b[8] == 0 && b[9] == 0:
		f.setProtocol(ProtoNoMachine, ref, "NoMachine UDP header", b)
		f.setTool(ToolNoMachine, ByProtocol, "", f.Label)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isTPKT checks a TPKT header whose X.224 length indicator fits it.
func isTPKT(b []byte) bool {
	if len(b) < 11 || b[0] != 3 || b[1] != 0 {
		return false
	}
	l := int(binary.BigEndian.Uint16(b[2:]))
	return l >= 11 && l <= len(b)+4096 && int(b[4]) == l-5
}

func isRadmin(b []byte) bool {
	if len(b) < 10 || !bytes.Equal(b[:4], []byte{1, 0, 0, 0}) {
		return false
	}
	switch {
	case len(b) == 10 && b[4] == 1 && b[8] == 8 && b[9] == 8:
		return true
	case len(b) == 46 && b[4] == 0x25 && b[7] == 2 && b[8] == 0x12 && b[9] == 8:
		return true
	case len(b) == 14 && b[4] == 5 && b[8] == 0x27 && b[9] == 0x27:
		return true
	}
	return false
}

var httpMethods = [][]byte{[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "), []byte("CONNECT "), []byte("OPTIONS ")}

func isHTTPRequest(b []byte) bool {
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	return false
}

// httpRequest reads Host and User-Agent of the first request.
func (a *Analyzer) httpRequest(f *flowState, b []byte, pi *PacketInfo) {
	var host, ua string
	for _, line := range bytes.Split(b[:min(len(b), 4096)], []byte("\r\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch strings.ToLower(string(bytes.TrimSpace(k))) {
		case "host":
			host = string(bytes.TrimSpace(v))
		case "user-agent":
			ua = string(bytes.TrimSpace(v))
		}
	}
	f.Detail = "host=" + host + " ua=" + ua
	if f.Detail == "host= ua=" {
		f.Detail = "http"
	}
	ref := a.ref(pi, "HTTP request")
	switch {
	case strings.HasPrefix(ua, "AnyDesk"):
		ref.Reason = "HTTP User-Agent " + ua
		f.setTool(ToolAnyDesk, ByHTTP, "", &ref)
	case strings.Contains(ua, "DynGate"):
		ref.Reason = "HTTP User-Agent " + ua
		f.setTool(ToolTeamViewer, ByHTTP, "", &ref)
	}
	if h, _, _ := strings.Cut(host, ":"); h != "" {
		if tool := a.matchDomain(h); tool != "" {
			ref.Reason = "HTTP Host " + h
			f.setTool(tool, ByHTTP, h, &ref)
		}
	}
}

// TeamViewer command names (bettercap's table, network.md §1.2).
var tvCommandNames = map[int]string{
	10: "IDENTIFY", 11: "REQUESTCONNECT", 13: "DISCONNECT", 14: "VERSIONINFO", 15: "SESSIONPROTOCOL",
	16: "PING", 17: "PINGOK", 18: "ENCRYPTIONKEY", 19: "BUDDYLIST", 24: "REQUESTROUTINGSESSION",
	25: "REQUESTROUTINGSESSION_ANSWER", 26: "REQUESTROUTINGSESSION_ANSWER2", 27: "KEEPALIVEBEEP",
	28: "REQUESTKEEPALIVE", 40: "REQUESTKEEPALIVE2", 42: "SENDMODE_UDP", 46: "BUDDY",
	47: "ACCEPTROUTINGSESSION", 53: "ENDSESSION", 54: "SESSIONID", 60: "ROUTERCMD", 63: "ACK",
	70: "UDPREQUESTCONNECT", 71: "UDPPING", 90: "DATA_ONE", 91: "DATA_TWO", 92: "DATA_THREE",
	93: "DATA_FOUR", 94: "DATA_FIVE", 95: "DATA_SIX", 96: "DATA_SEVEN", 97: "DATA_EIGHT",
	98: "DATA_NINE", 99: "DATA_TEN", 102: "AUTH_CHALLENGE", 103: "AUTH_RESPONSE", 104: "AUTH_RESULT",
	106: "DATA4", 107: "DATASTREAM", 108: "UDPHEARTBEAT", 111: "UDP_ACKPACKETS", 112: "UDP_PROTECTEDCOMMAND",
}

// tvSessionCommands are the commands that only occur when a session runs
// (network.md §3.2): connect requests, authentication and data streams.
func tvSessionCommand(c int) bool {
	return c == 11 || c == 70 || (c >= 90 && c <= 99) || (c >= 102 && c <= 104) || c == 106 || c == 107
}

func (f *flowState) teamViewerCommand(p *decode.Packet) {
	b := p.Payload
	if f.tvCmds == nil {
		return
	}
	if p.Proto == decode.ProtoTCP {
		if len(b) >= 3 && (b[0] == 0x17 && b[1] == 0x24 || b[0] == 0x11 && b[1] == 0x30) {
			f.tvCmds[b[2]]++
		}
		return
	}
	if len(b) > 13 && b[11] == 0x17 && b[12] == 0x24 {
		f.tvCmds[b[13]]++
	}
}

func (f *flowState) tvHasSessionCommand() bool {
	if f.tvCmds == nil {
		return false
	}
	for c, n := range f.tvCmds {
		if n > 0 && tvSessionCommand(c) {
			return true
		}
	}
	return false
}

// RDPEUDP (MS-RDPEUDP) SYN datagrams start with snSourceAck = -1; every
// datagram has uReceiveWindowSize and uFlags after it.
const (
	eudpSYN  = 0x0001
	eudpFIN  = 0x0002
	eudpACK  = 0x0004
	eudpDATA = 0x0008
)

func isRDPEUDP(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[6:])
	if flags&0xE000 != 0 {
		return false
	}
	if bytes.Equal(b[:4], []byte{0xff, 0xff, 0xff, 0xff}) {
		return flags&eudpSYN != 0
	}
	return flags&(eudpSYN|eudpACK|eudpDATA) != 0
}

type eudpState struct {
	syn, synAck, ack bool
	pkts             [2]int
	doneRef          PacketRef
}

func (f *flowState) eudpData(d int, b []byte, ref PacketRef) {
	s := f.eudp
	if s == nil || len(b) < 8 {
		return
	}
	s.pkts[d]++
	flags := binary.BigEndian.Uint16(b[6:])
	isSYN := bytes.Equal(b[:4], []byte{0xff, 0xff, 0xff, 0xff}) && flags&eudpSYN != 0
	switch {
	case d == 0 && isSYN:
		s.syn = true
	case d == 1 && flags&(eudpSYN|eudpACK) == eudpSYN|eudpACK && !s.synAck:
		s.synAck = true
	case d == 0 && s.synAck && !s.ack:
		// The client's first datagram after the SYN+ACK: an RDPEUDP ACK, or
		// an RDPEUDP2 packet when SYNEX negotiated version 3.
		s.ack = true
		s.doneRef = ref
		s.doneRef.Reason = "RDPEUDP handshake completed (SYN, SYN+ACK, client datagram)"
	}
}

// RustDesk (hbb_common rendezvous.proto): on UDP the datagram is a raw
// RendezvousMessage protobuf; the first byte is the field tag.
var rustdeskTags = map[uint16]string{
	0x32: "RegisterPeer", 0x3a: "RegisterPeerResponse", 0x42: "PunchHoleRequest", 0x4a: "PunchHole",
	0x52: "PunchHoleSent", 0x5a: "PunchHoleResponse", 0x62: "FetchLocalAddr", 0x6a: "LocalAddr",
	0x7a: "RegisterPk", 0x0182: "RegisterPkResponse", 0x0192: "RequestRelay", 0x019a: "RelayResponse",
	0x01a2: "TestNatRequest", 0x01aa: "TestNatResponse",
}

func rustdeskTag(b []byte) (string, int) {
	if len(b) == 0 {
		return "", 0
	}
	if b[0]&0x80 == 0 {
		return rustdeskTags[uint16(b[0])], 1
	}
	if len(b) < 2 {
		return "", 0
	}
	return rustdeskTags[uint16(b[1])<<8|uint16(b[0])], 2
}

func isRustDeskUDP(f *flowState, b []byte) bool {
	if _, ok := portIn(f, 21115, 21119); !ok || len(b) < 3 {
		return false
	}
	name, n := rustdeskTag(b)
	return name != "" && len(b) > n && int(b[n]) <= len(b)-n-1
}

// isRustDeskTCP checks a BytesCodec frame: header length (b0&3)+1, payload
// length = LE(header)>>2, then a RendezvousMessage tag.
func isRustDeskTCP(f *flowState, b []byte) bool {
	if _, ok := portIn(f, 21115, 21119); !ok {
		return false
	}
	name, _, _ := rustdeskFrame(b)
	return name != ""
}

func rustdeskFrame(b []byte) (name string, hdr, length int) {
	if len(b) < 3 {
		return "", 0, 0
	}
	hdr = int(b[0]&3) + 1
	if len(b) < hdr+1 {
		return "", 0, 0
	}
	var v uint32
	for i := hdr - 1; i >= 0; i-- {
		v = v<<8 | uint32(b[i])
	}
	length = int(v >> 2)
	if length == 0 || length > len(b)-hdr+64*1024 {
		return "", 0, 0
	}
	name, _ = rustdeskTag(b[hdr:])
	return name, hdr, length
}

type rustdeskState struct {
	msgs [2][]string
}

func (f *flowState) rustdeskData(d int, p *decode.Packet, _ PacketRef) {
	s := f.rd
	if s == nil || len(s.msgs[d]) >= 4 {
		return
	}
	var name string
	if p.Proto == decode.ProtoTCP {
		name, _, _ = rustdeskFrame(p.Payload)
	} else {
		name, _ = rustdeskTag(p.Payload)
	}
	if name != "" {
		s.msgs[d] = append(s.msgs[d], name)
	}
}
