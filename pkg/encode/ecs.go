package encode

import (
	"fmt"
	"io"
	"iter"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// ECSVersion is the Elastic Common Schema version the documents follow.
// Every field emitted is listed, with its ECS definition, in
// docs/schema/ecs-fields.md (a test holds the two together).
const ECSVersion = "9.0.0"

// ECS writes Elastic Common Schema documents, one JSON object per line: one
// per finding (event.category intrusion_detection), one per matched process
// (process), one per session or attempt (session), one per item gone since
// the last audit, and one for the host verdict (host). Audit judgements go to
// labels.* (ECS's place for custom keyword values), never to invented fields.
type ECS struct{}

func (ECS) Name() string { return "ecs" }

func init() { register(ECS{}) }

func (ECS) Encode(w io.Writer, r *report.Report) error { return writeJSONLines(w, ECSDocSeq(r)) }

// EncodeLines renders each document as one line ending in "\n".
func (ECS) EncodeLines(r *report.Report) ([][]byte, error) { return jsonLines(ECSDocSeq(r)) }

// Doc is one ECS document (nested objects, as Elasticsearch stores them).
type Doc = map[string]any

// ECSDocSeq maps a report to ECS documents, yielded one by one: a document is
// built just before it is written (all of them at once were 6.5 GB for a
// log of 419,431 sessions).
func ECSDocSeq(r *report.Report) iter.Seq[Doc] {
	return func(yield func(Doc) bool) { ecsDocs(r, yield) }
}

func ecsDocs(r *report.Report, yield func(Doc) bool) {
	for i := range r.Findings {
		f := &r.Findings[i]
		if !yield(findingDoc(r, f)) {
			return
		}
		for _, m := range f.Matches {
			if m.Kind == "process" {
				if !yield(processDoc(r, f, m)) {
					return
				}
			}
		}
		var audits [4][]report.ItemAudit
		if f.Audit != nil {
			audits = f.Audit.Lists()
		}
		for g, recs := range f.Lists() {
			for k := range recs {
				var a *report.ItemAudit
				if k < len(audits[g]) {
					a = &audits[g][k]
				}
				if !yield(sessionDoc(r, f, &recs[k], report.SessionGroups[g], a)) {
					return
				}
			}
		}
	}
	if r.Audit != nil {
		for _, g := range r.Audit.Gone {
			if !yield(goneDoc(r, g)) {
				return
			}
		}
	}
	yield(verdictDoc(r))
}

// base holds the fields every document carries.
func base(r *report.Report, kind string, category []string, typ []string, action, dataset string) Doc {
	d := Doc{
		"@timestamp": r.Scan.FinishedAt.UTC().Format(time.RFC3339Nano),
		"ecs":        Doc{"version": ECSVersion},
		"event": Doc{"kind": kind, "category": category, "type": typ, "action": action,
			"module": "ratwatch", "dataset": dataset, "created": r.Scan.FinishedAt.UTC().Format(time.RFC3339Nano),
			"provider": "ratwatch"},
		"agent":    Doc{"name": "ratwatch", "type": "ratwatch", "version": r.Tool.Version},
		"observer": Doc{"product": "ratwatch", "vendor": "ratwatch", "version": r.Tool.Version, "type": "host-scanner"},
		"labels":   Doc{"ratwatch_scan_id": r.Scan.ID, "ratwatch_command": r.Scan.Command},
		"tags":     []string{"ratwatch"},
	}
	if r.Host.Name != "" {
		d["observer"].(Doc)["hostname"] = r.Host.Name
	}
	// host is the computer the events are about: the scanned one (this
	// host, or an image: its own name), never the machine that only
	// analysed files or a capture from another PC (report.host is that
	// machine then; observer.hostname names it). A session whose log names
	// its computer sets host itself.
	if k := r.Scan.Source.Kind; k != "files" && k != "capture" {
		d["host"] = hostDoc(r.Host)
	}
	return d
}

func hostDoc(h report.HostInfo) Doc {
	d := Doc{}
	if h.Name != "" {
		d["name"], d["hostname"] = h.Name, h.Name
	}
	if h.Arch != "" {
		d["architecture"] = h.Arch
	}
	os := Doc{}
	switch h.OS {
	case "darwin":
		os["type"] = "macos"
	case "linux", "windows":
		os["type"] = h.OS
	case "":
	default:
		os["type"] = "unix"
	}
	if h.Platform != "" {
		os["platform"] = h.Platform
	}
	if h.PlatformVersion != "" {
		os["version"] = h.PlatformVersion
	}
	if h.Kernel != "" {
		os["kernel"] = h.Kernel
	}
	if len(os) > 0 {
		d["os"] = os
	}
	return d
}

func ruleDoc(r *report.Report, f *report.Finding) Doc {
	return Doc{"id": f.Tool.ID, "name": f.Tool.Name, "category": f.Tool.Category,
		"ruleset": "ratwatch-signatures", "version": r.Tool.SignaturesVersion,
		"description": fmt.Sprintf("%s (%s), %s", f.Tool.Name, f.Tool.Vendor, f.Tool.Category)}
}

// ATT&CK mapping (ATT&CK v17 and later): third-party remote-access tools are
// T1219 "Remote Access Tools" (renamed from "Remote Access Software" in v17),
// sub-technique T1219.002 "Remote Desktop Software", tactic Command and
// Control; the OS's own RDP is T1021.001 "Remote Services: Remote Desktop
// Protocol", tactic Lateral Movement.
func threatDoc(category string) Doc {
	if category == "rdp" {
		return Doc{"framework": "MITRE ATT&CK",
			"tactic":    Doc{"id": []string{"TA0008"}, "name": []string{"Lateral Movement"}, "reference": []string{"https://attack.mitre.org/tactics/TA0008/"}},
			"technique": Doc{"id": []string{"T1021"}, "name": []string{"Remote Services"}, "reference": []string{"https://attack.mitre.org/techniques/T1021/"}, "subtechnique": Doc{"id": []string{"T1021.001"}, "name": []string{"Remote Desktop Protocol"}, "reference": []string{"https://attack.mitre.org/techniques/T1021/001/"}}},
		}
	}
	return Doc{"framework": "MITRE ATT&CK",
		"tactic":    Doc{"id": []string{"TA0011"}, "name": []string{"Command and Control"}, "reference": []string{"https://attack.mitre.org/tactics/TA0011/"}},
		"technique": Doc{"id": []string{"T1219"}, "name": []string{"Remote Access Tools"}, "reference": []string{"https://attack.mitre.org/techniques/T1219/"}, "subtechnique": Doc{"id": []string{"T1219.002"}, "name": []string{"Remote Desktop Software"}, "reference": []string{"https://attack.mitre.org/techniques/T1219/002/"}}},
	}
}

func findingDoc(r *report.Report, f *report.Finding) Doc {
	allowed := f.Audit != nil && f.Audit.Allowed
	kind, typ := "alert", []string{"info"}
	if allowed || f.OSComponentOnly {
		// A component every PC of the OS has is not a tool found (verdict
		// rule 12): a state, not an alert.
		kind, typ = "state", []string{"allowed"}
	}
	d := base(r, kind, []string{"intrusion_detection"}, typ, "remote-access-tool-detected", "ratwatch.finding")
	d["rule"] = ruleDoc(r, f)
	d["threat"] = threatDoc(f.Tool.Category)
	d["event"].(Doc)["reason"] = f.VerdictReason
	d["event"].(Doc)["id"] = r.Scan.ID + "/" + f.Tool.ID
	labels := d["labels"].(Doc)
	labels["ratwatch_tool"] = f.Tool.ID
	labels["ratwatch_state"] = f.State
	if f.OSComponentOnly {
		labels["ratwatch_os_component_only"] = "true"
	}
	labels["ratwatch_verdict"] = f.Verdict
	msg := fmt.Sprintf("%s %s on %s: %s", f.Tool.Name, f.State, orDash(r.Host.Name), f.VerdictReason)
	if f.Audit != nil {
		auditLabels(labels, f.Audit.Fingerprint, f.Audit.Change, f.Audit.Allowed, f.Audit.AllowedBy, f.Audit.Expired)
		d["tags"] = append(d["tags"].([]string), f.Audit.Change)
		if allowed {
			msg += " (allowed by " + refIDs(f.Audit.AllowedBy) + ")"
		} else {
			msg += " (NOT ALLOWED)"
		}
		if len(f.Audit.Changes) > 0 {
			msg += "; changed: " + strings.Join(f.Audit.Changes, "; ")
		}
	}
	d["message"] = msg
	return d
}

func auditLabels(l Doc, fp, change string, allowed bool, by, expired []report.AllowRef) {
	l["ratwatch_fingerprint"] = fp
	l["ratwatch_change"] = change
	l["ratwatch_allowed"] = strconv.FormatBool(allowed)
	if len(by) > 0 {
		l["ratwatch_allowed_by"] = refIDs(by)
	}
	if len(expired) > 0 {
		l["ratwatch_expired"] = refIDs(expired)
	}
}

func refIDs(refs []report.AllowRef) string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ",")
}

func processDoc(r *report.Report, f *report.Finding, m report.Match) Doc {
	p := ProcessOf(m)
	d := base(r, "state", []string{"process"}, []string{"info"}, "remote-access-process-running", "ratwatch.process")
	d["rule"] = ruleDoc(r, f)
	d["threat"] = threatDoc(f.Tool.Category)
	proc := Doc{}
	if p.PID > 0 {
		proc["pid"] = p.PID
	}
	if p.PPID > 0 {
		proc["parent"] = Doc{"pid": p.PPID}
	}
	if p.Name != "" {
		proc["name"] = p.Name
	}
	if p.Exe != "" {
		proc["executable"] = p.Exe
	}
	if p.Cmdline != "" {
		proc["command_line"] = p.Cmdline
	}
	if p.SHA256 != "" {
		proc["hash"] = Doc{"sha256": p.SHA256}
	}
	if p.Started != nil {
		proc["start"] = p.Started.UTC().Format(time.RFC3339Nano)
	}
	d["process"] = proc
	if p.User != "" {
		d["user"] = Doc{"name": p.User}
	}
	labels := d["labels"].(Doc)
	labels["ratwatch_tool"] = f.Tool.ID
	if m.Role != "" {
		labels["ratwatch_role"] = m.Role
	}
	if f.Audit != nil {
		labels["ratwatch_allowed"] = strconv.FormatBool(f.Audit.Allowed)
	}
	d["message"] = fmt.Sprintf("%s process %s (pid %d) running on %s", f.Tool.Name, orDash(p.Name), p.PID, orDash(r.Host.Name))
	return d
}

func sessionDoc(r *report.Report, f *report.Finding, s *session.Record, group string, a *report.ItemAudit) Doc {
	kind := "event"
	if group != "outgoing" && (a == nil || !a.Allowed) {
		kind = "alert"
	}
	typ := []string{"info"}
	switch {
	case s.Open:
		typ = []string{"start"}
	case s.End != nil:
		typ = []string{"end"}
	case s.Start != nil:
		typ = []string{"start"}
	}
	action := map[string]string{"incoming": "remote-session-incoming", "attempt": "remote-session-attempt", "outgoing": "remote-session-outgoing",
		"undirected": "remote-session-undirected"}[group]
	d := base(r, kind, []string{"session"}, typ, action, "ratwatch.session")
	if s.Host != "" && !strings.EqualFold(s.Host, r.Host.Name) {
		// The session happened on the computer whose log recorded it (logs
		// handed over from other PCs); observer.hostname stays the one that
		// ran ratwatch.
		d["host"] = Doc{"name": s.Host, "hostname": s.Host}
	}
	ev := d["event"].(Doc)
	switch {
	case s.OutcomeUnlogged:
		// The artifact never says whether it authenticated (rule 8).
		ev["outcome"] = "unknown"
	case group == "attempt" || s.Outcome == session.Rejected:
		ev["outcome"] = "failure"
	case s.IsSession():
		ev["outcome"] = "success"
	default:
		ev["outcome"] = "unknown"
	}
	if s.Start != nil {
		ev["start"] = s.Start.UTC().Format(time.RFC3339Nano)
	}
	if s.End != nil {
		ev["end"] = s.End.UTC().Format(time.RFC3339Nano)
		if s.Start != nil && !s.End.Before(*s.Start) {
			ev["duration"] = s.End.Sub(*s.Start).Nanoseconds()
		}
	}
	d["rule"] = ruleDoc(r, f)
	d["threat"] = threatDoc(f.Tool.Category)
	peer := endpoint(s.RemoteIP, s.RemotePort)
	side := group
	if group == "attempt" {
		// An attempt's direction is its own: one whose direction is not
		// known must not name its peer as the source.
		side = map[session.Direction]string{session.Incoming: "incoming", session.Outgoing: "outgoing"}[s.Direction]
		if side == "" {
			side = "undirected"
		}
	}
	switch side {
	case "outgoing":
		if len(peer) > 0 {
			d["destination"] = peer
		}
		d["network"] = Doc{"direction": "egress"}
	case "undirected": // which side was controlled is not known
		if s.RemoteIP != "" {
			d["related"] = Doc{"ip": []string{s.RemoteIP}}
		}
		d["network"] = Doc{"direction": "unknown"}
	default:
		if len(peer) > 0 {
			d["source"] = peer
		}
		d["network"] = Doc{"direction": "ingress"}
	}
	if s.LocalUser != "" {
		d["user"] = Doc{"name": s.LocalUser}
	}
	labels := d["labels"].(Doc)
	labels["ratwatch_tool"] = f.Tool.ID
	labels["ratwatch_session"] = group
	labels["ratwatch_outcome"] = string(s.Outcome)
	if s.RemoteID != "" {
		labels["ratwatch_remote_id"] = s.RemoteID
	}
	if s.RemoteName != "" {
		labels["ratwatch_remote_name"] = s.RemoteName
	}
	if s.AuthMethod != "" {
		labels["ratwatch_auth"] = s.AuthMethod
	}
	if n := s.Moved(); n > 0 {
		labels["ratwatch_transfers"] = strconv.Itoa(n)
	}
	if n := len(s.Transfers) - s.Moved(); n > 0 {
		labels["ratwatch_failed_transfers"] = strconv.Itoa(n)
	}
	if a != nil {
		auditLabels(labels, a.Fingerprint, a.Change, a.Allowed, a.AllowedBy, a.Expired)
		d["tags"] = append(d["tags"].([]string), a.Change)
	}
	peerWords := strings.TrimSpace(s.RemoteID + " " + hostPort(*s))
	d["message"] = fmt.Sprintf("%s %s session (%s) from/to %s %s", f.Tool.Name, group, s.Outcome, orDash(peerWords), s.When())
	return d
}

// endpoint fills source/destination: .ip only for a real address, else .address.
func endpoint(ip string, port uint32) Doc {
	d := Doc{}
	if ip == "" {
		return d
	}
	d["address"] = ip
	if a, err := netip.ParseAddr(ip); err == nil {
		d["ip"] = a.Unmap().WithZone("").String()
	} else if !strings.ContainsAny(ip, " /") {
		d["domain"] = ip
	}
	if port != 0 {
		d["port"] = port
	}
	return d
}

func goneDoc(r *report.Report, g report.GoneItem) Doc {
	cat, action := []string{"intrusion_detection"}, "remote-access-tool-gone"
	if g.Kind == "session" {
		cat, action = []string{"session"}, "remote-session-gone"
	}
	d := base(r, "state", cat, []string{"info"}, action, "ratwatch.gone")
	labels := d["labels"].(Doc)
	labels["ratwatch_tool"] = g.Tool
	labels["ratwatch_fingerprint"] = g.Fingerprint
	labels["ratwatch_change"] = report.ChangeGone
	d["tags"] = append(d["tags"].([]string), report.ChangeGone)
	d["rule"] = Doc{"id": g.Tool, "ruleset": "ratwatch-signatures", "version": r.Tool.SignaturesVersion}
	d["message"] = fmt.Sprintf("gone since the last audit: %s", g.Label)
	return d
}

func verdictDoc(r *report.Report) Doc {
	kind := "state"
	if r.ExitCode >= 2 {
		kind = "alert"
	}
	d := base(r, kind, []string{"host"}, []string{"info"}, "host-verdict", "ratwatch.verdict")
	d["event"].(Doc)["reason"] = strings.Join(r.Verdict.Reasons, "; ")
	d["event"].(Doc)["id"] = r.Scan.ID
	d["event"].(Doc)["start"] = r.Scan.StartedAt.UTC().Format(time.RFC3339Nano)
	d["event"].(Doc)["end"] = r.Scan.FinishedAt.UTC().Format(time.RFC3339Nano)
	labels := d["labels"].(Doc)
	labels["ratwatch_remote_control"] = r.Verdict.RemoteControl
	labels["ratwatch_leak"] = r.Verdict.Leak
	labels["ratwatch_level"] = r.Verdict.Level
	labels["ratwatch_exit_code"] = strconv.Itoa(r.ExitCode)
	labels["ratwatch_tools"] = strings.Join(r.Verdict.Tools, ",")
	msg := r.Verdict.Summary
	if a := r.Audit; a != nil {
		labels["ratwatch_not_allowed"] = strconv.Itoa(a.Counts.NotAllowed)
		labels["ratwatch_new"] = strconv.Itoa(a.Counts.New)
		labels["ratwatch_changed"] = strconv.Itoa(a.Counts.Changed)
		labels["ratwatch_gone"] = strconv.Itoa(a.Counts.Gone)
		msg = fmt.Sprintf("audit: %d finding(s), %d not allowed, %d new, %d changed, %d gone; exit %d. %s",
			a.Counts.Findings, a.Counts.NotAllowed, a.Counts.New, a.Counts.Changed, a.Counts.Gone, r.ExitCode, msg)
	}
	d["message"] = msg
	return d
}

// ProcessInfo is what a "process" match says of its process.
type ProcessInfo struct {
	PID, PPID int32
	Name      string
	Exe       string
	User      string
	// Cmdline may be clipped (evidence.MaxRaw) with a trailing "…".
	Cmdline string
	SHA256  string
	Started *time.Time
}

// The matcher writes a process match's evidence summary as
// "pid P ppid Q user U: CMDLINE" and its reason as "process NAME (pid P) ...".
var (
	procSummaryRE = regexp.MustCompile(`(?s)^pid (\d+) ppid (\d+) user ([^:]*): (.*)$`)
	procWhyRE     = regexp.MustCompile(`^process (.+?) \(pid \d+\)`)
)

// ProcessOf reads the process a "process" match points at.
func ProcessOf(m report.Match) ProcessInfo {
	if mp := m.Process; mp != nil {
		return ProcessInfo{PID: mp.PID, PPID: mp.PPID, Name: mp.Name, Exe: mp.Exe, User: mp.User,
			Cmdline: mp.Cmdline, SHA256: mp.SHA256, Started: mp.Started}
	}
	// Reports written before matches carried the process: parse the summary.
	var p ProcessInfo
	for _, e := range m.Evidence {
		if e.Kind != "process" {
			continue
		}
		p.PID, p.Exe, p.SHA256, p.Started = e.PID, e.Path, e.SHA256, e.Time
		if s := procSummaryRE.FindStringSubmatch(e.Summary); s != nil {
			if n, err := strconv.Atoi(s[2]); err == nil {
				p.PPID = int32(n)
			}
			p.User, p.Cmdline = s[3], s[4]
		}
		break
	}
	if s := procWhyRE.FindStringSubmatch(m.Why); s != nil {
		p.Name = s[1]
	} else if p.Exe != "" {
		p.Name = path.Base(strings.ReplaceAll(p.Exe, `\`, "/"))
	}
	return p
}
