package audit

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// A finding is judged part by part:
//
//   - presence: the tool being on the host at all (packages, files, services,
//     sockets, logs, execution records);
//   - each matched process (it has a user);
//   - each incoming session and each attempt (they have a peer and a user).
//
// Outgoing sessions (this PC controlling another one) are not evidence that
// this PC was controlled: they follow the presence part.
//
// The finding is allowed when every part is covered by an entry that applies
// on this host and has not expired. An entry covers:
//
//   - no instance: every part (processes and sessions only of its users when
//     it has a users list);
//   - a session instance (anydesk_id, teamviewer_id, remote_id, remote_ip):
//     presence and processes, and the sessions whose peer matches;
//   - an install instance (screenconnect_instance, screenconnect_relay,
//     meshcentral_server): every part, but only when the instance is
//     identified on the host — at least one process, service, package or
//     file names it, and none names a different one.
type coverage struct {
	presence bool
	procs    []bool
	inc, att []bool
	und      []bool // undirected sessions, judged as incoming ones
	note     string // why the entry covers less than everything
}

func (c *coverage) any() bool {
	if c.presence {
		return true
	}
	for _, l := range [][]bool{c.procs, c.inc, c.att, c.und} {
		for _, b := range l {
			if b {
				return true
			}
		}
	}
	return false
}

type procPart struct {
	info  encode.ProcessInfo
	label string
}

// Judge applies the policy to every finding of r: it sets f.Audit's
// Allowed, AllowedBy, Expired, NotAllowed and the per-session judgements, and
// records the allowing entries in f.Suppressed. readFile reads files a
// finding points at (MeshAgent .msh configuration); nil reads nothing.
func (p *Policy) Judge(r *report.Report, now time.Time, readFile func(string) ([]byte, error)) {
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Audit == nil {
			f.Audit = &report.FindingAudit{}
		}
		p.judge(f, r.Host.Name, now, readFile)
	}
}

func (p *Policy) judge(f *report.Finding, host string, now time.Time, readFile func(string) ([]byte, error)) {
	a := f.Audit
	a.Allowed, a.AllowedBy, a.Expired, a.NotAllowed = false, nil, nil, nil
	if f.OSComponentOnly {
		// Verdict rule 12: what every PC of the OS has needs no entry.
		a.Allowed = true
		a.AllowedBy = []report.AllowRef{{ID: "os-component", Policy: "builtin (verdict rule 12)", Tool: f.Tool.ID,
			Reason: "part of the operating system; nothing but its service or package was found", Expires: "never"}}
		f.Suppressed = []report.Suppressed{{Rule: "os-component (builtin, verdict rule 12)", Reason: a.AllowedBy[0].Reason}}
		return
	}
	var procs []procPart
	for _, m := range f.Matches {
		if m.Kind == "process" {
			pi := encode.ProcessOf(m)
			procs = append(procs, procPart{pi, fmt.Sprintf("process %s (pid %d, user %s)", orUnknown(pi.Exe, pi.Name), pi.PID, orUnknown(pi.User, ""))})
		}
	}
	n := func(k int) []bool { return make([]bool, k) }
	covered := coverage{procs: n(len(procs)), inc: n(len(f.Incoming)), att: n(len(f.Attempts)), und: n(len(f.Undirected))}
	type entryCov struct {
		e *Entry
		c coverage
	}
	var live, expired []entryCov
	var notes []string
	var entries []*Entry
	if p != nil {
		entries = p.Entries
	}
	for _, e := range entries {
		if e.Tool != f.Tool.ID {
			continue
		}
		if !e.HostOK(host) {
			notes = append(notes, fmt.Sprintf("entry %s applies to hosts %v, not %q", e.Ref().ID, e.Hosts, host))
			continue
		}
		c := e.cover(f, procs, readFile)
		if e.Expired(now) {
			if c.any() {
				expired = append(expired, entryCov{e, c})
			}
			continue
		}
		if c.note != "" {
			notes = append(notes, fmt.Sprintf("entry %s: %s", e.Ref().ID, c.note))
		}
		if c.any() {
			live = append(live, entryCov{e, c})
		}
	}
	or := func(dst, src []bool) {
		for i := range src {
			dst[i] = dst[i] || src[i]
		}
	}
	for _, ec := range live {
		covered.presence = covered.presence || ec.c.presence
		or(covered.procs, ec.c.procs)
		or(covered.inc, ec.c.inc)
		or(covered.att, ec.c.att)
		or(covered.und, ec.c.und)
		a.AllowedBy = append(a.AllowedBy, ec.e.Ref())
	}
	for _, ec := range expired {
		ref := ec.e.Ref()
		ref.Note = ec.e.expiredNote() + ": no longer allows this"
		a.Expired = append(a.Expired, ref)
	}
	// Per-session judgements.
	sessionAudits := func(recs []session.Record, cov []bool, pick func(coverage) []bool) []report.ItemAudit {
		out := make([]report.ItemAudit, len(recs))
		for k := range recs {
			out[k].Allowed = cov[k]
			for _, ec := range live {
				if pick(ec.c)[k] {
					out[k].AllowedBy = append(out[k].AllowedBy, ec.e.Ref())
				}
			}
			if !cov[k] {
				// Each session line says why it is not allowed.
				why := "no policy entry for " + f.Tool.ID
				if len(live) > 0 {
					ids := make([]string, len(live))
					for i, ec := range live {
						ids[i] = ec.e.Ref().ID
					}
					why = "not covered by policy entry " + strings.Join(ids, ", ") + " (its users, addresses, IDs or times do not match this session)"
				}
				out[k].NotAllowed = append(out[k].NotAllowed, why)
			}
			for _, ec := range expired {
				if pick(ec.c)[k] {
					ref := ec.e.Ref()
					ref.Note = ec.e.expiredNote() + ": no longer allows this"
					out[k].Expired = append(out[k].Expired, ref)
				}
			}
		}
		return out
	}
	a.Incoming = mergeItemAudits(a.Incoming, sessionAudits(f.Incoming, covered.inc, func(c coverage) []bool { return c.inc }))
	a.Attempts = mergeItemAudits(a.Attempts, sessionAudits(f.Attempts, covered.att, func(c coverage) []bool { return c.att }))
	a.Undirected = mergeItemAudits(a.Undirected, sessionAudits(f.Undirected, covered.und, func(c coverage) []bool { return c.und }))
	out := make([]report.ItemAudit, len(f.Outgoing))
	for k := range out {
		out[k].Allowed = covered.presence
		for _, ec := range live {
			if ec.c.presence {
				out[k].AllowedBy = append(out[k].AllowedBy, ec.e.Ref())
			}
		}
	}
	a.Outgoing = mergeItemAudits(a.Outgoing, out)

	// What is not covered, in words.
	if len(live) == 0 && len(expired) == 0 && len(notes) == 0 {
		a.NotAllowed = append(a.NotAllowed, fmt.Sprintf("no policy entry for %s", f.Tool.ID))
	} else {
		if !covered.presence {
			a.NotAllowed = append(a.NotAllowed, fmt.Sprintf("%s on this host (state %s)", f.Tool.Name, f.State))
		}
		for i, c := range covered.procs {
			if !c {
				a.NotAllowed = append(a.NotAllowed, procs[i].label)
			}
		}
		for i, c := range covered.inc {
			if !c {
				a.NotAllowed = append(a.NotAllowed, "incoming session "+sessionWords(&f.Incoming[i]))
			}
		}
		for i, c := range covered.att {
			if !c {
				a.NotAllowed = append(a.NotAllowed, "attempt "+sessionWords(&f.Attempts[i]))
			}
		}
		for i, c := range covered.und {
			if !c {
				a.NotAllowed = append(a.NotAllowed, "session of unknown direction "+sessionWords(&f.Undirected[i]))
			}
		}
		if len(a.NotAllowed) > 0 {
			for _, ec := range expired {
				a.NotAllowed = append(a.NotAllowed, fmt.Sprintf("entry %s %s", ec.e.Ref().ID, ec.e.expiredNote()))
			}
			a.NotAllowed = append(a.NotAllowed, notes...)
		}
	}
	a.Allowed = len(a.NotAllowed) == 0
	if !a.Allowed && len(a.AllowedBy) > 0 {
		// An entry that allows only part of the finding does not allow the
		// finding: a rule "allowed_by set ⇒ approved" must not hide it.
		for _, r := range a.AllowedBy {
			a.NotAllowed = append(a.NotAllowed, fmt.Sprintf("entry %s allows only part of it (each session and process line says which)", r.ID))
		}
		a.AllowedBy = nil
	}
	if a.Allowed {
		a.NotAllowed = nil
		f.Suppressed = nil
		for _, r := range a.AllowedBy {
			f.Suppressed = append(f.Suppressed, report.Suppressed{Rule: r.ID + " (" + r.Policy + ")", Reason: r.Reason})
		}
	}
}

func mergeItemAudits(old, cur []report.ItemAudit) []report.ItemAudit {
	for k := range cur {
		if k < len(old) {
			cur[k].Fingerprint, cur[k].Change, cur[k].Changes, cur[k].FirstSeen = old[k].Fingerprint, old[k].Change, old[k].Changes, old[k].FirstSeen
		}
	}
	return cur
}

// cover computes what e covers of f, ignoring expiry.
func (e *Entry) cover(f *report.Finding, procs []procPart, readFile func(string) ([]byte, error)) coverage {
	c := coverage{procs: make([]bool, len(procs)), inc: make([]bool, len(f.Incoming)), att: make([]bool, len(f.Attempts)), und: make([]bool, len(f.Undirected))}
	all := func() {
		c.presence = true
		for i := range procs {
			c.procs[i] = e.UserOK(procs[i].info.User)
		}
	}
	sessions := func(match func(*session.Record) bool) {
		for i := range f.Incoming {
			c.inc[i] = match(&f.Incoming[i]) && e.UserOK(f.Incoming[i].LocalUser)
		}
		for i := range f.Attempts {
			c.att[i] = match(&f.Attempts[i]) && e.UserOK(f.Attempts[i].LocalUser)
		}
		for i := range f.Undirected {
			c.und[i] = match(&f.Undirected[i]) && e.UserOK(f.Undirected[i].LocalUser)
		}
	}
	k := e.Instance.Kind
	switch {
	case k == "":
		all()
		sessions(func(*session.Record) bool { return true })
	case isSessionKind(k):
		all()
		sessions(e.Instance.matchPeer)
	default:
		ok, note := e.Instance.identify(f, readFile)
		if !ok {
			c.note = note
			return c
		}
		all()
		sessions(func(*session.Record) bool { return true })
	}
	if len(e.Users) > 0 {
		for i, ok := range c.procs {
			if !ok {
				c.note = fmt.Sprintf("limited to users %v; %s is not one", e.Users, procs[i].label)
				break
			}
		}
	}
	return c
}

// matchPeer matches a session's peer against a session instance.
func (in Instance) matchPeer(s *session.Record) bool {
	switch in.Kind {
	case KindAnyDeskID, KindTeamViewerID, KindRemoteID:
		return s.RemoteID != "" && normID(s.RemoteID) == in.norm
	case KindRemoteIP:
		a, err := netip.ParseAddr(strings.Trim(s.RemoteIP, "[]"))
		if err != nil {
			return false
		}
		return in.pfx.Contains(a.Unmap().WithZone(""))
	}
	return false
}

var (
	scInstanceRE = regexp.MustCompile(`(?i)(?:ScreenConnect|ConnectWise Control) Client \(([0-9a-f]+)\)`)
	scRelayRE    = regexp.MustCompile(`(?i)[?&]h=([^&"'\s]+)(?:&p=(\d+))?`)
	urlRE        = regexp.MustCompile(`(?i)\bwss?://[^\s"'&]+`)
	meshServerRE = regexp.MustCompile(`(?im)^\s*MeshServer\s*=\s*(\S+)\s*$`)
)

// identify finds which instance(s) of an install kind the finding carries:
// it is this instance when at least one source names it and none names
// another.
func (in Instance) identify(f *report.Finding, readFile func(string) ([]byte, error)) (bool, string) {
	var texts []string
	for _, m := range f.Matches {
		switch m.Kind {
		case "process":
			p := encode.ProcessOf(m)
			texts = append(texts, p.Exe+" "+p.Cmdline)
		case "service", "package", "file":
			for _, h := range m.Hits {
				texts = append(texts, h.Value)
			}
			for _, ev := range m.Evidence {
				texts = append(texts, ev.Path+" "+ev.Summary+" "+ev.Key)
				if in.Kind == KindMeshCentralServer && m.Kind == "file" && readFile != nil &&
					strings.EqualFold(path.Ext(strings.ReplaceAll(ev.Path, `\`, "/")), ".msh") {
					if b, err := readFile(ev.Path); err == nil {
						for _, mm := range meshServerRE.FindAllStringSubmatch(string(b), -1) {
							texts = append(texts, "MeshServer "+mm[1]+" ")
							if hp, ok := serverHostPort(mm[1]); ok && !strings.Contains(mm[1], "://") {
								texts = append(texts, "wss://"+hp+"/ ")
							}
						}
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, t := range texts {
		switch in.Kind {
		case KindScreenConnectInstance:
			for _, m := range scInstanceRE.FindAllStringSubmatch(t, -1) {
				seen[strings.ToLower(m[1])] = true
			}
		case KindScreenConnectRelay:
			for _, m := range scRelayRE.FindAllStringSubmatch(t, -1) {
				hp := strings.ToLower(m[1])
				if m[2] != "" {
					hp += ":" + m[2]
				}
				seen[hp] = true
			}
		case KindMeshCentralServer:
			for _, u := range urlRE.FindAllString(t, -1) {
				if pu, err := url.Parse(u); err == nil && pu.Host != "" {
					if hp, ok := normHostPort(pu.Host); ok {
						seen[hp] = true
					}
				}
			}
		}
	}
	var mine, other []string
	for v := range seen {
		ok := v == in.norm
		if in.Kind != KindScreenConnectInstance {
			ok = hostPortMatch(in.norm, v)
		}
		if ok {
			mine = append(mine, v)
		} else {
			other = append(other, v)
		}
	}
	sort.Strings(other)
	switch {
	case len(other) > 0:
		return false, fmt.Sprintf("another %s is present: %s", strings.ReplaceAll(in.Kind, "_", " "), strings.Join(other, ", "))
	case len(mine) == 0:
		where := "no process, service, package or file of the tool names one"
		if in.Kind == KindMeshCentralServer {
			where = "no MeshAgent .msh file, command line or service names one"
		}
		return false, fmt.Sprintf("%s %s not seen: %s", strings.ReplaceAll(in.Kind, "_", " "), in.Value, where)
	}
	return true, ""
}

func sessionWords(s *session.Record) string {
	peer := strings.TrimSpace(s.RemoteID + " " + s.RemoteIP)
	if peer == "" {
		peer = "unknown peer"
	}
	w := fmt.Sprintf("from %s %s", peer, s.When())
	if s.LocalUser != "" {
		w += " (user " + s.LocalUser + ")"
	}
	return w
}

func orUnknown(s, alt string) string {
	if s != "" {
		return s
	}
	if alt != "" {
		return alt
	}
	return "unknown"
}
