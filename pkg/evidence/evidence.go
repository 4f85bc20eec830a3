// Package evidence describes where a fact came from, so a responder can go back
// to the exact process, socket, file line or event record and check it.
package evidence

import "time"

// Kind names what an evidence item points at.
type Kind string

const (
	KindProcess  Kind = "process"
	KindPackage  Kind = "package"
	KindSocket   Kind = "socket"
	KindFile     Kind = "file"
	KindLogLine  Kind = "log-line"
	KindRecord   Kind = "event-record"
	KindService  Kind = "service"
	KindRegistry Kind = "registry"
	KindPacket   Kind = "packet"
)

// Evidence points at one source of a fact. Only the fields that apply are set.
type Evidence struct {
	Kind    Kind   `json:"kind"`
	Scanner string `json:"scanner,omitempty"` // scanner or parser that read it
	Summary string `json:"summary,omitempty"` // one line a person can read

	// File-backed evidence.
	Path     string `json:"path,omitempty"`
	Line     int    `json:"line,omitempty"`      // 1-based line number in the decoded text
	Offset   int64  `json:"offset,omitempty"`    // byte offset of the line/record in the file
	RecordID uint64 `json:"record_id,omitempty"` // event log record id
	SHA256   string `json:"sha256,omitempty"`    // of the whole file, when read whole
	Raw      string `json:"raw,omitempty"`       // the raw line/record excerpt

	// Process / socket evidence.
	PID    int32   `json:"pid,omitempty"`
	Socket *Socket `json:"socket,omitempty"`

	// Registry evidence (Windows).
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`

	// Fields names the session/finding fields this item supports
	// (e.g. "start", "remote_ip"), so every field can be traced back.
	Fields []string   `json:"fields,omitempty"`
	Time   *time.Time `json:"time,omitempty"`
}

// Socket is a transport 5-tuple as seen in the socket table or on the wire.
type Socket struct {
	Proto      string `json:"proto"`
	LocalIP    string `json:"local_ip"`
	LocalPort  uint32 `json:"local_port"`
	RemoteIP   string `json:"remote_ip,omitempty"`
	RemotePort uint32 `json:"remote_port,omitempty"`
	State      string `json:"state,omitempty"`
}

// MaxRaw bounds raw excerpts so a huge line cannot bloat the report.
const MaxRaw = 512

// Clip shortens s to MaxRaw bytes, marking the cut.
func Clip(s string) string {
	if len(s) <= MaxRaw {
		return s
	}
	return s[:MaxRaw] + "…"
}
