// Package match ties what the scanners saw to tools, using the signatures.
// Every match carries its explanation: the rule, the pattern, the observed
// value and the evidence (grype-style).
package match

import (
	"fmt"
	"net"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

// MaxFlowMatches bounds the wire flows listed per tool.
const MaxFlowMatches = 100

// Process roles.
const (
	RoleServer  = "server"  // accepts control of this host
	RoleClient  = "client"  // viewer / controller of another host
	RoleSession = "session" // exists only while a session runs
)

// Socket classes.
const (
	SockListening = "listening"
	SockInbound   = "inbound"
	SockOutbound  = "outbound"
)

// Tool is one tool's matched observations, before the verdict.
type Tool struct {
	Sig       *signature.Signature
	Matches   []report.Match
	Processes []ProcMatch
	Sockets   []SockMatch
	Sessions  []session.Record
	Logs      []inventory.LogFile
	Packages  []inventory.Package
	Services  []inventory.Service
	Files     []inventory.File
	Execs     []inventory.Execution
	// ClientExecs are execution records of the tool's viewer only.
	ClientExecs []inventory.Execution
	// Flows are the tool's conversations seen on the wire.
	Flows []inventory.Flow
}

// ProcMatch is a matched process with its role.
type ProcMatch struct {
	P    inventory.Process
	Role string
}

// SockMatch is a matched socket with its class and network role.
type SockMatch struct {
	S        inventory.Socket
	Class    string // listening, inbound, outbound
	NetRole  string // relay, direct, listen, unknown
	Role     string // role of the owning process
	PortOnly bool   // attributed by port, owner not readable
}

// Match ties inventory items to tools. os is the inspected system's GOOS.
func Match(inv *inventory.Inventory, set *signature.Set, os string) []*Tool {
	tools := map[string]*Tool{}
	get := func(s *signature.Signature) *Tool {
		t := tools[s.ID]
		if t == nil {
			t = &Tool{Sig: s}
			tools[s.ID] = t
		}
		return t
	}
	pidTool := map[int32][]*Tool{}
	pidRole := map[string]string{} // tool\x00pid -> role

	for _, p := range inv.Processes {
		for _, s := range set.Signatures {
			pm := s.MatchProcess(os, p.Name, p.Exe, p.Cmdline)
			if len(pm.Hits) == 0 {
				continue
			}
			role := RoleServer
			switch {
			case pm.SessionProcess:
				role = RoleSession
			case pm.Client && !hasRule(pm.Hits, "process.names."):
				role = RoleClient
			}
			t := get(s)
			t.Processes = append(t.Processes, ProcMatch{p, role})
			pidTool[p.PID] = append(pidTool[p.PID], t)
			pidRole[s.ID+"\x00"+fmt.Sprint(p.PID)] = role
			t.Matches = append(t.Matches, processMatch(p, role, pm.Hits, fmt.Sprintf("process %s (pid %d) matches %s", p.Name, p.PID, describeHits(pm.Hits))))
		}
	}
	for _, p := range inv.Packages {
		for _, s := range set.SoftwareCandidates(p.Manager, p.Name, p.BundleID) {
			hits := s.MatchSoftware(p.Manager, p.Name, p.BundleID)
			if len(hits) == 0 {
				continue
			}
			t := get(s)
			t.Packages = append(t.Packages, p)
			ev := evidence.Evidence{Kind: evidence.KindPackage, Scanner: p.Manager, Path: p.Source, Line: p.Line,
				Summary: strings.TrimSpace(fmt.Sprintf("%s package %s %s", p.Manager, p.Name, p.Version))}
			if p.Manager == "windows-uninstall" || p.Manager == "msix" {
				ev.Kind, ev.Key, ev.Path = evidence.KindRegistry, p.Source, ""
			}
			t.Matches = append(t.Matches, report.Match{Kind: "package", Hits: hits,
				Why: fmt.Sprintf("installed package %q matches %s", p.Name, describeHits(hits)), Evidence: []evidence.Evidence{ev}})
		}
	}
	for _, sv := range inv.Services {
		for _, s := range set.Signatures {
			hits := s.MatchService(serviceOS(sv.Manager, os), sv.Name)
			if len(hits) == 0 {
				continue
			}
			t := get(s)
			t.Services = append(t.Services, sv)
			why := fmt.Sprintf("%s service %q matches %s", sv.Manager, sv.Name, describeHits(hits))
			if h := sv.Details["relay_host"]; h != "" {
				why += fmt.Sprintf("; it connects to the operator's relay %s", net.JoinHostPort(h, sv.Details["relay_port"]))
			}
			t.Matches = append(t.Matches, report.Match{Kind: "service", Hits: hits, Details: sv.Details,
				Why: why,
				Evidence: []evidence.Evidence{{Kind: evidence.KindService, Scanner: sv.Manager, Path: sv.Source,
					Summary: strings.TrimSpace(fmt.Sprintf("%s %s %s %s", sv.Name, sv.ImagePath, sv.StartType, sv.State))}}})
		}
	}
	for _, f := range inv.Files {
		for _, s := range set.Signatures {
			hits, why := matchFile(s, f, os)
			if len(hits) == 0 {
				continue
			}
			t := get(s)
			t.Files = append(t.Files, f)
			t.Matches = append(t.Matches, report.Match{Kind: "file", Hits: hits, Why: why,
				Evidence: []evidence.Evidence{{Kind: evidence.KindFile, Scanner: "files", Path: f.Path, SHA256: f.SHA256,
					Summary: fileSummary(f), Time: f.Modified}}})
		}
	}
	for _, e := range inv.Executions {
		for _, s := range set.Signatures {
			pm := s.MatchProcess(os, e.Name, e.Path, "")
			if len(pm.Hits) == 0 {
				continue
			}
			t := get(s)
			if pm.Client && !hasRule(pm.Hits, "process.names.") {
				t.ClientExecs = append(t.ClientExecs, e)
			} else {
				t.Execs = append(t.Execs, e)
			}
			t.Matches = append(t.Matches, report.Match{Kind: "execution", Hits: pm.Hits,
				Why:      fmt.Sprintf("%s records that %s ran (%d times)", e.Source, e.Name, e.RunCount),
				Evidence: []evidence.Evidence{{Kind: evidence.KindFile, Scanner: "execution", Path: e.Source, Summary: e.Name}}})
		}
	}
	matchSockets(inv, set, tools, pidTool, pidRole, os)
	matchServiceSockets(inv, tools, pidTool)
	// Wire attribution by protocol is generic (RFB is RFB whichever server
	// speaks it); when a flow's socket belongs to a process of a matched tool,
	// that tool is the better attribution.
	owner := socketOwners(inv)
	// Both ends may be on this host (loopback): prefer the end owned by a
	// tool's server-side process.
	ownerOf := func(sk evidence.Socket) (int32, *Tool) {
		var first int32
		if len(owner) == 0 { // a capture read on its own: no socket table
			return 0, nil
		}
		for _, rev := range []bool{false, true} {
			pid, ok := owner[flowKey(sk, rev)]
			if !ok {
				continue
			}
			if first == 0 {
				first = pid
			}
			for _, t := range pidTool[pid] {
				if pidRole[t.Sig.ID+"\x00"+fmt.Sprint(pid)] != RoleClient {
					return pid, t
				}
			}
		}
		return first, nil
	}
	// Room for each tool's records up front (doubling appends held up to
	// twice a large log's records); a wire record moved to the tool owning
	// its socket may still grow a list.
	perTool := map[string]int{}
	for i := range inv.Sessions {
		perTool[inv.Sessions[i].Tool]++
	}
	for _, r := range inv.Sessions {
		if r.Parser == "wire" {
			for _, e := range r.Evidence {
				if e.Socket == nil {
					continue
				}
				if pid, t := ownerOf(*e.Socket); t != nil && t.Sig.ID != r.Tool {
					r.Notes = append(r.Notes, fmt.Sprintf("attributed to %s by the process owning its socket (pid %d); the wire alone said %s", t.Sig.ID, pid, r.Tool))
					r.Tool = t.Sig.ID
				}
				break
			}
		}
		if s := lookup(set, r.Tool); s != nil {
			t := get(s)
			if t.Sessions == nil {
				t.Sessions = make([]session.Record, 0, perTool[r.Tool])
			}
			t.Sessions = append(t.Sessions, r)
		}
	}
	for _, fl := range inv.Flows {
		pid, t := ownerOf(fl.Socket)
		fl.Evidence.PID = pid
		if t != nil && t.Sig.ID != fl.Tool {
			fl.Why += fmt.Sprintf(" (the wire alone said %s; the socket belongs to %s pid %d)", fl.Tool, t.Sig.Name, pid)
			fl.Tool = t.Sig.ID
		}
		if s := lookup(set, fl.Tool); s != nil {
			t := get(s)
			t.Flows = append(t.Flows, fl)
			if len(t.Flows) > MaxFlowMatches {
				continue // counted in the summary match below
			}
			why := fmt.Sprintf("%s flow %s on the wire (%s, attributed by %s): %s", fl.Role, tuple(fl.Socket), fl.Verdict, fl.By, fl.Why)
			if fl.Evidence.PID != 0 {
				why += fmt.Sprintf("; its socket belongs to pid %d", fl.Evidence.PID)
			}
			t.Matches = append(t.Matches, report.Match{Kind: "flow", Role: fl.Verdict, NetRole: fl.Role, Why: why,
				Evidence: []evidence.Evidence{fl.Evidence}})
		}
	}
	// A long capture can hold thousands of a tool's flows: the report lists
	// the first MaxFlowMatches and counts the rest (every session and attempt
	// is still in the session lists).
	for _, t := range tools {
		if n := len(t.Flows) - MaxFlowMatches; n > 0 {
			count := map[string]int{}
			for _, fl := range t.Flows[MaxFlowMatches:] {
				count[fl.Verdict]++
			}
			t.Matches = append(t.Matches, report.Match{Kind: "flow", Role: "summary",
				Why: fmt.Sprintf("%d more flows of %s on the wire not listed (%d session, %d idle, %d attempt); their sessions and attempts are in the session lists",
					n, t.Sig.Name, count["session"], count["idle"], count["attempt"]),
				Evidence: []evidence.Evidence{}})
		}
	}
	for _, l := range inv.Logs {
		// lookup, as for sessions and flows: a capture's coverage entry
		// belongs also to tools recognised by protocol alone (generic VNC,
		// Citrix), or their attempts-only flows had no source read.
		if s := lookup(set, l.Tool); s != nil {
			// A shared log (event log, syslog) says the tool was here only
			// through its own records; its mere presence belongs to the OS,
			// so alone it makes no tool (it is still a source read for a
			// tool found otherwise).
			if tools[s.ID] == nil && l.Shared && l.Records == 0 {
				continue
			}
			t := get(s)
			t.Logs = append(t.Logs, l)
			if l.Status == inventory.StatusUnparsed {
				why := fmt.Sprintf("log %s (%d bytes; no parser: the sessions in it were not read)", l.Path, l.Size)
				if l.Size == 0 {
					why = fmt.Sprintf("log %s (empty)", l.Path)
				}
				t.Matches = append(t.Matches, report.Match{Kind: "log", Why: why,
					Evidence: []evidence.Evidence{l.FileEvidence("tool-logs", "tool log, not parsed")}})
				continue
			}
			if (!l.Shared && l.Lines > 0) || l.Records > 0 {
				t.Matches = append(t.Matches, report.Match{Kind: "log",
					Why:      fmt.Sprintf("%s log %s (%d lines, %d session records)", l.Parser, l.Path, l.Lines, l.Records),
					Evidence: []evidence.Evidence{l.FileEvidence(l.Parser, "tool log")}})
			}
		}
	}
	out := make([]*Tool, 0, len(tools))
	for _, t := range tools {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sig.ID < out[j].Sig.ID })
	return out
}

// matchSockets attributes sockets to tools through their owning process, and
// classifies them: listening, inbound (to a port the tool listens on) or
// outbound (relay / direct by the signature's ports).
func matchSockets(inv *inventory.Inventory, set *signature.Set, tools map[string]*Tool, pidTool map[int32][]*Tool, pidRole map[string]string, os string) {
	listen := map[string]map[uint32]bool{} // tool -> listening ports
	for _, s := range inv.Sockets {
		if !isListen(s) {
			continue
		}
		for _, t := range pidTool[s.PID] {
			if listen[t.Sig.ID] == nil {
				listen[t.Sig.ID] = map[uint32]bool{}
			}
			listen[t.Sig.ID][s.LocalPort] = true
		}
	}
	for _, s := range inv.Sockets {
		owners := pidTool[s.PID]
		portOnly := false
		if s.PID == 0 && s.PIDUnknown {
			// Owner unreadable (not root): attribute to a running tool only
			// when the local port is one the tool listens on by signature.
			for _, t := range tools {
				if len(t.Processes) == 0 {
					continue
				}
				if p, ok := t.Sig.PortRole(s.LocalPort, s.Proto); ok && p.Role == signature.RoleListen {
					owners = append(owners, t)
					portOnly = true
				}
			}
		}
		for _, t := range owners {
			sm := SockMatch{S: s, Role: pidRole[t.Sig.ID+"\x00"+fmt.Sprint(s.PID)], PortOnly: portOnly}
			switch {
			case isListen(s):
				sm.Class, sm.NetRole = SockListening, signature.RoleListen
			case s.State == "ESTABLISHED" || (s.Proto == "udp" && s.RemoteIP != ""):
				if listen[t.Sig.ID][s.LocalPort] || (portOnly && s.RemoteIP != "") {
					sm.Class, sm.NetRole = SockInbound, signature.RoleListen
				} else {
					sm.Class = SockOutbound
					sm.NetRole = "unknown"
					if p, ok := t.Sig.PortRole(s.RemotePort, s.Proto); ok && p.Role != signature.RoleListen {
						sm.NetRole = p.Role
					} else if ok && p.Role == signature.RoleListen {
						sm.NetRole = signature.RoleDirect // connecting to a peer's listening port
					}
				}
			default:
				continue // TIME_WAIT, CLOSE_WAIT, SYN_SENT…: not a live connection
			}
			t.Sockets = append(t.Sockets, sm)
			why := fmt.Sprintf("%s socket %s of pid %d (%s)", sm.Class, tuple(s.Socket), s.PID, t.Sig.Name)
			if portOnly {
				why = fmt.Sprintf("%s socket %s on %s's listening port; owner not readable", sm.Class, tuple(s.Socket), t.Sig.Name)
			}
			if os == "windows" && s.Proto == "udp" {
				why += "; Windows reports no remote address for UDP sockets, so a UDP peer is not visible here"
			}
			t.Matches = append(t.Matches, report.Match{Kind: "socket", Role: sm.Class, NetRole: sm.NetRole, Why: why,
				Evidence: []evidence.Evidence{SocketEvidence(s)}})
		}
	}
}

// SocketEvidence is a socket of the socket table as evidence.
func SocketEvidence(s inventory.Socket) evidence.Evidence {
	sk := s.Socket
	return evidence.Evidence{Kind: evidence.KindSocket, Scanner: "sockets", PID: s.PID, Socket: &sk, Summary: tuple(sk)}
}

// processMatch is the match of a process tied to a tool.
func processMatch(p inventory.Process, role string, hits []signature.Hit, why string) report.Match {
	return report.Match{Kind: "process", Hits: hits, Role: role,
		Process: &report.Process{PID: p.PID, PPID: p.PPID, Name: p.Name, Exe: p.Exe, Cmdline: p.Cmdline, User: p.User,
			SessionID: p.SessionID, Started: p.Started, SHA256: p.SHA256},
		Why: why, Evidence: []evidence.Evidence{procEvidence(p)}}
}

// matchServiceSockets: a tool built into the OS runs as a service in a
// shared host process (TermService in svchost.exe), which its signature
// cannot name. Its listening port (RDP's 3389), and connections to it, are
// its own whoever owns them: they show the service switched on and
// reachable, and the owning process runs it (a server). Only sockets on
// the signature's listen ports are taken: the host process's other sockets
// belong to the other services it hosts.
func matchServiceSockets(inv *inventory.Inventory, tools map[string]*Tool, pidTool map[int32][]*Tool) {
	for _, t := range tools {
		if !t.Sig.Builtin || len(t.Services) == 0 {
			continue
		}
		hosts := map[int32]bool{}
		for _, s := range inv.Sockets {
			if slices.Contains(pidTool[s.PID], t) {
				continue // its own process's socket: matched already
			}
			p, ok := t.Sig.PortRole(s.LocalPort, s.Proto)
			if !ok || p.Role != signature.RoleListen {
				continue
			}
			sm := SockMatch{S: s, Role: RoleServer, NetRole: signature.RoleListen}
			switch {
			case isListen(s):
				sm.Class = SockListening
			case s.State == "ESTABLISHED" && s.RemoteIP != "":
				sm.Class = SockInbound
			default:
				continue
			}
			t.Sockets = append(t.Sockets, sm)
			t.Matches = append(t.Matches, report.Match{Kind: "socket", Role: sm.Class, NetRole: sm.NetRole,
				Why:      fmt.Sprintf("%s socket %s on %s's port, of pid %d (the service's host process)", sm.Class, tuple(s.Socket), t.Sig.Name, s.PID),
				Evidence: []evidence.Evidence{SocketEvidence(s)}})
			if s.PID == 0 || hosts[s.PID] {
				continue
			}
			hosts[s.PID] = true
			pr := inventory.Process{PID: s.PID}
			if q := inv.ProcessByPID(s.PID); q != nil {
				pr = *q
			}
			t.Processes = append(t.Processes, ProcMatch{pr, RoleServer})
			t.Matches = append(t.Matches, processMatch(pr, RoleServer, nil, fmt.Sprintf("process %s (pid %d) hosts %s: it owns a socket on its port", pr.Name, pr.PID, t.Sig.Name)))
		}
	}
}

// socketOwners indexes connected sockets by tuple, so a flow seen on the wire
// during a live scan is tied to the process that owns it.
func socketOwners(inv *inventory.Inventory) map[string]int32 {
	m := map[string]int32{}
	for _, s := range inv.Sockets {
		if s.PID != 0 && s.RemoteIP != "" {
			m[flowKey(s.Socket, false)] = s.PID
		}
	}
	return m
}

// flowKey renders a tuple; reversed swaps the ends (the flow's client may be
// the socket's remote side).
func flowKey(s evidence.Socket, reversed bool) string {
	l := net.JoinHostPort(s.LocalIP, fmt.Sprint(s.LocalPort))
	r := net.JoinHostPort(s.RemoteIP, fmt.Sprint(s.RemotePort))
	if reversed {
		l, r = r, l
	}
	return s.Proto + " " + l + " " + r
}

// generic names tools the wire recognises by protocol alone, with no
// signature of their own: RFB spoken by an unidentified VNC server, Apple
// Remote Desktop, Citrix ICA.
var generic = map[string][2]string{
	"vnc":                  {"VNC (RFB; server product not identified)", "vnc"},
	"apple-remote-desktop": {"Apple Remote Desktop / Screen Sharing", "remote-desktop"},
	"citrix":               {"Citrix ICA/HDX", "remote-desktop"},
}

var (
	synthMu sync.Mutex
	synth   = map[string]*signature.Signature{}
)

// lookup returns the signature for a tool id, or a synthetic one for a tool
// known only by its protocol (or an id no signature has), so a session seen
// on the wire is never dropped for want of a signature.
func lookup(set *signature.Set, id string) *signature.Signature {
	if s := set.Get(id); s != nil {
		return s
	}
	if id == "" {
		return nil
	}
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synth[id]; ok {
		return s
	}
	name, cat := id, "remote-desktop"
	if g, ok := generic[id]; ok {
		name, cat = g[0], g[1]
	}
	s := &signature.Signature{ID: id, Name: name, Vendor: "unknown", Category: cat, File: "(recognised by protocol; no signature)"}
	synth[id] = s
	return s
}

func isListen(s inventory.Socket) bool {
	return s.State == "LISTEN" || (s.Proto == "udp" && s.RemoteIP == "" && s.State == "NONE")
}

func tuple(s evidence.Socket) string {
	l := net.JoinHostPort(s.LocalIP, fmt.Sprint(s.LocalPort))
	if s.RemoteIP == "" {
		return fmt.Sprintf("%s %s %s", s.Proto, l, s.State)
	}
	return fmt.Sprintf("%s %s -> %s %s", s.Proto, l, net.JoinHostPort(s.RemoteIP, fmt.Sprint(s.RemotePort)), s.State)
}

// Tuple renders a socket for people.
func Tuple(s evidence.Socket) string { return tuple(s) }

func matchFile(s *signature.Signature, f inventory.File, os string) ([]signature.Hit, string) {
	if f.Tool != "" {
		if f.Tool != s.ID {
			return nil, ""
		}
		h := signature.Hit{Signature: s.ID, Rule: f.Rule, Pattern: strings.TrimPrefix(f.Reason, "matches "), Value: f.Path}
		return []signature.Hit{h}, fmt.Sprintf("file %s is at a path of %s (%s)", f.Path, s.Name, f.Rule)
	}
	var hits []signature.Hit
	hits = append(hits, s.MatchPE(f.OriginalFilename, f.CompanyName, f.ProductName)...)
	hits = append(hits, s.MatchSigner(f.Signer)...)
	if len(hits) > 0 {
		return hits, fmt.Sprintf("file %s: %s", f.Path, describeHits(hits))
	}
	if f.BundleID != "" {
		if h := s.MatchSoftware("macos-bundle", "", f.BundleID); len(h) > 0 {
			return h, fmt.Sprintf("bundle %s: %s", f.Path, describeHits(h))
		}
	}
	// Fallback: the file name alone (weak: renamed copies and look-alikes).
	base := path.Base(strings.ReplaceAll(f.Path, `\`, "/"))
	if pm := s.MatchProcess(os, base, "", ""); len(pm.Hits) > 0 && !pm.Client {
		return pm.Hits, fmt.Sprintf("file %s matches by file name only (no PE metadata or signer matched)", f.Path)
	}
	return nil, ""
}

func fileSummary(f inventory.File) string {
	parts := []string{fmt.Sprintf("%d bytes", f.Size)}
	for _, kv := range [][2]string{{"OriginalFilename", f.OriginalFilename}, {"CompanyName", f.CompanyName}, {"ProductName", f.ProductName}, {"FileVersion", f.FileVersion}, {"signer", f.Signer}, {"bundle", f.BundleID}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

func serviceOS(manager, os string) string {
	switch manager {
	case "systemd":
		return "linux"
	case "launchd":
		return "darwin"
	case "windows-scm":
		return "windows"
	}
	return os
}

func hasRule(hits []signature.Hit, prefix string) bool {
	for _, h := range hits {
		if strings.HasPrefix(h.Rule, prefix) {
			return true
		}
	}
	return false
}

func describeHits(hits []signature.Hit) string {
	parts := make([]string, 0, len(hits))
	for _, h := range hits {
		parts = append(parts, fmt.Sprintf("%s %q", h.Rule, h.Pattern))
	}
	return strings.Join(parts, ", ")
}

func procEvidence(p inventory.Process) evidence.Evidence {
	return evidence.Evidence{Kind: evidence.KindProcess, Scanner: "processes", PID: p.PID, Path: p.Exe, SHA256: p.SHA256,
		Summary: evidence.Clip(fmt.Sprintf("pid %d ppid %d user %s: %s", p.PID, p.PPID, p.User, p.Cmdline)), Time: p.Started}
}
