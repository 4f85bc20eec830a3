package wire

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

// flowKey is the direction-independent 5-tuple: the lower endpoint first.
// Addresses are held as two big-endian uint64 halves (IPv4 mapped into
// IPv6) so building and comparing a key is a few integer operations.
type flowKey struct {
	aHi, aLo, bHi, bLo uint64
	pa, pb             uint16
	proto              uint8
}

func halves(a netip.Addr) (uint64, uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func makeKey(p *decode.Packet) (k flowKey, srcIsA bool) {
	sh, sl := halves(p.Src)
	dh, dl := halves(p.Dst)
	k.proto = p.Proto
	if sh < dh || sh == dh && (sl < dl || sl == dl && p.SrcPort < p.DstPort) {
		k.aHi, k.aLo, k.pa, k.bHi, k.bLo, k.pb = sh, sl, p.SrcPort, dh, dl, p.DstPort
		return k, true
	}
	k.aHi, k.aLo, k.pa, k.bHi, k.bLo, k.pb = dh, dl, p.DstPort, sh, sl, p.SrcPort
	return k, false
}

// same compares two keys field by field (the generated struct equality
// goes through memequal).
func (k *flowKey) same(o *flowKey) bool {
	return k.aLo == o.aLo && k.bLo == o.bLo && k.pa == o.pa && k.pb == o.pb && k.aHi == o.aHi && k.bHi == o.bHi && k.proto == o.proto
}

// activity implements the sustained-activity rule for one flow: per
// direction, a ring of per-second byte counts over the last WindowSeconds.
type activity struct {
	cur       [2]int64 // second (since flow start) the ring head is at
	ring      [2][WindowSeconds]uint32
	sustained [2]bool
	at        [2]PacketRef
	peakSum   [2]uint64
	peakSecs  [2]int
}

func (a *activity) add(d int, sec int64, n uint64, pi *PacketInfo) {
	if sec < SkipSeconds || a.sustained[d] {
		return
	}
	if sec != a.cur[d] {
		a.evaluate(d, pi)
		if a.sustained[d] {
			return
		}
		gap := sec - a.cur[d]
		if gap >= WindowSeconds || gap < 0 {
			a.ring[d] = [WindowSeconds]uint32{}
		} else {
			for s := a.cur[d] + 1; s <= sec; s++ {
				a.ring[d][s%WindowSeconds] = 0
			}
		}
		a.cur[d] = sec
	}
	slot := &a.ring[d][sec%WindowSeconds]
	if uint64(*slot)+n > 1<<31 {
		*slot = 1 << 31
	} else {
		*slot += uint32(n)
	}
}

// evaluate checks the window ending at the current second.
func (a *activity) evaluate(d int, pi *PacketInfo) {
	var sum uint64
	secs := 0
	for _, v := range a.ring[d] {
		sum += uint64(v)
		if v >= ActiveSecondBytes {
			secs++
		}
	}
	a.peakSum[d] = max(a.peakSum[d], sum)
	a.peakSecs[d] = max(a.peakSecs[d], secs)
	if sum >= SustainedWindowBytes || secs >= ActiveSeconds {
		a.sustained[d] = true
		if pi != nil {
			a.at[d] = PacketRef{Packet: pi.Index, Offset: pi.Offset, Time: pi.Time,
				Reason: "sustained activity: window reached the volume rule"}
		}
	}
}

// flowState is a live flow: the public Flow plus tracking state.
type flowState struct {
	Flow
	key        flowKey
	prev, next *flowState
	clientIsA  bool

	finSeen   [2]bool
	closedAt  time.Time // FIN both ways or RST: close after ClosedLinger
	sawSYN    bool
	synSeen   bool // a client SYN was seen; synSeq is its ISN
	synSeq    uint32
	seqKnown  [2]bool
	seqHigh   [2]uint32
	streamNxt [2]uint32 // next in-order sequence number for stream parsers
	streamOK  [2]bool
	streamIni [2]bool

	act      *activity
	actOff   bool      // no per-second accounting (not a tool flow)
	first10  [2]uint64 // volume in the first SkipSeconds
	burstRef [2]PacketRef
	lastPkt  uint64
	// payload-packet spacing per direction (keep-alive period for idle flows)
	lastPayloadNs [2]int64
	payloadSeen   [2]bool
	gapSum        [2]time.Duration
	firstNs       int64 // First and Last as Unix ns, for arithmetic
	lastNs        int64
	gaps          [2]int
	lastOff       int64

	inspected   int
	inspectDone bool
	byRank      int
	tvFrames    int
	tvCmds      *[256]uint32
	tls         *tlsState
	rdp         *rdpState
	rfb         *rfbState
	eudp        *eudpState
	rd          *rustdeskState
	// volume marks: SeqBytes/Bytes of the server when a protocol phase was
	// reached (RDP CC / MCS response, RFB banner).
	markSrv uint64
	marked  bool
}

// dirOf returns 0 when the packet goes client→server, 1 otherwise.
func (f *flowState) dirOf(srcIsA bool) int {
	if srcIsA == f.clientIsA {
		return 0
	}
	return 1
}

func (f *flowState) endpoint(d int) Endpoint {
	if d == 0 {
		return f.Client
	}
	return f.Server
}

// volume returns the bytes side d has sent so far.
func (f *flowState) volume(d int) uint64 { return max(f.Bytes[d], f.SeqBytes[d]) }

// tcpProgress updates sequence progress and returns the new bytes proven
// for the sender (d) and for the other side (through the ack).
func (f *flowState) tcpProgress(d int, p *decode.Packet) (sent, acked uint64) {
	o := 1 - d
	if p.Flags&decode.FlagSYN != 0 {
		if !f.seqKnown[d] {
			f.seqKnown[d] = true
			f.seqHigh[d] = p.Seq + 1
		}
	} else if !f.seqKnown[d] {
		f.seqKnown[d] = true
		f.seqHigh[d] = p.Seq
	}
	if p.PayloadLen > 0 && p.Flags&decode.FlagSYN == 0 {
		end := p.Seq + uint32(p.PayloadLen)
		if delta := int64(int32(end - f.seqHigh[d])); delta > 0 && delta < maxSeqJump {
			f.seqHigh[d] = end
			sent = uint64(delta)
		}
	}
	if p.Flags&decode.FlagACK != 0 && p.Flags&decode.FlagRST == 0 {
		if !f.seqKnown[o] {
			f.seqKnown[o] = true
			f.seqHigh[o] = p.Ack
		} else if delta := int64(int32(p.Ack - f.seqHigh[o])); delta > 0 && delta < maxSeqJump {
			f.seqHigh[o] = p.Ack
			acked = uint64(delta)
		}
	}
	return sent, acked
}

// inOrder reports which part of a TCP payload continues the byte stream of
// direction d, for the stream parsers (TLS handshake, RFB). A gap ends
// stream parsing for that direction; retransmitted bytes are dropped.
func (f *flowState) inOrder(d int, p *decode.Packet) []byte {
	if p.Proto != decode.ProtoTCP {
		return p.Payload
	}
	if !f.streamIni[d] {
		f.streamIni[d] = true
		f.streamOK[d] = true
		f.streamNxt[d] = p.Seq
	}
	if !f.streamOK[d] {
		return nil
	}
	pl := p.Payload
	off := int64(int32(f.streamNxt[d] - p.Seq))
	switch {
	case off < 0: // gap: data missing from the capture
		f.streamOK[d] = false
		return nil
	case off >= int64(len(pl)):
		return nil // retransmission
	}
	pl = pl[off:]
	if len(p.Payload) < p.PayloadLen { // snap length cut it: the stream has a hole after this
		f.streamOK[d] = false
	}
	f.streamNxt[d] = p.Seq + uint32(off) + uint32(len(pl))
	return pl
}

// isPrivate reports addresses that are not on the public internet.
func isPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() ||
		isCGNAT(a)
}

func isCGNAT(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[0] == 100 && b[1]&0xC0 == 64
}

// lastRef points at the flow's last packet.
func (f *flowState) lastRef() PacketRef {
	return PacketRef{Packet: f.lastPkt, Offset: f.lastOff, Time: f.Last, Reason: "last packet of the flow"}
}
