// Package inventory holds what scanners saw on a host, before any signature is
// applied. Scanners fill it; the matcher reads it.
package inventory

import (
	"slices"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// Process is one running process.
type Process struct {
	PID       int32      `json:"pid"`
	PPID      int32      `json:"ppid"`
	Name      string     `json:"name"`
	Exe       string     `json:"exe,omitempty"`
	Cmdline   string     `json:"cmdline,omitempty"`
	Args      []string   `json:"-"`
	User      string     `json:"user,omitempty"`
	SessionID *uint32    `json:"session_id,omitempty"` // Windows terminal session
	Started   *time.Time `json:"started,omitempty"`
	SHA256    string     `json:"sha256,omitempty"`
	// Errors lists attributes that could not be read (e.g. "exe: permission denied").
	Errors []string `json:"errors,omitempty"`
}

// Package is installed software as the OS records it.
type Package struct {
	Manager     string     `json:"manager"` // dpkg, rpm, windows-uninstall, msix, macos-bundle
	Name        string     `json:"name"`
	Version     string     `json:"version,omitempty"`
	Publisher   string     `json:"publisher,omitempty"`
	Location    string     `json:"location,omitempty"`
	InstallDate *time.Time `json:"install_date,omitempty"`
	// BundleID for macOS bundles; Key for Windows uninstall keys.
	BundleID string `json:"bundle_id,omitempty"`
	Source   string `json:"source"` // database file / registry key it came from
	Line     int    `json:"line,omitempty"`
	// Files lists package-owned executables when the database says (dpkg .list).
	Files []string `json:"-"`
}

// Socket is one row of the host's socket table.
type Socket struct {
	evidence.Socket
	PID int32 `json:"pid"` // 0 when unknown
	// PIDUnknown is true when the owner could not be read (not root, Windows UDP…).
	PIDUnknown bool `json:"pid_unknown,omitempty"`
}

// File is a file of interest found on disk (portable binary, bundle, config).
type File struct {
	Path     string     `json:"path"`
	Size     int64      `json:"size"`
	SHA256   string     `json:"sha256,omitempty"`
	Modified *time.Time `json:"modified,omitempty"`
	Created  *time.Time `json:"created,omitempty"`
	// PE metadata and signer (Windows binaries).
	OriginalFilename string `json:"original_filename,omitempty"`
	CompanyName      string `json:"company_name,omitempty"`
	ProductName      string `json:"product_name,omitempty"`
	FileVersion      string `json:"file_version,omitempty"`
	Signer           string `json:"signer,omitempty"`
	// BundleID for macOS app bundles.
	BundleID string `json:"bundle_id,omitempty"`
	Reason   string `json:"reason,omitempty"` // why it was looked at (glob, running image…)
	// Tool and Rule are set when the file was found through a signature's
	// own path list (signature id, e.g. "paths.install.linux").
	Tool string `json:"tool,omitempty"`
	Rule string `json:"rule,omitempty"`
}

// Service is an OS service / daemon definition.
type Service struct {
	Manager     string `json:"manager"` // windows-scm, systemd, launchd
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	ImagePath   string `json:"image_path,omitempty"`
	StartType   string `json:"start_type,omitempty"`
	State       string `json:"state,omitempty"`
	Source      string `json:"source,omitempty"`
	// Details are parsed from the definition, e.g. a ScreenConnect client
	// service's relay host "h" and port "p" from its ImagePath.
	Details map[string]string `json:"details,omitempty"`
}

// Execution is a record that a program ran at some time (Prefetch, Amcache, BAM).
type Execution struct {
	Name     string      `json:"name"`
	Path     string      `json:"path,omitempty"`
	RunCount int         `json:"run_count,omitempty"`
	Times    []time.Time `json:"times,omitempty"`
	Source   string      `json:"source"`
	// Kind is the artifact: ExecPrefetch (times: its last run times),
	// ExecBAM (time: its last execution) or ExecAmcache (time: when the
	// entry was last written, not a run).
	Kind string `json:"kind,omitempty"`
}

// Execution kinds.
const (
	ExecPrefetch = "prefetch"
	ExecBAM      = "bam"
	ExecAmcache  = "amcache"
)

// RunTimes are the times e says the program ran (Prefetch run times, BAM's
// last execution); nil for an Amcache entry, whose time is not a run.
func (e *Execution) RunTimes() []time.Time {
	if e.Kind == ExecPrefetch || e.Kind == ExecBAM {
		return e.Times
	}
	return nil
}

// Flow is a remote-access tool's network conversation seen on the wire.
type Flow struct {
	Tool       string            `json:"tool"`
	Role       string            `json:"role"`    // control, relay, direct
	Verdict    string            `json:"verdict"` // session, idle, attempt
	Why        string            `json:"why"`
	Protocol   string            `json:"protocol,omitempty"`
	By         string            `json:"by,omitempty"` // what attributed it: protocol, sni, dns, port…
	Controlled string            `json:"controlled,omitempty"`
	Socket     evidence.Socket   `json:"socket"` // client → server
	First      time.Time         `json:"first"`
	Last       time.Time         `json:"last"`
	Bytes      [2]uint64         `json:"bytes"` // client→server, server→client
	Packets    [2]uint64         `json:"packets"`
	Evidence   evidence.Evidence `json:"evidence"`
}

// LogFile records one tool log that was read (or could not be), so the verdict
// knows which session sources were actually covered.
type LogFile struct {
	Tool     string     `json:"tool"`
	Parser   string     `json:"parser"`
	Path     string     `json:"path"`
	SHA256   string     `json:"sha256,omitempty"`
	Size     int64      `json:"size"`
	Modified *time.Time `json:"modified,omitempty"`
	Lines    int        `json:"lines,omitempty"`
	Records  int        `json:"records,omitempty"`
	// FirstTime/LastTime bound what the log covers.
	FirstTime *time.Time `json:"first_time,omitempty"`
	LastTime  *time.Time `json:"last_time,omitempty"`
	Status    string     `json:"status"` // ok, partial, unreadable, unrecognised, unparsed
	Errors    []string   `json:"errors,omitempty"`
	// Found is how the path was found ("signature", "process -o flag", "argument").
	Found string `json:"found,omitempty"`
	// Shared is true for a log that several tools write to (an event log):
	// its presence says nothing about this tool; only its records do.
	Shared bool `json:"shared,omitempty"`
	// Compressed names the compression of a rotated log ("gzip"): its
	// evidence's line numbers and offsets are in the decompressed text;
	// sha256 and size are the file's own.
	Compressed string `json:"compressed,omitempty"`
	// Cleared lists the records in this log saying that a log was cleared
	// (Security 1102, System 104): what the cleared log held before is gone.
	Cleared []session.Clear `json:"cleared,omitempty"`
}

// Cleared is every "log cleared" record in the logs read, once each (an
// event log read for several tools is listed once per tool).
func (inv *Inventory) Cleared() []session.Clear {
	var out []session.Clear
	seen := map[string]bool{}
	for _, l := range inv.Logs {
		if len(l.Cleared) > 0 && !seen[l.Path] {
			seen[l.Path] = true
			out = append(out, l.Cleared...)
		}
	}
	return out
}

// FileEvidence is the log file as evidence (its path, hash and last write),
// as read by scanner.
func (l LogFile) FileEvidence(scanner, summary string) evidence.Evidence {
	return evidence.Evidence{Kind: evidence.KindFile, Scanner: scanner, Path: l.Path, SHA256: l.SHA256, Summary: summary, Time: l.Modified}
}

// ScannerStatus says how completely a scanner ran.
type ScannerStatus struct {
	Name   string   `json:"name"`
	Status string   `json:"status"` // ok | partial | failed | skipped
	Reason string   `json:"reason,omitempty"`
	Errors []string `json:"errors,omitempty"`
	Items  int      `json:"items"`
	// Unreadable counts items that were seen but not fully read.
	Unreadable int    `json:"unreadable,omitempty"`
	Elapsed    string `json:"elapsed,omitempty"`
	// Notes say what the scanner assumed that the findings depend on (a
	// capture: which addresses were taken as this host, and why).
	Notes []string `json:"notes,omitempty"`
}

// Scanner statuses.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	// StatusUnparsed (logs[] only): a log of the tool that no parser reads
	// (the signature's unparsed entries). It was hashed and dated; the
	// sessions it may hold were not read.
	StatusUnparsed = "unparsed"
)

// Inventory is everything the scanners collected.
type Inventory struct {
	Processes  []Process        `json:"processes,omitempty"`
	Packages   []Package        `json:"packages,omitempty"`
	Sockets    []Socket         `json:"sockets,omitempty"`
	Files      []File           `json:"files,omitempty"`
	Services   []Service        `json:"services,omitempty"`
	Executions []Execution      `json:"executions,omitempty"`
	Logs       []LogFile        `json:"logs,omitempty"`
	Sessions   []session.Record `json:"sessions,omitempty"`
	Flows      []Flow           `json:"flows,omitempty"`
	Statuses   []ScannerStatus  `json:"scanners"`
}

// Merge appends o into inv.
func (inv *Inventory) Merge(o Inventory) {
	inv.Processes = merge(inv.Processes, o.Processes)
	inv.Packages = merge(inv.Packages, o.Packages)
	inv.Sockets = merge(inv.Sockets, o.Sockets)
	inv.Files = merge(inv.Files, o.Files)
	inv.Services = merge(inv.Services, o.Services)
	inv.Executions = merge(inv.Executions, o.Executions)
	inv.Logs = merge(inv.Logs, o.Logs)
	inv.Sessions = merge(inv.Sessions, o.Sessions)
	inv.Flows = merge(inv.Flows, o.Flows)
	inv.Statuses = merge(inv.Statuses, o.Statuses)
}

// merge appends src to dst. Into an empty dst it takes src itself instead of
// copying it (a capture's thousands of flows and records are large values),
// clipped so that a later append to one never writes into the other.
func merge[T any](dst, src []T) []T {
	if len(dst) == 0 && len(src) > 0 {
		return slices.Clip(src)
	}
	return append(dst, src...)
}

// ProcessByPID finds a process, or nil.
func (inv *Inventory) ProcessByPID(pid int32) *Process {
	for i := range inv.Processes {
		if inv.Processes[i].PID == pid {
			return &inv.Processes[i]
		}
	}
	return nil
}
