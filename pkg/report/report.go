// Package report is the evidence document ratwatch writes: what was scanned,
// how completely, what was found, and the verdict. Its JSON form is described
// by docs/schema/report.schema.json; SchemaVersion follows SchemaVer
// (MODEL.REVISION.ADDITION).
package report

import (
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// SchemaVersion of the JSON document.
const SchemaVersion = "1.0.6"

// Report is one scan's result.
type Report struct {
	SchemaVersion string                    `json:"schema_version"`
	Tool          ToolInfo                  `json:"tool"`
	Scan          ScanInfo                  `json:"scan"`
	Host          HostInfo                  `json:"host"`
	Scanners      []inventory.ScannerStatus `json:"scanners"`
	Verdict       Verdict                   `json:"verdict"`
	Findings      []Finding                 `json:"findings"`
	// Logs lists every log and event-log file read, including those that
	// showed no session (they are what makes "not established" trustworthy).
	Logs []inventory.LogFile `json:"logs"`
	// Counts of what the scanners saw, tool or not.
	Counts   Counts `json:"counts"`
	ExitCode int    `json:"exit_code"`
	// Audit is set by `ratwatch audit` only.
	Audit *AuditInfo `json:"audit,omitempty"`
}

// ToolInfo identifies ratwatch itself.
type ToolInfo struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	Commit            string `json:"commit"`
	SignaturesVersion string `json:"signatures_version"`
}

// ScanInfo describes the run.
type ScanInfo struct {
	ID         string     `json:"id"`
	Command    string     `json:"command"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Source     SourceInfo `json:"source"`
	Privileges Privileges `json:"privileges"`
	// Timezone used for logs that write local time without an offset.
	Timezone string `json:"timezone"`
	// TimezoneFrom says where it came from: "--tz", this machine's zone,
	// or the image's (SYSTEM hive, /etc/localtime), or why it is not known.
	TimezoneFrom string   `json:"timezone_from,omitempty"`
	Inputs       []string `json:"inputs,omitempty"`
}

// SourceInfo says what was inspected.
type SourceInfo struct {
	Kind string `json:"kind"` // live | directory | files | capture
	Root string `json:"root,omitempty"`
	OS   string `json:"os"`
}

// Privileges the scan ran with.
type Privileges struct {
	User     string `json:"user"`
	UID      string `json:"uid,omitempty"`
	Elevated bool   `json:"elevated"`
}

// HostInfo describes the scanned host (live) or what is known of the image.
type HostInfo struct {
	Name            string     `json:"name,omitempty"`
	OS              string     `json:"os"`
	Platform        string     `json:"platform,omitempty"`
	PlatformVersion string     `json:"platform_version,omitempty"`
	Kernel          string     `json:"kernel,omitempty"`
	Arch            string     `json:"arch,omitempty"`
	BootTime        *time.Time `json:"boot_time,omitempty"`
	Users           []string   `json:"users,omitempty"`
}

// Counts summarises the inventory.
type Counts struct {
	Processes int `json:"processes"`
	Sockets   int `json:"sockets"`
	Packages  int `json:"packages"`
	Services  int `json:"services"`
	Files     int `json:"files"`
	Logs      int `json:"logs"`
	Sessions  int `json:"sessions"` // records as read, before joining
}

// Host verdict values (design/verdict.md).
const (
	Established    = "established"
	NotEstablished = "not_established"
	Indeterminate  = "indeterminate"
)

// Verdict is the host-level answer: was this PC remote-controlled?
type Verdict struct {
	RemoteControl string `json:"remote_control"` // established | not_established | indeterminate
	// Leak: "must be assumed", "not through remote control", "cannot be excluded".
	Leak    string   `json:"leak"`
	Summary string   `json:"summary"` // plain words for the responder
	Reasons []string `json:"reasons"`
	// Level is the highest tool state on the host ("none" when no tool).
	Level            string   `json:"level"`
	Tools            []string `json:"tools"`
	IncomingSessions int      `json:"incoming_sessions"`
	ActiveSessions   int      `json:"active_sessions"`
	Attempts         int      `json:"attempts"`
	OutgoingSessions int      `json:"outgoing_sessions"`
	// OutgoingAttempts counts the outgoing records that did not get in
	// (findings[].outgoing_sessions lists both; each has its outcome).
	OutgoingAttempts int `json:"outgoing_attempts,omitempty"`
	// FileTransfers counts the transfers of incoming sessions not known to
	// have failed; FailedTransfers those the log says did not complete.
	FileTransfers   int `json:"file_transfers"`
	FailedTransfers int `json:"failed_file_transfers,omitempty"`
	// Incomplete lists what the scan could not read that bears on the verdict.
	Incomplete []string `json:"incomplete,omitempty"`
}

// Tool states, lowest to highest (design/verdict.md). "installed" refines
// "present": the OS records an installation (package, Uninstall key, service).
var States = []string{"present", "installed", "executed", "running", "connected", "attempted", "session-past", "session-active"}

// StateRank orders states; -1 for none.
func StateRank(s string) int {
	for i, x := range States {
		if x == s {
			return i
		}
	}
	return -1
}

// Condition values.
const (
	Met     = "met"
	NotMet  = "not_met"
	Unknown = "unknown"
)

// Condition is one of IPA's three conditions with what decided it.
type Condition struct {
	Status   string              `json:"status"` // met | not_met | unknown
	Reason   string              `json:"reason"`
	Evidence []evidence.Evidence `json:"evidence,omitempty"`
}

// Conditions are IPA's three conditions for remote control.
type Conditions struct {
	// Running: the tool runs in a state that accepts control.
	Running Condition `json:"running"`
	// Online: the PC can communicate (listening / connected to a relay).
	Online Condition `json:"online"`
	// Session: the other side connected in (the result of knowing ID/password).
	Session Condition `json:"session"`
}

// ToolRef names the tool.
type ToolRef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Vendor   string `json:"vendor"`
	Category string `json:"category"`
	ScamUse  bool   `json:"scam_use"`
}

// Match is one observation tied to the tool, with its explanation.
type Match struct {
	Kind     string              `json:"kind"` // process, package, service, file, socket, execution, log
	Hits     []signature.Hit     `json:"hits,omitempty"`
	Why      string              `json:"why"`
	Evidence []evidence.Evidence `json:"evidence"`
	// Role for processes: server, client, session; for sockets: listening,
	// inbound, outbound.
	Role string `json:"role,omitempty"`
	// Network role for sockets: relay / direct / listen / unknown.
	NetRole string `json:"net_role,omitempty"`
	// Process is set on process matches: the process as the scanner saw it.
	Process *Process `json:"process,omitempty"`
	// Details are facts the scanner read out of the item, e.g. the relay
	// host and port in a ScreenConnect service's ImagePath.
	Details map[string]string `json:"details,omitempty"`
}

// Process describes a matched process.
type Process struct {
	PID       int32      `json:"pid"`
	PPID      int32      `json:"ppid"`
	Name      string     `json:"name"`
	Exe       string     `json:"exe,omitempty"`
	Cmdline   string     `json:"cmdline,omitempty"`
	User      string     `json:"user,omitempty"`
	SessionID *uint32    `json:"session_id,omitempty"`
	Started   *time.Time `json:"started,omitempty"`
	SHA256    string     `json:"sha256,omitempty"`
}

// Finding is everything known about one tool on the host.
type Finding struct {
	Tool          ToolRef          `json:"tool"`
	State         string           `json:"state"`
	States        []string         `json:"states"`
	Verdict       string           `json:"verdict"`
	VerdictReason string           `json:"verdict_reason"`
	Conditions    Conditions       `json:"conditions"`
	Incoming      []session.Record `json:"incoming_sessions"`
	Attempts      []session.Record `json:"attempts"`
	Outgoing      []session.Record `json:"outgoing_sessions"`
	// Undirected are established sessions whose controlled side is unknown
	// (e.g. a capture where the PC's address could not be told).
	Undirected []session.Record `json:"undirected_sessions,omitempty"`
	Matches    []Match          `json:"matches"`
	// OSComponentOnly: the tool ships with the OS (its signature's
	// builtin) and nothing but its service or package was found. The
	// finding is listed, and not counted as a tool found: not in the host
	// verdict's tools and level, not in the exit code (verdict rule 12).
	OSComponentOnly bool                `json:"os_component_only,omitempty"`
	Logs            []inventory.LogFile `json:"logs,omitempty"`
	Timeline        []TimelineEvent     `json:"timeline"`
	// Suppressed holds matches dropped by an allow-list, with the rule.
	Suppressed []Suppressed `json:"suppressed,omitempty"`
	// Audit is the policy and baseline judgement, set by `ratwatch audit` only.
	Audit *FindingAudit `json:"audit,omitempty"`
}

// SessionGroups names a finding's session lists, in the order of Lists.
var SessionGroups = [4]string{"incoming", "attempt", "outgoing", "undirected"}

// Lists returns the finding's session lists in SessionGroups order.
func (f *Finding) Lists() [4][]session.Record {
	return [4][]session.Record{f.Incoming, f.Attempts, f.Outgoing, f.Undirected}
}

// Lists returns the per-session judgements in SessionGroups order.
func (a *FindingAudit) Lists() [4][]ItemAudit {
	return [4][]ItemAudit{a.Incoming, a.Attempts, a.Outgoing, a.Undirected}
}

// Suppressed is a finding part an audit policy allowed; it is kept, not dropped.
type Suppressed struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// TimelineEvent is one dated event in a finding's history.
type TimelineEvent struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"` // installed, process-start, executed, log-written, log-cleared, session-start/-end, outgoing-start/-end, undirected-start/-end, attempt, transfer
	Detail string    `json:"detail"`
	Source string    `json:"source,omitempty"`
}

// OfSession tells whether the event was made from a session record (its
// start, end, a transfer, an attempt), not from the tool's presence.
func (e TimelineEvent) OfSession() bool {
	switch e.Event {
	case "session-start", "session-end", "outgoing-start", "outgoing-end", "undirected-start", "undirected-end", "attempt", "transfer":
		return true
	}
	return false
}

// Audit judgement (`ratwatch audit`, pkg/audit). These fields are set only
// by an audit; a scan leaves them empty.

// Audit change values: what a baseline comparison says of an item.
const (
	ChangeNew       = "new"
	ChangeChanged   = "changed"
	ChangeUnchanged = "unchanged"
	ChangeGone      = "gone"
)

// FindingAudit is an audit's judgement of one finding: is it allowed by the
// policy (and by which entries), and what changed since the last audit.
type FindingAudit struct {
	// Fingerprint is stable across runs: tool id and kind only.
	Fingerprint string     `json:"fingerprint"`
	Change      string     `json:"change"` // new | changed | unchanged
	Changes     []string   `json:"changes,omitempty"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	// Allowed is true when policy entries cover every part of the finding
	// (the tool's presence, each process, each incoming session and attempt).
	Allowed   bool       `json:"allowed"`
	AllowedBy []AllowRef `json:"allowed_by,omitempty"`
	// Expired lists entries that would allow (part of) the finding but have
	// expired: they no longer allow.
	Expired []AllowRef `json:"expired,omitempty"`
	// NotAllowed says, in words, which parts no entry covers.
	NotAllowed []string `json:"not_allowed,omitempty"`
	// Per-session judgements, index-aligned with the finding's
	// incoming_sessions, attempts, outgoing_sessions and
	// undirected_sessions (judged as incoming ones: they may have been).
	Incoming   []ItemAudit `json:"incoming_sessions,omitempty"`
	Attempts   []ItemAudit `json:"attempts,omitempty"`
	Outgoing   []ItemAudit `json:"outgoing_sessions,omitempty"`
	Undirected []ItemAudit `json:"undirected_sessions,omitempty"`
}

// ItemAudit is an audit's judgement of one session or attempt.
type ItemAudit struct {
	Fingerprint string     `json:"fingerprint"`
	Change      string     `json:"change"` // new | changed | unchanged
	Changes     []string   `json:"changes,omitempty"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	Allowed     bool       `json:"allowed"`
	AllowedBy   []AllowRef `json:"allowed_by,omitempty"`
	Expired     []AllowRef `json:"expired,omitempty"`
	// NotAllowed (finding lines of NDJSON) says which parts no entry covers.
	NotAllowed []string `json:"not_allowed,omitempty"`
}

// AllowRef names the policy entry that allowed (or, expired, no longer
// allows) something.
type AllowRef struct {
	ID       string `json:"id"`     // the entry's id, or file:line when it has none
	Policy   string `json:"policy"` // file:line of the entry
	Tool     string `json:"tool"`
	Instance string `json:"instance,omitempty"` // kind=value, e.g. anydesk_id=123456789
	Reason   string `json:"reason"`
	Expires  string `json:"expires"` // YYYY-MM-DD, RFC 3339 time, or "never"
	Note     string `json:"note,omitempty"`
}

// AuditInfo is the audit's summary for the whole host.
type AuditInfo struct {
	Policy       string       `json:"policy,omitempty"`
	PolicySHA256 string       `json:"policy_sha256,omitempty"`
	StateDir     string       `json:"state_dir"`
	Baseline     BaselineInfo `json:"baseline"`
	Counts       AuditCounts  `json:"counts"`
	// Gone lists findings and sessions seen by the last audit and not now.
	Gone []GoneItem `json:"gone,omitempty"`
	// ExpiredEntries lists every expired policy entry, whether or not it
	// matched anything, so stale entries get reviewed.
	ExpiredEntries []AllowRef `json:"expired_entries,omitempty"`
	Notes          []string   `json:"notes,omitempty"`
}

// BaselineInfo describes the baseline the audit compared against.
type BaselineInfo struct {
	Path string `json:"path"`
	// FirstRun is true when there was no baseline: everything is new.
	FirstRun  bool       `json:"first_run"`
	ScanID    string     `json:"scan_id,omitempty"`
	WrittenAt *time.Time `json:"written_at,omitempty"`
}

// AuditCounts summarise the judgement.
type AuditCounts struct {
	Findings   int `json:"findings"`
	Allowed    int `json:"allowed"`
	NotAllowed int `json:"not_allowed"`
	New        int `json:"new"`
	Changed    int `json:"changed"`
	Gone       int `json:"gone"`
	// NewSessions counts incoming sessions and attempts new since the baseline.
	NewSessions int `json:"new_sessions"`
}

// GoneItem is something the last audit saw that this one does not.
type GoneItem struct {
	Fingerprint string            `json:"fingerprint"`
	Kind        string            `json:"kind"` // finding | session
	Tool        string            `json:"tool"`
	Label       string            `json:"label"`
	FirstSeen   *time.Time        `json:"first_seen,omitempty"`
	LastSeen    *time.Time        `json:"last_seen,omitempty"`
	Last        map[string]string `json:"last,omitempty"` // attributes when last seen
	// Sessions: a tool gone with its sessions lists them here (their
	// labels, at most 50 and "… and N more"): logs that vanish with a tool
	// are worth seeing one by one.
	Sessions []string `json:"sessions,omitempty"`
}
