package wire

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// infraRole is the role of a flow to vendor infrastructure before its volume
// is known: control, upgraded to relay when it carries a session.
func (a *Analyzer) role(f *flowState) Role {
	switch f.Protocol {
	case ProtoRDP, ProtoRDPEUDP, ProtoRFB, ProtoRadmin, ProtoNoMachine, ProtoCitrixICA:
		return RoleDirect
	}
	switch f.Tool {
	case ToolTeamViewer:
		if f.Proto == "udp" && !hasPort(f, 5938) {
			return RoleDirect // hole-punched P2P
		}
		if f.tvHasSessionCommand() {
			return RoleRelay
		}
		return RoleControl
	case ToolAnyDesk:
		if f.tls != nil {
			switch {
			case strings.Contains(f.tls.info.ServerCert, "AnyDesk Client"):
				return RoleDirect
			case strings.Contains(f.tls.info.ServerCert, "AnyNet"), strings.Contains(f.tls.info.ServerCA, "AnyNet"):
				return RoleControl
			}
		}
	case ToolRustDesk:
		if p, ok := portIn(f, 21115, 21119); ok {
			if p == 21117 || p == 21119 {
				return RoleRelay
			}
			return RoleControl
		}
		return RoleDirect
	}
	if isPrivate(f.Server.IP) && isPrivate(f.Client.IP) {
		return RoleDirect
	}
	return RoleControl
}

func kib(n uint64) string {
	if n < 10*1024 {
		return strconv.FormatUint(n, 10) + " B"
	}
	return strconv.FormatUint(n/1024, 10) + " KB"
}

// decide sets Role, Verdict, Why, VerdictRef, Controlled and Input.
func (a *Analyzer) decide(f *flowState) {
	if f.Tool == "" {
		return
	}
	f.Role = a.role(f)
	if f.act != nil {
		for d := range 2 {
			if !f.act.sustained[d] {
				last := PacketInfo{Index: f.lastPkt, Offset: f.lastOff, Time: f.Last}
				f.act.evaluate(d, &last)
			}
		}
	}
	// Bulk: the volume rule of network.md §3.3.
	bulk := -1
	var bulkWhy string
	var bulkRef PacketRef
	for d := range 2 {
		var why string
		var ref PacketRef
		switch {
		case f.act != nil && f.act.sustained[d]:
			why = fmt.Sprintf("sustained activity after the first %d s: %s in a %d s window, %d seconds with ≥ %s",
				SkipSeconds, kib(f.act.peakSum[d]), WindowSeconds, f.act.peakSecs[d], kib(ActiveSecondBytes))
			ref = f.act.at[d]
		case f.Role != RoleControl && f.first10[d] >= NewFlowBurstBytes:
			why = fmt.Sprintf("%s in the first %d s of a new channel", kib(f.first10[d]), SkipSeconds)
			ref = f.burstRef[d]
		default:
			continue
		}
		if f.Proto == "tcp" && f.Packets[1-d] < MinReversePackets {
			continue
		}
		if bulk < 0 || f.volume(d) > f.volume(bulk) {
			bulk, bulkWhy, bulkRef = d, why, ref
		}
	}
	session := func(why string, ref PacketRef, controlled int) {
		f.Verdict, f.Why = VerdictSession, why
		r := ref
		f.VerdictRef = &r
		if controlled >= 0 {
			f.Controlled = [2]string{"client", "server"}[controlled]
			o := 1 - controlled
			if f.Small[o] >= InputMinSmallPackets && f.Small[o]*InputMinSmallShare >= f.Packets[o] {
				f.Input = true
			}
		}
	}
	attempt := func(why string, ref *PacketRef) {
		f.Verdict, f.Why = VerdictAttempt, why
		if ref != nil && ref.Packet > 0 {
			r := *ref
			f.VerdictRef = &r
		}
	}
	srv := f.volume(1)
	switch f.Protocol {
	case ProtoRFB:
		s := f.rfb
		f.Controlled = "server"
		switch {
		case s.info.Auth == "failed":
			attempt("RFB security failure "+s.info.FailReason, &s.resultRef)
		case s.serverInit && s.info.Auth == "ok":
			session("RFB SecurityResult OK and ServerInit", s.initRef, 1)
		case s.serverInit:
			session(fmt.Sprintf("RFB ServerInit (security type %d, no SecurityResult needed)", s.info.SecurityType), s.initRef, 1)
		case s.info.Auth == "ok":
			session("RFB SecurityResult OK (capture ends before ServerInit)", s.resultRef, 1)
		case s.encrypted && s.marked && srv-s.markedSrv >= RFBEncryptedSessionBytes:
			ref := f.lastRef()
			if f.act != nil && f.act.sustained[1] {
				ref = f.act.at[1]
			}
			session(fmt.Sprintf("encrypted RFB %s: server sent %s after the banners", s.info.ServerVersion, kib(srv-s.markedSrv)), ref, 1)
		case s.encrypted:
			attempt(fmt.Sprintf("encrypted RFB %s: only %s from the server after the banners", s.info.ServerVersion, kib(srv-s.markedSrv)), &s.bannerRef)
		default:
			attempt("RFB handshake without a security result", &s.bannerRef)
		}
	case ProtoRDP:
		s := f.rdp
		f.Controlled = "server"
		after := srv - s.markedSrv
		switch {
		case s.failed:
			attempt("RDP negotiation failed: "+s.info.Failure+s.info.MCSResult, &s.resultRef)
		case s.markedSet && after >= RDPSessionServerBytes:
			how := "TLS/NLA (" + s.info.Selected + ")"
			if !s.tls {
				how = "standard RDP security, MCS Connect Response success"
			}
			ref := f.lastRef()
			if f.act != nil && f.act.sustained[1] {
				ref = f.act.at[1]
			}
			session(fmt.Sprintf("%s, then %s from the server", how, kib(after)), ref, 1)
		case s.mcsOK:
			attempt(fmt.Sprintf("MCS Connect Response success, but only %s from the server afterwards", kib(after)), &s.resultRef)
		case s.markedSet:
			attempt(fmt.Sprintf("%s negotiated, only %s from the server afterwards: handshake only", s.info.Selected, kib(after)), &s.markRef)
		case s.sawCC:
			attempt("X.224 connection confirmed with standard RDP security; no MCS Connect Response in the capture", f.Label)
		default:
			attempt("RDP connection request without a connection confirm", f.Label)
		}
	case ProtoRDPEUDP:
		s := f.eudp
		f.Controlled = "server"
		switch {
		case s.ack:
			session("RDPEUDP handshake completed: the server offers UDP transport only after the TCP connection sequence passed licensing", s.doneRef, 1)
		case !s.syn && !s.synAck && s.pkts[0] > 0 && s.pkts[1] > 0:
			session("RDPEUDP data in both directions (mid-connection)", *f.Label, 1)
		default:
			attempt("RDPEUDP SYN without a completed handshake", f.Label)
		}
	default:
		controlled := bulk
		switch f.Protocol {
		case ProtoRadmin, ProtoNoMachine, ProtoCitrixICA:
			controlled = 1 // the listening server is the controlled machine
			f.Controlled = "server"
		}
		switch {
		case bulk >= 0:
			if f.Role == RoleControl {
				f.Role = RoleRelay
			}
			session(bulkWhy, bulkRef, controlled)
		case f.Role == RoleControl || f.By == ByPort || f.By == ByIPRange:
			// A port or an address range alone (LAN discovery, a vendor
			// relay) shows the tool online, not a connection attempt.
			f.Verdict = VerdictIdle
			f.Why = fmt.Sprintf("control channel only: %s / %s in %s (%d/%d small payload packets%s), no sustained bulk",
				kib(f.volume(0)), kib(f.volume(1)), f.Duration().Round(1e9), f.Small[0], f.Small[1], f.keepAlive())
		default:
			attempt(fmt.Sprintf("%s channel without a session: %s / %s in %s", f.Role, kib(f.volume(0)), kib(f.volume(1)), f.Duration().Round(1e6)), f.Label)
		}
	}
}

// fillInfo copies protocol details into the public flow.
func (a *Analyzer) fillInfo(f *flowState, out *Flow) {
	if f.tls != nil {
		info := f.tls.info
		out.TLS = &info
	}
	if f.rdp != nil {
		info := f.rdp.info
		out.RDP = &info
	}
	if f.rfb != nil {
		info := f.rfb.info
		out.RFB = &info
		if out.Verdict == VerdictSession && info.KeyEvents+info.PointerEvents > 0 {
			out.Input = true
		}
	}
	if f.tvCmds != nil {
		m := map[string]int{}
		for c, n := range f.tvCmds {
			if n == 0 {
				continue
			}
			name := tvCommandNames[c]
			if name == "" {
				name = "CMD_" + strconv.Itoa(c)
			}
			m[name] += int(n)
		}
		out.TeamViewer = &TeamViewerInfo{Commands: m}
	}
	if f.rd != nil && out.Detail == "" {
		out.Detail = "client: " + strings.Join(f.rd.msgs[0], ",") + "; server: " + strings.Join(f.rd.msgs[1], ",")
	}
}

func (a *Analyzer) direction(f *Flow) session.Direction {
	ep, ok := f.ControlledEndpoint()
	if !ok || len(a.rep.Local) == 0 {
		return session.DirectionUnknown
	}
	other := f.Client
	if ep == f.Client {
		other = f.Server
	}
	switch {
	case a.isLocal(ep.IP):
		return session.Incoming
	case a.isLocal(other.IP):
		return session.Outgoing
	}
	return session.DirectionUnknown
}

// buildTools aggregates flows per tool and emits the session records.
func (a *Analyzer) buildTools() {
	byTool := map[string]*ToolReport{}
	var order []string
	get := func(tool string) *ToolReport {
		t := byTool[tool]
		if t == nil {
			t = &ToolReport{Tool: tool, Direction: session.DirectionUnknown}
			byTool[tool] = t
			order = append(order, tool)
		}
		return t
	}
	a.rep.Records = []session.Record{}
	dirs := map[string]map[session.Direction]int{}
	for _, f := range a.rep.Flows {
		if f.Tool == "" {
			continue
		}
		t := get(f.Tool)
		t.Flows = append(t.Flows, f.ID)
		if f.Verdict.rank() > t.Verdict.rank() {
			t.Verdict = f.Verdict
		}
		switch f.Verdict {
		case VerdictSession:
			t.Sessions++
		case VerdictAttempt:
			t.Attempts++
		case VerdictIdle:
			t.Idle++
		}
		dir := a.direction(f)
		if dirs[f.Tool] == nil {
			dirs[f.Tool] = map[session.Direction]int{}
		}
		if f.Verdict == VerdictSession || f.Verdict == VerdictAttempt {
			dirs[f.Tool][session.Direction(string(f.Verdict)+"/"+string(dir))]++
		}
		switch f.Verdict {
		case VerdictSession:
			a.rep.Records = append(a.rep.Records, a.record(f, dir))
		case VerdictAttempt:
			if f.By == ByPort || f.By == ByIPRange {
				// A port or address range alone does not make a
				// connection attempt worth a record.
				continue
			}
			if t.Attempts <= MaxAttemptRecords {
				a.rep.Records = append(a.rep.Records, a.record(f, dir))
			} else {
				t.AttemptsNotRecorded++
			}
		}
	}
	for _, n := range a.rep.Names {
		t := get(n.Tool)
		if len(t.Names) < 32 && !contains(t.Names, n.Name) {
			t.Names = append(t.Names, n.Name)
		}
	}
	for _, tool := range order {
		t := byTool[tool]
		if t.Verdict == "" {
			// Only names (DNS lookups / SNI without a tracked flow): the tool
			// ran and reached its infrastructure.
			t.Verdict = VerdictIdle
		}
		// Direction: incoming wins over outgoing (the host was controlled
		// at least once), both over unknown.
		m := dirs[tool]
		for _, dir := range []session.Direction{session.Incoming, session.Outgoing} {
			if m[session.Direction(string(t.Verdict)+"/"+string(dir))] > 0 {
				t.Direction = dir
				break
			}
		}
		a.rep.Tools = append(a.rep.Tools, *t)
	}
	sort.SliceStable(a.rep.Tools, func(i, j int) bool {
		if a.rep.Tools[i].Verdict.rank() != a.rep.Tools[j].Verdict.rank() {
			return a.rep.Tools[i].Verdict.rank() > a.rep.Tools[j].Verdict.rank()
		}
		return a.rep.Tools[i].Tool < a.rep.Tools[j].Tool
	})
	if a.rep.Tools == nil {
		a.rep.Tools = []ToolReport{}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

var rfbSecurityNames = map[int]string{1: "None", 2: "VNC", 5: "RA2", 6: "RA2ne", 13: "RA2", 16: "Tight", 18: "TLS", 19: "VeNCrypt", 30: "ARD"}

// record turns a decided flow into a session.Record.
func (a *Analyzer) record(f *Flow, dir session.Direction) session.Record {
	r := session.Record{
		Tool:      f.Tool,
		Parser:    Parser,
		Direction: dir,
		Start:     session.T(f.First),
		End:       session.T(f.Last),
		TimeRule:  "capture timestamps (UTC)",
	}
	switch {
	case f.Verdict == VerdictSession:
		r.Outcome = session.Established
	case f.RFB != nil && f.RFB.Auth == "failed":
		r.Outcome = session.FailedAuth
	case f.RDP != nil && f.RDP.Failure != "":
		r.Outcome = session.Rejected
	default:
		r.Outcome = session.AttemptOnly
	}
	// Remote: the side that is not the capturing host; when that is not
	// known, the controlling side.
	// When both ends are the capturing host (loopback), the controlled side
	// is the local one.
	local, remote := f.Server, f.Client
	cl, sl := a.isLocal(f.Client.IP), a.isLocal(f.Server.IP)
	switch {
	case cl && sl:
		if f.Controlled == "client" {
			local, remote = f.Client, f.Server
		}
	case cl:
		local, remote = f.Client, f.Server
	case sl:
	case f.Controlled == "client":
		local, remote = f.Client, f.Server
	}
	r.RemoteIP = remote.IP.String()
	r.RemotePort = uint32(remote.Port)
	r.LocalPort = uint32(local.Port)
	if f.RDP != nil {
		r.AuthMethod = f.RDP.Selected
		if f.RDP.ClientName != "" && remote == f.Client {
			r.RemoteName = f.RDP.ClientName
		}
		if f.RDP.Cookie != "" && dir == session.Incoming {
			r.LocalUser = f.RDP.Cookie
		}
	}
	if f.RFB != nil {
		if n, ok := rfbSecurityNames[f.RFB.SecurityType]; ok {
			r.AuthMethod = n
		}
		if f.RFB.Width > 0 {
			r.Display = fmt.Sprintf("%dx%d %q", f.RFB.Width, f.RFB.Height, f.RFB.DesktopName)
		}
		if f.RFB.KeyEvents+f.RFB.PointerEvents > 0 {
			r.Input = map[string]int{"key": f.RFB.KeyEvents, "pointer": f.RFB.PointerEvents}
		}
	}
	switch {
	case f.Closed == "end-of-capture" && f.Verdict == VerdictSession:
		// Still running when the capture stopped: its end is not known;
		// the last packet is only when it was last seen.
		r.End = nil
		r.Notes = append(r.Notes, "still running when the capture ended; last seen "+f.Last.UTC().Format(time.RFC3339Nano))
	case f.Closed == "end-of-capture" && r.Outcome == session.AttemptOnly && f.Proto == "tcp":
		// Open (no FIN or RST), and no failure seen, when the capture
		// stopped: the capture holds its start only, so it is not an
		// attempt that did not get in (verdict rule 8). UDP has no
		// close to miss.
		r.End, r.OutcomeUnlogged = nil, true
		r.Notes = append(r.Notes, "still open when the capture ended (no FIN or RST), last seen "+f.Last.UTC().Format(time.RFC3339Nano)+
			": no authentication result in the capture, and what followed is not in it")
	}
	r.Finish()
	r.Key = fmt.Sprintf("wire:%s:%s:%d", f.Tool, remote.IP, f.First.Unix())
	sock := &evidence.Socket{Proto: f.Proto, LocalIP: local.IP.String(), LocalPort: uint32(local.Port),
		RemoteIP: remote.IP.String(), RemotePort: uint32(remote.Port), State: f.Closed}
	add := func(ref *PacketRef, fields []string, what string) {
		if ref == nil || ref.Packet == 0 {
			return
		}
		ev := evidence.Evidence{
			Kind:     evidence.KindPacket,
			Scanner:  Parser,
			Summary:  fmt.Sprintf("%s packet %d: %s", what, ref.Packet, ref.Reason),
			Path:     a.name,
			RecordID: ref.Packet,
			Socket:   sock,
			Fields:   fields,
			Raw:      ref.Hex,
			Time:     session.T(ref.Time),
		}
		if ref.Offset > 0 {
			ev.Offset = ref.Offset
		}
		r.Evidence = append(r.Evidence, ev)
	}
	add(f.Label, []string{"tool", "remote_ip", "remote_port", "start"}, "identified by")
	if f.VerdictRef != nil && (f.Label == nil || f.VerdictRef.Packet != f.Label.Packet) {
		add(f.VerdictRef, []string{"outcome", "direction"}, "decided by")
	}
	if len(r.Evidence) == 0 {
		add(&f.FirstPacket, []string{"tool", "remote_ip", "start"}, "first packet")
	}
	r.Notes = append(r.Notes, f.Why)
	ce, _ := f.ControlledEndpoint()
	note := fmt.Sprintf("flow %d %s %s→%s, %s role, attributed by %s", f.ID, f.Proto, f.Client, f.Server, f.Role, f.By)
	if f.Name != "" {
		note += " (" + f.Name + ")"
	}
	if ce.IP.IsValid() {
		note += "; controlled side " + ce.IP.String()
	}
	if dir == session.DirectionUnknown {
		switch {
		case len(a.rep.Local) == 0:
			note += "; capturing host not known, direction undetermined"
		case !ce.IP.IsValid():
			note += "; which side would be controlled is not shown (the connection did not get that far), direction undetermined"
		default:
			note += "; neither end is the capturing host, direction undetermined"
		}
	}
	r.Notes = append(r.Notes, note)
	if f.Input {
		r.Notes = append(r.Notes, "the controlling side sent input (many small packets or RFB key/pointer events)")
	}
	return r
}

// keepAlive describes the mean spacing of payload packets per direction
// (AnyDesk idles with one small record every 15 s each way).
func (f *flowState) keepAlive() string {
	var parts []string
	for d, side := range []string{"client", "server"} {
		if f.gaps[d] >= 2 {
			parts = append(parts, fmt.Sprintf("%s every %.1f s", side, (f.gapSum[d]/time.Duration(f.gaps[d])).Seconds()))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; payload " + strings.Join(parts, ", ")
}
