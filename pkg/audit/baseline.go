package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/toollog"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// BaselineFormat identifies the baseline file's format.
const BaselineFormat = "ratwatch-audit-baseline/1"

// BaselineFile is the baseline's name in the state directory.
const BaselineFile = "baseline.json"

// Baseline is what the last audit saw, by stable fingerprint.
type Baseline struct {
	Format    string    `json:"format"`
	WrittenAt time.Time `json:"written_at"`
	ScanID    string    `json:"scan_id"`
	Host      string    `json:"host"`
	Items     []Item    `json:"items"`
	// Logs found through a process's command line or a configuration
	// (x11vnc -o FILE): the next audits read them while they exist, so a
	// session does not turn "gone" when the process ends.
	Logs []scanner.KnownLog `json:"logs,omitempty"`
}

// KnownLogs are the logs the next audit reads again: those of this run
// found through a process or a configuration, and those remembered before
// that still exist (they were read again in this run).
func KnownLogs(r *report.Report, prev *Baseline) []scanner.KnownLog {
	before := map[string]scanner.KnownLog{}
	if prev != nil {
		for _, k := range prev.Logs {
			before[k.Path] = k
		}
	}
	var out []scanner.KnownLog
	seen := map[string]bool{}
	for _, l := range r.Logs {
		if seen[l.Path] || l.Status == "unreadable" || l.Parser == "" {
			continue
		}
		switch {
		case strings.HasPrefix(l.Found, toollog.RememberedPrefix):
			if k, ok := before[l.Path]; ok {
				out = append(out, k)
				seen[l.Path] = true
			}
		case strings.HasPrefix(l.Found, "command line of pid") || strings.HasPrefix(l.Found, "configuration "):
			out = append(out, scanner.KnownLog{Path: l.Path, Parser: l.Parser, Tool: l.Tool, Found: l.Found})
			seen[l.Path] = true
		}
	}
	return out
}

// Item kinds.
const (
	ItemFinding  = "finding"
	ItemSession  = "session"
	ItemProcess  = "process"
	ItemService  = "service"
	ItemPackage  = "package"
	ItemFile     = "file"
	ItemListener = "listener"
)

// Item is one fingerprinted thing: a finding (per tool), a session, or a
// part of a finding (process, service, package, file, listening socket).
// The fingerprint hashes only stable fields — never pids, ephemeral ports or
// times that move between runs; what may change is kept in Attrs.
type Item struct {
	Fingerprint string            `json:"fp"`
	Kind        string            `json:"kind"`
	Tool        string            `json:"tool"`
	Label       string            `json:"label"`
	Attrs       map[string]string `json:"attrs,omitempty"`
	FirstSeen   time.Time         `json:"first_seen"`
}

// Fingerprint hashes a kind and its stable fields.
func Fingerprint(kind string, fields ...string) string {
	h := sha256.New()
	h.Write([]byte("ratwatch-fp-1\x00" + kind))
	for _, f := range fields {
		h.Write([]byte{0x1f})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// FindingFingerprint: one finding per tool on a host.
func FindingFingerprint(tool string) string { return Fingerprint(ItemFinding, tool) }

// SessionFingerprint identifies a session by tool, direction, peer and start
// time truncated to the minute (some logs have minute resolution, and a
// session joined from several logs must keep its fingerprint when one of them
// rotates away). Without a start it uses the end, and without either the
// first evidence location. Outcome, end and open state are attributes: they
// may change while the session is the same.
func SessionFingerprint(tool string, s *session.Record) string {
	when := ""
	switch {
	case s.Start != nil:
		when = "start " + s.Start.UTC().Truncate(time.Minute).Format(time.RFC3339)
	case s.End != nil:
		when = "end " + s.End.UTC().Truncate(time.Minute).Format(time.RFC3339)
	case len(s.Evidence) > 0:
		e := s.Evidence[0]
		when = fmt.Sprintf("at %s:%d#%d", e.Path, e.Line, e.RecordID)
	}
	return Fingerprint(ItemSession, tool, string(s.Direction), normID(s.RemoteID), s.RemoteIP, when)
}

// fold normalises a path for fingerprints: Windows paths are case-insensitive.
func fold(p string) string {
	if strings.Contains(p, `\`) || runtime.GOOS == "windows" {
		return strings.ToLower(p)
	}
	return p
}

type findingItems struct {
	finding  Item
	parts    []Item
	sessions [4][]Item // incoming, attempts, outgoing, undirected (index-aligned)
}

func itemsOf(f *report.Finding) findingItems {
	tool := f.Tool.ID
	fi := findingItems{finding: Item{Fingerprint: FindingFingerprint(tool), Kind: ItemFinding, Tool: tool, Label: f.Tool.Name,
		Attrs: map[string]string{"state": f.State, "verdict": f.Verdict}}}
	if f.Audit != nil {
		fi.finding.Attrs["allowed"] = strconv.FormatBool(f.Audit.Allowed)
	}
	seen := map[string]bool{}
	add := func(it Item) {
		if seen[it.Fingerprint] {
			return
		}
		seen[it.Fingerprint] = true
		fi.parts = append(fi.parts, it)
	}
	for _, m := range f.Matches {
		switch m.Kind {
		case "process":
			p := encode.ProcessOf(m)
			id := p.Exe
			if id == "" {
				id = p.Name
			}
			add(Item{Fingerprint: Fingerprint(ItemProcess, tool, fold(id), m.Role), Kind: ItemProcess, Tool: tool,
				Label: "process " + id, Attrs: map[string]string{"user": p.User}})
		case "service", "package":
			name := ""
			if len(m.Hits) > 0 {
				name = m.Hits[0].Value
			}
			summary := ""
			if len(m.Evidence) > 0 {
				summary = m.Evidence[0].Summary
			}
			kind := ItemService
			if m.Kind == "package" {
				kind = ItemPackage
			}
			add(Item{Fingerprint: Fingerprint(kind, tool, fold(name)), Kind: kind, Tool: tool,
				Label: kind + " " + name, Attrs: map[string]string{"detail": summary}})
		case "file":
			if len(m.Evidence) == 0 {
				continue
			}
			e := m.Evidence[0]
			add(Item{Fingerprint: Fingerprint(ItemFile, tool, fold(e.Path)), Kind: ItemFile, Tool: tool,
				Label: "file " + e.Path, Attrs: map[string]string{"sha256": e.SHA256}})
		case "socket":
			if m.Role != "listening" || len(m.Evidence) == 0 || m.Evidence[0].Socket == nil {
				continue
			}
			s := m.Evidence[0].Socket
			if s.LocalPort >= ephemeralPorts {
				continue // a port picked at random each start: not stable
			}
			addr := fmt.Sprintf("%s %s", s.Proto, joinHostPort(s.LocalIP, s.LocalPort))
			add(Item{Fingerprint: Fingerprint(ItemListener, tool, addr), Kind: ItemListener, Tool: tool, Label: "listener " + addr})
		}
	}
	for g, recs := range f.Lists() {
		for k := range recs {
			s := &recs[k]
			attrs := map[string]string{"group": report.SessionGroups[g], "outcome": string(s.Outcome), "open": strconv.FormatBool(s.Open)}
			if s.End != nil {
				attrs["end"] = s.End.UTC().Format(time.RFC3339)
			}
			if n := len(s.Transfers); n > 0 {
				attrs["transfers"] = strconv.Itoa(n)
			}
			fi.sessions[g] = append(fi.sessions[g], Item{Fingerprint: SessionFingerprint(tool, s), Kind: ItemSession, Tool: tool,
				Label: fmt.Sprintf("%s %s session %s", f.Tool.Name, report.SessionGroups[g], sessionWords(s)), Attrs: attrs})
		}
	}
	distinct(&fi, f)
	return fi
}

// distinct gives sessions of one finding that share a fingerprint (two
// viewers from one address in one minute; a wrong password and the right
// one) fingerprints of their own: the remote port when they differ in it,
// else their order. One item per fingerprint is kept in the baseline, so a
// shared one made the next run report a false change.
func distinct(fi *findingItems, f *report.Finding) {
	type ref struct{ g, k int }
	by := map[string][]ref{}
	lists := f.Lists()
	for g := range fi.sessions {
		for k := range fi.sessions[g] {
			fp := fi.sessions[g][k].Fingerprint
			by[fp] = append(by[fp], ref{g, k})
		}
	}
	for fp, refs := range by {
		if len(refs) < 2 {
			continue
		}
		// The earliest keeps the plain fingerprint: a session that was
		// alone in its minute stays the same item when a later one from
		// the same peer joins it (the later one gets the discriminator).
		when := func(r ref) time.Time {
			if s := &lists[r.g][r.k]; s.Start != nil {
				return *s.Start
			} else if s.End != nil {
				return *s.End
			}
			return time.Time{}
		}
		sort.SliceStable(refs, func(a, b int) bool {
			ta, tb := when(refs[a]), when(refs[b])
			if !ta.Equal(tb) {
				return ta.Before(tb)
			}
			return lists[refs[a].g][refs[a].k].RemotePort < lists[refs[b].g][refs[b].k].RemotePort
		})
		ports := map[uint32]int{}
		for _, r := range refs {
			ports[lists[r.g][r.k].RemotePort]++
		}
		for i, r := range refs {
			if i == 0 {
				continue
			}
			p := lists[r.g][r.k].RemotePort
			extra := "#" + strconv.Itoa(i+1)
			if p != 0 && ports[p] == 1 {
				extra = "port " + strconv.FormatUint(uint64(p), 10)
			}
			fi.sessions[r.g][r.k].Fingerprint = Fingerprint(ItemSession, fp, extra)
		}
	}
}

// ephemeralPorts is where the dynamic port ranges start (Linux 32768,
// Windows and IANA 49152): a listener there was given a random port.
const ephemeralPorts = 32768

func joinHostPort(ip string, port uint32) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// Compare marks every finding and session of r as new, changed or
// unchanged against prev (nil: first run, everything is new), fills
// r.Audit.Gone, and returns the baseline to save for the next run. Call it
// after Judge, so a change of allowed status is a change too.
func Compare(r *report.Report, prev *Baseline, now time.Time) *Baseline {
	old := map[string]Item{}
	if prev != nil {
		for _, it := range prev.Items {
			old[it.Fingerprint] = it
		}
	}
	next := &Baseline{Format: BaselineFormat, WrittenAt: now.UTC(), ScanID: r.Scan.ID, Host: r.Host.Name}
	if r.Audit == nil {
		r.Audit = &report.AuditInfo{}
	}
	info := r.Audit
	info.Gone = []report.GoneItem{}
	current := map[string]bool{}
	keep := func(it Item) *time.Time {
		first := now.UTC()
		if o, ok := old[it.Fingerprint]; ok && !o.FirstSeen.IsZero() {
			first = o.FirstSeen
		}
		it.FirstSeen = first
		if !current[it.Fingerprint] {
			next.Items = append(next.Items, it)
		}
		current[it.Fingerprint] = true
		return &first
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Audit == nil {
			f.Audit = &report.FindingAudit{}
		}
		a := f.Audit
		fi := itemsOf(f)
		a.Fingerprint = fi.finding.Fingerprint
		prevF, had := old[fi.finding.Fingerprint]
		a.FirstSeen = keep(fi.finding)
		a.Changes = nil
		if had {
			a.Changes = append(a.Changes, attrChanges(prevF.Attrs, fi.finding.Attrs, findingAttrWords)...)
		}
		// Parts: new, changed, gone.
		curParts := map[string]bool{}
		for _, it := range fi.parts {
			curParts[it.Fingerprint] = true
			o, ok := old[it.Fingerprint]
			keep(it)
			switch {
			case !ok && had:
				a.Changes = append(a.Changes, "new "+it.Label)
			case ok:
				for _, c := range attrChanges(o.Attrs, it.Attrs, nil) {
					a.Changes = append(a.Changes, it.Label+": "+c)
				}
			}
		}
		if had && prev != nil {
			for _, o := range prev.Items {
				if o.Tool == f.Tool.ID && o.Kind != ItemFinding && o.Kind != ItemSession && !curParts[o.Fingerprint] {
					a.Changes = append(a.Changes, o.Label+" "+goneWords(o.Kind))
				}
			}
		}
		// Sessions.
		audits := [4]*[]report.ItemAudit{&a.Incoming, &a.Attempts, &a.Outgoing, &a.Undirected}
		newCount, changedCount := [4]int{}, [4]int{}
		var firstChange [4]string
		for g := range fi.sessions {
			if len(*audits[g]) < len(fi.sessions[g]) {
				grown := make([]report.ItemAudit, len(fi.sessions[g]))
				copy(grown, *audits[g])
				*audits[g] = grown
			}
			for k, it := range fi.sessions[g] {
				ia := &(*audits[g])[k]
				ia.Fingerprint = it.Fingerprint
				o, ok := old[it.Fingerprint]
				ia.FirstSeen = keep(it)
				ia.Changes = nil
				switch {
				case !ok:
					ia.Change = report.ChangeNew
					newCount[g]++
				default:
					ia.Changes = attrChanges(o.Attrs, it.Attrs, sessionAttrWords)
					ia.Change = report.ChangeUnchanged
					if len(ia.Changes) > 0 {
						ia.Change = report.ChangeChanged
						if changedCount[g]++; changedCount[g] == 1 {
							firstChange[g] = strings.Join(ia.Changes, ", ")
						}
					}
				}
				if ia.Change == report.ChangeNew && g != 2 { // all but outgoing
					info.Counts.NewSessions++
				}
			}
		}
		if had {
			words := [4]string{"incoming session", "attempt", "outgoing session", "session of unknown direction"}
			for g, n := range newCount {
				if n > 0 {
					a.Changes = append(a.Changes, fmt.Sprintf("%d new %s", n, plural(n, words[g])))
				}
			}
			// A session that changed (an attempt that became a session, a
			// session that ended) changes its finding too: rules on finding
			// lines and on the counts must see it.
			for g, n := range changedCount {
				if n > 0 {
					w := fmt.Sprintf("%d %s changed (%s", n, plural(n, words[g]), firstChange[g])
					if n > 1 {
						w += ", …"
					}
					a.Changes = append(a.Changes, w+")")
				}
			}
		}
		switch {
		case !had:
			a.Change = report.ChangeNew
			info.Counts.New++
		case len(a.Changes) > 0:
			a.Change = report.ChangeChanged
			info.Counts.Changed++
		default:
			a.Change = report.ChangeUnchanged
		}
		info.Counts.Findings++
		if a.Allowed {
			info.Counts.Allowed++
		} else {
			info.Counts.NotAllowed++
		}
	}
	if prev != nil {
		last := prev.WrittenAt
		goneWith := map[string][]string{} // tool -> labels of its sessions, when the tool is gone
		for _, o := range prev.Items {
			if o.Kind == ItemSession && !current[o.Fingerprint] && !current[FindingFingerprint(o.Tool)] {
				goneWith[o.Tool] = append(goneWith[o.Tool], o.Label)
			}
		}
		for _, o := range prev.Items {
			if current[o.Fingerprint] || (o.Kind != ItemFinding && o.Kind != ItemSession) {
				continue
			}
			if o.Kind == ItemSession && !current[FindingFingerprint(o.Tool)] {
				// The whole tool is gone: its sessions go with it, in one line.
				continue
			}
			g := report.GoneItem{Fingerprint: o.Fingerprint, Kind: o.Kind, Tool: o.Tool, Label: o.Label, LastSeen: &last, Last: o.Attrs}
			if !o.FirstSeen.IsZero() {
				fs := o.FirstSeen
				g.FirstSeen = &fs
			}
			if o.Kind == ItemSession {
				g.Label += " (no longer in the logs: rotated or deleted)"
			}
			if o.Kind == ItemFinding {
				if s := goneWith[o.Tool]; len(s) > 50 {
					g.Sessions = append(s[:50:50], fmt.Sprintf("… and %d more", len(s)-50))
				} else {
					g.Sessions = s
				}
			}
			info.Gone = append(info.Gone, g)
		}
	}
	info.Counts.Gone = len(info.Gone)
	sort.Slice(next.Items, func(i, j int) bool {
		if next.Items[i].Tool != next.Items[j].Tool {
			return next.Items[i].Tool < next.Items[j].Tool
		}
		if next.Items[i].Kind != next.Items[j].Kind {
			return next.Items[i].Kind < next.Items[j].Kind
		}
		return next.Items[i].Label < next.Items[j].Label
	})
	return next
}

var findingAttrWords = map[string]string{"state": "state", "verdict": "verdict", "allowed": "allowed"}
var sessionAttrWords = map[string]string{"group": "kind", "outcome": "outcome", "open": "open", "end": "end", "transfers": "file transfers"}

// attrChanges lists "name old → new" for every attribute that changed.
func attrChanges(old, cur map[string]string, words map[string]string) []string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out []string
	for _, k := range ks {
		o, c := old[k], cur[k]
		if o == c {
			continue
		}
		name := k
		if w, ok := words[k]; ok {
			name = w
		}
		switch {
		case k == "allowed" && c == "false":
			out = append(out, "no longer allowed")
		case k == "allowed" && c == "true":
			out = append(out, "now allowed")
		case k == "open" && c == "false":
			out = append(out, "session ended")
		default:
			out = append(out, fmt.Sprintf("%s %s → %s", name, orDash(o), orDash(c)))
		}
	}
	return out
}

func goneWords(kind string) string {
	switch kind {
	case ItemProcess:
		return "no longer running"
	case ItemListener:
		return "no longer listening"
	case ItemPackage:
		return "no longer installed"
	}
	return "gone"
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// LoadBaseline reads the baseline in dir. A missing file is not an error
// (first run: nil). A corrupt one is moved aside (baseline.json.corrupt-TIME)
// and reported in the returned note, and the audit starts afresh.
func LoadBaseline(dir string) (*Baseline, string, error) {
	p := filepath.Join(dir, BaselineFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("baseline: %w", err)
	}
	var bl Baseline
	if err := json.Unmarshal(b, &bl); err != nil || bl.Format != BaselineFormat {
		why := "unknown format"
		if err != nil {
			why = err.Error()
		}
		aside := fmt.Sprintf("%s.corrupt-%s", p, time.Now().UTC().Format("20060102T150405Z"))
		if rerr := os.Rename(p, aside); rerr != nil {
			return nil, "", fmt.Errorf("baseline %s is unreadable (%s) and could not be moved aside: %w", p, why, rerr)
		}
		return nil, fmt.Sprintf("baseline %s was unreadable (%s); moved to %s; everything is reported as new", p, why, aside), nil
	}
	return &bl, "", nil
}

// Save writes the baseline to dir atomically: a temporary file in the same
// directory, fsync, rename over the old one, fsync of the directory.
func (b *Baseline) Save(dir string) error {
	data, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, BaselineFile), append(data, '\n'), 0o600)
}

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if runtime.GOOS != "windows" {
		if d, err := os.Open(dir); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}
