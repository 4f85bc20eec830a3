package wire

import "time"

// Every threshold the analyzer uses. docs/wire.md lists each one with the
// capture that justifies it; change both together.

// Flow table bounds.
const (
	// DefaultMaxFlows bounds the live flow table. When it is full the least
	// recently active flow is closed out (reported with Closed "evicted"), so
	// a port scan cannot exhaust memory. ~400 B per flow: 64k flows ≈ 26 MB.
	DefaultMaxFlows = 1 << 16
	// DefaultIdleTimeout closes a flow that has been silent this long. It is
	// longer than every keep-alive period measured (AnyDesk 15 s, RustDesk
	// 12–15 s, TeamViewer bursts every 60–100 s) so idle control flows are
	// not split.
	DefaultIdleTimeout = 5 * time.Minute
	// ClosedLinger keeps a flow that saw FIN in both directions or a RST for
	// a moment so that trailing ACKs land in it, then closes it out.
	ClosedLinger = 10 * time.Second
	// expiryCheckEvery is how many packets pass between expiry sweeps.
	expiryCheckEvery = 1024
	// DefaultMaxReportedFlows bounds Report.Flows. Flows with a tool are
	// kept up to the bound; flows without one up to half of it. Every flow
	// is still passed to Options.OnFlow and counted in Report.Stats.
	DefaultMaxReportedFlows = 10000
	// MaxNames bounds the DNS/SNI name hits kept in Report.Names and the
	// resolved-address table used for attribution.
	MaxNames = 4096
	// MaxHosts bounds the per-address counters used to guess the capturing
	// host; addresses beyond it are not counted.
	MaxHosts = 8192
	// MaxAttemptRecords bounds the attempt records emitted per tool (an RDP
	// brute force can have thousands); the rest are counted in ToolReport.
	MaxAttemptRecords = 200
)

// Inspection limits.
const (
	// MaxInspectPackets is how many payload packets of a flow (both
	// directions together) are offered to the recognisers before an
	// unrecognised flow is left alone. nDPI gives up after a similar count;
	// every recogniser here decides on the first 1–4 payload packets.
	MaxInspectPackets = 24
	// TLSBufferMax bounds the TLS handshake bytes reassembled per direction:
	// the AnyDesk certificate flights are 1.1–1.5 KB, the RDP/NoMachine ones
	// under 4 KB.
	TLSBufferMax = 16 * 1024
	// TeamViewerMinFrames is how many `17 24`/`11 30` framed payloads label
	// a flow as TeamViewer off port 5938 (nDPI uses the same count; on 5938
	// one is enough).
	TeamViewerMinFrames = 4
	// SmallPayloadMax is the payload size up to which a packet counts as
	// "small" (input events, acks with data, keep-alives). AnyDesk direct:
	// 477 small packets from the controller; VNC SV-06: 450.
	SmallPayloadMax = 200
	// InputMinSmallPackets and InputMinSmallShare: the controlling side
	// "sent input" when it sent ≥ 50 small payload packets making up ≥ 1/4
	// of its packets (AnyDesk LAN controller: 477 small packets; VNC SV-06:
	// 450; a viewer that only watches sends mostly pure acks).
	InputMinSmallPackets = 50
	InputMinSmallShare   = 4 // 1/InputMinSmallShare of the side's packets
	// maxSeqJump bounds one step of TCP sequence/ack progress: bigger jumps
	// are treated as garbage (RST with a random ack, a corrupt header).
	maxSeqJump = 1 << 26
)

// Volume / timing rule for encrypted proprietary tools (network.md §3.3).
const (
	// SkipSeconds: activity in a flow's first 10 s is not counted by the
	// sustained-activity rule. The TeamViewer 5938 control flow moves ~97 KB
	// of login traffic in its first 20 s (seconds 0,1,2,3 have ≥ 2 KB).
	SkipSeconds = 10
	// WindowSeconds is the sliding window of the sustained-activity rule.
	WindowSeconds = 60
	// SustainedWindowBytes: ≥ 256 KB from one side within a 60 s window is
	// a session (AnyDesk direct 1.98 MB/22.8 s; TeamViewer UDP 520 KB/38 s;
	// idle control flows stay under 1 KB per minute).
	SustainedWindowBytes = 256 * 1024
	// ActiveSecondBytes and ActiveSeconds: ≥ 5 distinct seconds with ≥ 2 KB
	// each from one side within the window is a session too (AnyDesk relay
	// 2020: 47 such seconds; TeamViewer 5938 control: 2 after the skip).
	ActiveSecondBytes = 2 * 1024
	ActiveSeconds     = 5
	// NewFlowBurstBytes: a flow that is not a tool's control flow and moves
	// ≥ 64 KB from one side in its first 10 s is a session (a fresh relay or
	// P2P channel; the first full-screen frame). Control flows are exempt:
	// their login burst is of the same size.
	NewFlowBurstBytes = 64 * 1024
	// MinReversePackets: for TCP the other side must send ≥ 20 packets
	// (acks count) — a lone bulk push with nobody reading is not a session.
	// Not applied to UDP: the TeamViewer UDP capture holds one outbound
	// datagram.
	MinReversePackets = 20
)

// Protocol-marker thresholds.
const (
	// RDPSessionServerBytes: after the X.224 Connection Confirm (TLS/NLA)
	// or the MCS Connect Response (standard security) the server must send
	// ≥ 20 KB for the session to count as established: graphics follow a
	// successful logon within seconds (Zeek NLA ok 71 KB in 3.7 s, failed
	// 1.6 KB; std security :1312 77 KB). Handshake-only traces stay < 5 KB.
	RDPSessionServerBytes = 20 * 1024
	// RFBEncryptedSessionBytes: for RealVNC's encrypted RFB 004.x, where no
	// SecurityResult is visible, the server must send ≥ 64 KB after the
	// banners (vnc.pcap: 490 KB by the client's acks in 16 s).
	RFBEncryptedSessionBytes = 64 * 1024
)
