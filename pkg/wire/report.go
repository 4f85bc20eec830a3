package wire

import (
	"net/netip"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
)

// Verdict is what a flow, or a tool over all its flows, amounts to.
type Verdict string

const (
	// VerdictSession: a remote-control session was established (screen data
	// flowed, or a protocol marker proves the desktop was handed over).
	VerdictSession Verdict = "session"
	// VerdictIdle: only the tool's control / keep-alive channel was seen:
	// the tool was running and online, nobody connected.
	VerdictIdle Verdict = "idle"
	// VerdictAttempt: a connection was tried and did not get a desktop:
	// handshake only, failed authentication, refused, scanner or probe.
	VerdictAttempt Verdict = "attempt"
)

// rank orders verdicts for aggregation: session > attempt > idle.
func (v Verdict) rank() int {
	switch v {
	case VerdictSession:
		return 3
	case VerdictAttempt:
		return 2
	case VerdictIdle:
		return 1
	}
	return 0
}

// Role is what a tool flow is for.
type Role string

const (
	RoleControl Role = "control" // long-lived channel to the vendor's rendezvous/router
	RoleRelay   Role = "relay"   // session data through vendor infrastructure
	RoleDirect  Role = "direct"  // peer to peer (LAN, hole-punched, or a listening server)
)

// Protocol labels (Flow.Protocol).
const (
	ProtoTLS           = "tls"
	ProtoHTTP          = "http"
	ProtoDNS           = "dns"
	ProtoTeamViewer    = "teamviewer"
	ProtoRDP           = "rdp"
	ProtoRDPEUDP       = "rdpeudp"
	ProtoRFB           = "rfb"
	ProtoRustDesk      = "rustdesk"
	ProtoScreenConnect = "screenconnect"
	ProtoNoMachine     = "nomachine"
	ProtoRadmin        = "radmin"
	ProtoSplashtop     = "splashtop"
	ProtoCitrixICA     = "citrix-ica"
)

// Tool ids the protocol recognisers assign. They are signature ids where one
// exists; "vnc" stands for any RFB server (tigervnc, x11vnc, realvnc… — the
// process scanner knows which) and is refined to realvnc for RFB 004.x.
const (
	ToolAnyDesk       = "anydesk"
	ToolTeamViewer    = "teamviewer"
	ToolRustDesk      = "rustdesk"
	ToolScreenConnect = "screenconnect"
	ToolRDP           = "windows-rdp"
	ToolVNC           = "vnc"
	ToolRealVNC       = "realvnc"
	ToolAppleARD      = "apple-remote-desktop"
	ToolNoMachine     = "nomachine"
	ToolRadmin        = "radmin"
	ToolSplashtop     = "splashtop"
	ToolCitrix        = "citrix"
)

// How a flow was attributed to its tool (Flow.By), strongest first.
const (
	ByProtocol = "protocol" // the tool's own wire bytes (magic, banner, cert, ALPN)
	BySNI      = "sni"      // TLS server name matched a signature domain
	ByHTTP     = "http"     // HTTP Host / User-Agent
	ByDNS      = "dns"      // an endpoint was resolved from a signature domain
	ByIPRange  = "ip-range" // a published vendor address range (weak)
	ByPort     = "port"     // a signature port only (weak)
)

// Endpoint is an address and port.
type Endpoint struct {
	IP   netip.Addr `json:"ip"`
	Port uint16     `json:"port"`
}

func (e Endpoint) String() string { return netip.AddrPortFrom(e.IP, e.Port).String() }

// PacketRef points at one packet of the capture.
type PacketRef struct {
	Packet uint64    `json:"packet"`           // 1-based packet number (Wireshark's frame number)
	Offset int64     `json:"offset"`           // byte offset of the packet record in the file
	Time   time.Time `json:"time"`             // capture timestamp
	Reason string    `json:"reason,omitempty"` // what this packet showed
	Hex    string    `json:"hex,omitempty"`    // the deciding bytes (≤ 32)
}

// TLSInfo is what the cleartext TLS handshake showed.
type TLSInfo struct {
	Version    string   `json:"version,omitempty"`
	SNI        string   `json:"sni,omitempty"`
	ALPN       []string `json:"alpn,omitempty"`
	ClientCert string   `json:"client_cert,omitempty"` // subject of the client's leaf certificate
	ServerCert string   `json:"server_cert,omitempty"` // subject of the server's leaf certificate
	ServerCA   string   `json:"server_issuer,omitempty"`
	Finished   bool     `json:"handshake_done"` // ChangeCipherSpec / application data seen both ways
}

// RDPInfo is what the RDP connection sequence showed.
type RDPInfo struct {
	Cookie        string `json:"cookie,omitempty"` // mstshash user name
	Requested     uint32 `json:"requested_protocols"`
	Selected      string `json:"security,omitempty"` // RDP, SSL, HYBRID, HYBRID_EX, RDSTLS
	Failure       string `json:"failure,omitempty"`  // RDP_NEG_FAILURE code
	ClientName    string `json:"client_name,omitempty"`
	ClientBuild   uint32 `json:"client_build,omitempty"`
	DesktopWidth  uint16 `json:"desktop_width,omitempty"`
	DesktopHeight uint16 `json:"desktop_height,omitempty"`
	MCSResult     string `json:"mcs_result,omitempty"` // "success" or the failure code
}

// RFBInfo is what the RFB handshake showed.
type RFBInfo struct {
	ServerVersion  string `json:"server_version,omitempty"`
	ClientVersion  string `json:"client_version,omitempty"`
	SecurityType   int    `json:"security_type,omitempty"`
	Auth           string `json:"auth,omitempty"` // "ok", "failed" or "" (not seen)
	FailReason     string `json:"fail_reason,omitempty"`
	DesktopName    string `json:"desktop_name,omitempty"`
	Width          uint16 `json:"width,omitempty"`
	Height         uint16 `json:"height,omitempty"`
	KeyEvents      int    `json:"key_events"`
	PointerEvents  int    `json:"pointer_events"`
	UpdateRequests int    `json:"update_requests"`
}

// TeamViewerInfo lists the TeamViewer commands seen.
type TeamViewerInfo struct {
	Commands map[string]int `json:"commands"`
}

// Flow is one transport conversation.
type Flow struct {
	ID          uint64    `json:"id"` // in order of first packet
	Proto       string    `json:"proto"`
	Client      Endpoint  `json:"client"`
	Server      Endpoint  `json:"server"`
	OrientedBy  string    `json:"oriented_by"` // syn, syn-ack, port, first-packet
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	FirstPacket PacketRef `json:"first_packet"`

	// Per direction: [0] client→server, [1] server→client.
	Packets [2]uint64 `json:"packets"`
	// Bytes is transport payload as announced by the IP headers.
	Bytes [2]uint64 `json:"bytes"`
	// SeqBytes is TCP sequence progress (data sent as proven by sequence and
	// acknowledgement numbers): it counts data the capture missed.
	SeqBytes [2]uint64 `json:"seq_bytes,omitempty"`
	// Small counts payload packets of 1..SmallPayloadMax bytes.
	Small  [2]uint64 `json:"small"`
	Closed string    `json:"closed"` // fin, rst, idle-timeout, evicted, end-of-capture

	Protocol string     `json:"protocol,omitempty"`
	Label    *PacketRef `json:"label,omitempty"` // the packet that decided Protocol/Tool
	Tool     string     `json:"tool,omitempty"`
	By       string     `json:"by,omitempty"`
	Name     string     `json:"name,omitempty"` // the DNS/SNI/HTTP name that attributed it
	Role     Role       `json:"role,omitempty"`

	Verdict    Verdict    `json:"verdict,omitempty"`
	Why        string     `json:"why,omitempty"`
	VerdictRef *PacketRef `json:"verdict_packet,omitempty"`
	// Controlled is the side that was (or would have been) controlled:
	// "server" or "client"; bulk sender for proprietary tools.
	Controlled string `json:"controlled,omitempty"`
	// Input is true when the other side sent many small packets or RFB
	// key/pointer events: it drove the desktop, not only watched.
	Input bool `json:"input,omitempty"`

	TLS        *TLSInfo        `json:"tls,omitempty"`
	RDP        *RDPInfo        `json:"rdp,omitempty"`
	RFB        *RFBInfo        `json:"rfb,omitempty"`
	TeamViewer *TeamViewerInfo `json:"teamviewer,omitempty"`
	Detail     string          `json:"detail,omitempty"` // other protocol facts (RustDesk message, HTTP UA…)
}

// Duration of the flow.
func (f *Flow) Duration() time.Duration { return f.Last.Sub(f.First) }

// Volume returns the bytes sent by side d (0 client, 1 server): the larger of
// payload bytes and TCP sequence progress.
func (f *Flow) Volume(d int) uint64 { return max(f.Bytes[d], f.SeqBytes[d]) }

// ControlledEndpoint returns the controlled side's endpoint, if decided.
func (f *Flow) ControlledEndpoint() (Endpoint, bool) {
	switch f.Controlled {
	case "client":
		return f.Client, true
	case "server":
		return f.Server, true
	}
	return Endpoint{}, false
}

// NameHit is a DNS answer or TLS SNI / HTTP Host that matched a signature.
type NameHit struct {
	Tool   string       `json:"tool"`
	Name   string       `json:"name"`
	Source string       `json:"source"` // dns, sni, http
	Addrs  []netip.Addr `json:"addrs,omitempty"`
	Client netip.Addr   `json:"client"` // who asked
	Ref    PacketRef    `json:"packet"`
}

// ToolReport is the verdict for one tool over all its flows.
type ToolReport struct {
	Tool      string            `json:"tool"`
	Verdict   Verdict           `json:"verdict"`
	Direction session.Direction `json:"direction"` // of the session(s), or of the attempts
	Flows     []uint64          `json:"flows"`     // Flow.IDs
	Sessions  int               `json:"sessions"`
	Attempts  int               `json:"attempts"`
	Idle      int               `json:"idle"`
	Names     []string          `json:"names,omitempty"`
	// AttemptsNotRecorded counts attempts beyond MaxAttemptRecords.
	AttemptsNotRecorded int `json:"attempts_not_recorded,omitempty"`
}

// Stats counts what was read.
type Stats struct {
	Packets      uint64 `json:"packets"`
	Bytes        uint64 `json:"bytes"` // captured bytes
	Decoded      uint64 `json:"decoded"`
	NotIP        uint64 `json:"not_tcp_udp"`
	Fragments    uint64 `json:"fragments"`
	Malformed    uint64 `json:"malformed"`
	UnknownLink  uint64 `json:"unknown_link_type"`
	Flows        uint64 `json:"flows"`
	Evicted      uint64 `json:"evicted"`
	FlowsOmitted uint64 `json:"flows_not_in_report"`
	MaxLiveFlows int    `json:"max_live_flows"`
}

// Report is the result of analysing one capture.
type Report struct {
	Name   string    `json:"name"`
	Format string    `json:"format,omitempty"`
	First  time.Time `json:"first,omitempty"`
	Last   time.Time `json:"last,omitempty"`
	Stats  Stats     `json:"stats"`
	// Local is the capturing host (the PC under investigation) as given in
	// Options.LocalIPs or inferred; LocalBy says how.
	Local    []netip.Addr     `json:"local,omitempty"`
	LocalBy  string           `json:"local_by,omitempty"`
	Flows    []*Flow          `json:"flows"`
	Names    []NameHit        `json:"names,omitempty"`
	Tools    []ToolReport     `json:"tools"`
	Records  []session.Record `json:"records"`
	Warnings []string         `json:"warnings,omitempty"`
	// Error is set when the capture could not be read to its end; what was
	// read before it is still analysed.
	Error string `json:"error,omitempty"`
}

// Tool returns the report for one tool id, or nil.
func (r *Report) Tool(id string) *ToolReport {
	for i := range r.Tools {
		if r.Tools[i].Tool == id {
			return &r.Tools[i]
		}
	}
	return nil
}

// Flow returns the flow with the given id, or nil.
func (r *Report) Flow(id uint64) *Flow {
	for _, f := range r.Flows {
		if f.ID == id {
			return f
		}
	}
	return nil
}
