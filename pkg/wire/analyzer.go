// Package wire finds remote-access tool traffic in packet captures and
// decides, per tool, whether a remote-control session was established.
//
// It reads pcap/pcapng in constant memory (Analyze), or takes packets one by
// one from a live capture (Analyzer). Flows are recognised by the tools' own
// wire bytes (TeamViewer framing, AnyDesk TLS certificates and ALPN, RDP,
// RFB, RustDesk, ScreenConnect, NoMachine, Radmin, Splashtop), and by names
// (DNS answers, TLS SNI, HTTP Host) matched against the signature set. Each
// tool flow gets a role (control, relay, direct) and a verdict (session,
// idle, attempt); sessions and attempts become session.Records.
//
// The thresholds are in thresholds.go and documented in docs/wire.md.
package wire

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/wire/decode"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// Parser is the session.Record parser name of this package.
const Parser = "wire"

// Options tune an analysis. The zero value is usable.
type Options struct {
	// Signatures attributes DNS/SNI/HTTP names and ports to tools. Nil means
	// signature.Builtin.
	Signatures *signature.Set
	// LocalIPs are the addresses of the host under investigation (the one
	// the capture was taken on). Empty: inferred (the DNS client, else the
	// address in most flows) and reported in Report.LocalBy.
	LocalIPs []netip.Addr
	// LocalBy says where LocalIPs came from (Report.LocalBy; "option" when
	// empty). A live capture sets LocalByCaptureHost: the addresses of the
	// machine capturing, the host under investigation; when none of them is
	// in the capture, the capturing host is inferred as without LocalIPs.
	LocalBy string
	// MaxFlows bounds the live flow table (DefaultMaxFlows when 0).
	MaxFlows int
	// IdleTimeout closes silent flows (DefaultIdleTimeout when 0).
	IdleTimeout time.Duration
	// MaxReportedFlows bounds Report.Flows (DefaultMaxReportedFlows when 0).
	MaxReportedFlows int
	// OnFlow, when set, is called with every flow as it is closed out,
	// including evicted ones and those not kept in Report.Flows.
	OnFlow func(*Flow)
	// Progress, when set, is called now and then during Analyze with the
	// number of bytes of the capture read so far.
	Progress func(read int64)
}

// PacketInfo locates one packet in its capture.
type PacketInfo struct {
	Time   time.Time
	Index  uint64 // 1-based packet number
	Offset int64  // byte offset of the packet record in the file (-1: none, e.g. live)
}

// Analyzer consumes packets one at a time. It is not safe for concurrent
// use.
type Analyzer struct {
	name string
	opts Options
	sigs *signature.Set
	dec  *decode.Decoder
	pkt  decode.Packet

	flows   map[flowKey]*flowState
	head    *flowState // most recently active
	tail    *flowState // least recently active
	last    *flowState // flow of the previous packet (nil when closed)
	nextID  uint64
	timed   bool  // a packet was seen: firstNs and lastNs are set
	firstNs int64 // capture time span (Unix ns); lastNs is "now" for expiry
	lastNs  int64
	sweepIn int

	rep       Report
	kept      []*Flow // flows in the report
	keptOther int     // of them, flows without a tool

	resolved  map[netip.Addr]resolvedName
	nameIdx   map[string]int // tool+name → index in rep.Names
	domainHit map[string]string
	hosts     map[netip.Addr]*hostStat
	portTools map[uint32]string // proto<<16|port → tool, for unambiguous signature ports
	localSeen bool              // a flow had an end in Options.LocalIPs
	finished  bool
}

type resolvedName struct {
	tool, name string
}

type hostStat struct {
	flows, dnsQueries, initiated int
}

// NewAnalyzer returns an analyzer for a capture called name (used as
// evidence path).
func NewAnalyzer(name string, opts Options) *Analyzer {
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxReportedFlows <= 0 {
		opts.MaxReportedFlows = DefaultMaxReportedFlows
	}
	a := &Analyzer{
		name:      name,
		opts:      opts,
		sigs:      opts.Signatures,
		dec:       decode.NewDecoder(),
		flows:     make(map[flowKey]*flowState, 64),
		resolved:  map[netip.Addr]resolvedName{},
		nameIdx:   map[string]int{},
		domainHit: map[string]string{},
		hosts:     map[netip.Addr]*hostStat{},
		portTools: map[uint32]string{},
	}
	a.rep.Name = name
	if a.sigs == nil {
		s, err := signature.Builtin(signature.Options{SkipExamples: true})
		if err != nil {
			a.rep.Warnings = append(a.rep.Warnings, "signature set not loaded, names are not attributed: "+err.Error())
		}
		a.sigs = s
	}
	a.indexPorts()
	return a
}

// Analyze reads a pcap or pcapng stream to its end and returns the report.
// A truncated or corrupt capture still yields the report of what was read,
// together with an error naming the offset (also in Report.Error).
func Analyze(ctx context.Context, r io.Reader, name string, opts Options) (*Report, error) {
	a := NewAnalyzer(name, opts)
	pr, err := pcapfile.NewReader(r)
	if err != nil {
		rep := a.Finish()
		rep.Error = err.Error()
		return rep, err
	}
	defer pr.Close()
	a.rep.Format = string(pr.Format())
	readErr := a.read(ctx, pr)
	rep := a.Finish()
	if readErr != nil {
		rep.Error = readErr.Error()
		return rep, fmt.Errorf("%s: %w", name, readErr)
	}
	return rep, nil
}

// Packet analyses one frame of the given link type (pcap LINKTYPE_* value).
// data is not retained.
func (a *Analyzer) Packet(linkType uint32, pi PacketInfo, data []byte) {
	if a.finished {
		return
	}
	err := a.dec.Decode(linkType, data, &a.pkt)
	a.decoded(&pi, len(data), &a.pkt, err)
}

// decoded analyses one frame of n bytes once decoded into p (err is the
// decoder's result; p is only read when err is nil). The pipelined reader
// decodes on another goroutine and calls this in packet order.
func (a *Analyzer) decoded(pip *PacketInfo, n int, p *decode.Packet, err error) {
	pi := *pip
	st := &a.rep.Stats
	st.Packets++
	st.Bytes += uint64(n)
	// Time arithmetic in integer nanoseconds: time.Time's Sub and After
	// cost more than the rest of the per-packet work together.
	ns := pi.Time.UnixNano()
	if !a.timed || ns < a.firstNs {
		a.rep.First, a.firstNs = pi.Time, ns
	}
	if !a.timed || ns > a.lastNs {
		a.rep.Last, a.lastNs = pi.Time, ns
	}
	a.timed = true
	switch {
	case err == nil:
	case errors.Is(err, decode.ErrUnsupportedLink):
		st.UnknownLink++
		return
	case errors.Is(err, decode.ErrNotTransport):
		st.NotIP++
		return
	case errors.Is(err, decode.ErrFragment):
		st.Fragments++
		return
	default:
		st.Malformed++
		return
	}
	st.Decoded++

	k, srcIsA := makeKey(p)
	var f *flowState
	if a.last != nil && a.last.key.same(&k) {
		f = a.last // consecutive packets of one flow: skip the map
	} else {
		f = a.flows[k]
	}
	isSYN := p.Proto == decode.ProtoTCP && p.Flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN
	if f != nil && isSYN && !(f.synSeen && p.Seq == f.synSeq) && (!f.closedAt.IsZero() || f.sawSYN && f.Packets[0]+f.Packets[1] > 3) {
		// Port reuse: a new connection on a finished 5-tuple.
		a.closeFlow(f, "")
		f = nil
	}
	if f == nil {
		f = a.newFlow(k, srcIsA, p, &pi)
	} else {
		a.touch(f)
	}
	a.last = f
	d := f.dirOf(srcIsA)
	f.Packets[d]++
	if ns > f.lastNs {
		f.Last, f.lastNs = pi.Time, ns
	}
	f.lastPkt, f.lastOff = pi.Index, pi.Offset
	pl := uint64(p.PayloadLen)
	f.Bytes[d] += pl
	if pl > 0 && pl <= SmallPayloadMax {
		f.Small[d]++
	}
	if pl > 0 {
		if f.payloadSeen[d] && ns > f.lastPayloadNs[d] {
			f.gapSum[d] += time.Duration(ns - f.lastPayloadNs[d])
			f.gaps[d]++
		}
		f.lastPayloadNs[d], f.payloadSeen[d] = ns, true
	}
	sec := (ns - f.firstNs) / int64(time.Second)
	var inc [2]uint64
	if p.Proto == decode.ProtoTCP {
		if p.Flags&decode.FlagSYN != 0 {
			f.sawSYN = true
			if isSYN && !f.synSeen {
				// A retransmitted SYN (same ISN) belongs to the same flow.
				f.synSeen, f.synSeq = true, p.Seq
			}
		}
		sent, acked := f.tcpProgress(d, p)
		f.SeqBytes[d] += sent
		f.SeqBytes[1-d] += acked
		inc[d], inc[1-d] = sent, acked
		if p.Flags&decode.FlagFIN != 0 {
			f.finSeen[d] = true
			if f.finSeen[1-d] && f.closedAt.IsZero() {
				f.closedAt = pi.Time
				f.Closed = "fin"
			}
		}
		if p.Flags&decode.FlagRST != 0 && f.closedAt.IsZero() {
			f.closedAt = pi.Time
			f.Closed = "rst"
		}
	} else {
		inc[d] = pl
	}
	if (inc[0] > 0 || inc[1] > 0) && f.act == nil && !f.actOff {
		f.act = &activity{}
	}
	for dd := range 2 {
		if inc[dd] == 0 {
			continue
		}
		if sec < SkipSeconds {
			before := f.first10[dd]
			f.first10[dd] += inc[dd]
			if before < NewFlowBurstBytes && f.first10[dd] >= NewFlowBurstBytes {
				f.burstRef[dd] = a.ref(&pi, "new channel reached the first-10-s burst volume")
			}
		}
		if f.act != nil {
			f.act.add(dd, sec, inc[dd], &pi)
		}
	}
	if p.Proto == decode.ProtoUDP && (p.SrcPort == 53 || p.DstPort == 53 || p.SrcPort == 5353 || p.DstPort == 5353) {
		a.dns(p, &pi)
	}
	if len(p.Payload) > 0 {
		a.inspect(f, d, p, &pi)
	}
	if a.sweepIn--; a.sweepIn <= 0 {
		a.sweepIn = expiryCheckEvery
		a.sweep()
	}
}

func (a *Analyzer) ref(pi *PacketInfo, reason string) PacketRef {
	return PacketRef{Packet: pi.Index, Offset: pi.Offset, Time: pi.Time, Reason: reason}
}

// serviceLike reports ports that are usually the server side.
func serviceLike(port uint16) bool {
	if port < 1024 {
		return true
	}
	switch port {
	case 3389, 5938, 7070, 6568, 4899, 4000, 1494, 5500, 8040, 8041, 6783, 6784:
		return true
	}
	return (port >= 5900 && port <= 5999) || (port >= 5800 && port <= 5810) || (port >= 6900 && port <= 6910) ||
		(port >= 21115 && port <= 21119)
}

func (a *Analyzer) newFlow(k flowKey, srcIsA bool, p *decode.Packet, pi *PacketInfo) *flowState {
	if len(a.flows) >= a.opts.MaxFlows && a.tail != nil {
		a.rep.Stats.Evicted++
		a.closeFlow(a.tail, "evicted")
	}
	a.nextID++
	f := &flowState{key: k}
	f.ID = a.nextID
	f.Proto = "udp"
	if p.Proto == decode.ProtoTCP {
		f.Proto = "tcp"
	}
	f.First, f.Last = pi.Time, pi.Time
	f.firstNs, f.lastNs = pi.Time.UnixNano(), pi.Time.UnixNano()
	f.FirstPacket = a.ref(pi, "")
	// Orientation: SYN decides; else the port that looks like a service.
	srcIsClient := true
	f.OrientedBy = "first-packet"
	switch {
	case p.Proto == decode.ProtoTCP && p.Flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN:
		f.OrientedBy = "syn"
	case p.Proto == decode.ProtoTCP && p.Flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN|decode.FlagACK:
		f.OrientedBy, srcIsClient = "syn-ack", false
	case serviceLike(p.SrcPort) && !serviceLike(p.DstPort):
		f.OrientedBy, srcIsClient = "port", false
	case serviceLike(p.DstPort) && !serviceLike(p.SrcPort):
		f.OrientedBy = "port"
	case serviceLike(p.SrcPort) && serviceLike(p.DstPort) && p.SrcPort < p.DstPort:
		f.OrientedBy, srcIsClient = "port", false
	}
	src, dst := Endpoint{p.Src, p.SrcPort}, Endpoint{p.Dst, p.DstPort}
	if srcIsClient {
		f.Client, f.Server, f.clientIsA = src, dst, srcIsA
	} else {
		f.Client, f.Server, f.clientIsA = dst, src, !srcIsA
	}
	a.flows[k] = f
	a.pushFront(f)
	a.rep.Stats.Flows++
	if n := len(a.flows); n > a.rep.Stats.MaxLiveFlows {
		a.rep.Stats.MaxLiveFlows = n
	}
	a.countHost(f.Client.IP, true)
	a.countHost(f.Server.IP, false)
	if !a.localSeen && (slices.Contains(a.opts.LocalIPs, f.Client.IP) || slices.Contains(a.opts.LocalIPs, f.Server.IP)) {
		a.localSeen = true
	}
	a.attributeByAddress(f, pi)
	return f
}

func (a *Analyzer) countHost(ip netip.Addr, initiated bool) {
	h := a.hosts[ip]
	if h == nil {
		if len(a.hosts) >= MaxHosts {
			return
		}
		h = &hostStat{}
		a.hosts[ip] = h
	}
	h.flows++
	if initiated {
		h.initiated++
	}
}

// LRU list: head is the most recently active flow.
func (a *Analyzer) pushFront(f *flowState) {
	f.prev, f.next = nil, a.head
	if a.head != nil {
		a.head.prev = f
	}
	a.head = f
	if a.tail == nil {
		a.tail = f
	}
}

func (a *Analyzer) unlink(f *flowState) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		a.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		a.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

func (a *Analyzer) touch(f *flowState) {
	if a.head == f {
		return
	}
	a.unlink(f)
	a.pushFront(f)
}

// sweep closes flows at the cold end of the LRU list that finished or went
// silent.
func (a *Analyzer) sweep() {
	for n := 0; n < 256 && a.tail != nil; n++ {
		f := a.tail
		idle := time.Duration(a.lastNs - f.lastNs)
		switch {
		case idle > a.opts.IdleTimeout:
			a.closeFlow(f, "idle-timeout")
		case !f.closedAt.IsZero() && idle > ClosedLinger:
			a.closeFlow(f, "")
		default:
			return
		}
	}
}

// closeFlow removes a flow from the table and finalises it.
func (a *Analyzer) closeFlow(f *flowState, reason string) {
	delete(a.flows, f.key)
	if a.last == f {
		a.last = nil
	}
	a.unlink(f)
	if reason != "" && (f.closedAt.IsZero() || reason == "evicted") {
		f.Closed = reason
	}
	if f.Closed == "" {
		f.Closed = "end-of-capture"
	}
	a.finalize(f)
}

// Finish closes every flow and returns the report. The analyzer cannot be
// used afterwards.
func (a *Analyzer) Finish() *Report {
	if a.finished {
		return &a.rep
	}
	for a.tail != nil {
		a.closeFlow(a.tail, "end-of-capture")
	}
	a.finished = true
	a.inferLocal()
	sort.Slice(a.kept, func(i, j int) bool { return a.kept[i].ID < a.kept[j].ID })
	a.rep.Flows = a.kept
	if a.rep.Flows == nil {
		a.rep.Flows = []*Flow{}
	}
	a.buildTools()
	return &a.rep
}

// finalize decides a closed flow and hands it to the report.
func (a *Analyzer) finalize(f *flowState) {
	if f.Tool == "" {
		a.attributeByName(f)
	}
	a.decide(f)
	out := new(Flow)
	*out = f.Flow
	a.fillInfo(f, out)
	if a.opts.OnFlow != nil {
		a.opts.OnFlow(out)
	}
	if out.Tool != "" && len(a.kept) < a.opts.MaxReportedFlows {
		a.kept = append(a.kept, out)
		return
	}
	if out.Tool == "" && len(a.kept) < a.opts.MaxReportedFlows && a.keptOther < a.opts.MaxReportedFlows/2 {
		a.kept = append(a.kept, out)
		a.keptOther++
		return
	}
	a.rep.Stats.FlowsOmitted++
}

// LocalByCaptureHost marks Options.LocalIPs as the capturing machine's own
// interface addresses (a live capture).
const LocalByCaptureHost = "capture-host"

// inferLocal decides which addresses are the capturing host.
func (a *Analyzer) inferLocal() {
	// A live capture's own addresses that are in none of its flows (a
	// mirror port or a bridge carrying other hosts' traffic) say nothing:
	// infer instead. Addresses given by the user are taken as given.
	if len(a.opts.LocalIPs) > 0 && (a.localSeen || a.opts.LocalBy != LocalByCaptureHost || len(a.hosts) == 0) {
		a.rep.Local = append([]netip.Addr(nil), a.opts.LocalIPs...)
		a.rep.LocalBy = cmp.Or(a.opts.LocalBy, "option")
		if !a.localSeen && len(a.hosts) > 0 {
			// A typo, or the wrong capture: say so, not silently "unknown".
			a.rep.Warnings = append(a.rep.Warnings, fmt.Sprintf("--local-ip %s is in no flow of this capture: no direction can be relative to it", addrList(a.opts.LocalIPs)))
		}
		return
	}
	var best netip.Addr
	bestQ := 0
	for ip, h := range a.hosts {
		if h.dnsQueries > bestQ || (h.dnsQueries == bestQ && bestQ > 0 && ip.Less(best)) {
			best, bestQ = ip, h.dnsQueries
		}
	}
	if bestQ > 0 {
		a.rep.Local, a.rep.LocalBy = []netip.Addr{best}, "dns-client"
		return
	}
	top := 0
	for _, h := range a.hosts {
		top = max(top, h.flows)
	}
	var tied []netip.Addr
	for ip, h := range a.hosts {
		if h.flows == top {
			tied = append(tied, ip)
		}
	}
	if len(tied) == 1 && top >= 2 {
		a.rep.Local, a.rep.LocalBy = tied, "most-flows"
		return
	}
	// A tie (e.g. a single conversation): a capture is taken on a LAN host,
	// so when exactly one of the tied addresses is private, it is the one.
	var priv []netip.Addr
	for _, ip := range tied {
		if isPrivate(ip) {
			priv = append(priv, ip)
		}
	}
	if len(priv) == 1 && len(tied) > 1 {
		a.rep.Local, a.rep.LocalBy = priv, "private-address"
		return
	}
	a.rep.LocalBy = "undetermined"
}

func (a *Analyzer) isLocal(ip netip.Addr) bool {
	for _, l := range a.rep.Local {
		if l == ip {
			return true
		}
	}
	return false
}

func addrList(as []netip.Addr) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return strings.Join(out, ", ")
}
