package session

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// JoinTolerance is how far apart two artifacts' times for the same session may
// be and still be joined.
//
// Why two minutes:
//   - AnyDesk connection_trace.txt has minute resolution ("2024-02-16, 20:29"
//     for a trace line at 20:29:04.298), so its start may lie up to 59 s
//     before the trace's;
//   - the TeamViewer log is local time converted to UTC with the offset of its
//     `Start:` header, Connections_incoming.txt is UTC with whole seconds: after
//     conversion the real pair differs by < 1 s (14:16:32.444 vs 14:16:32);
//   - the AnyDesk service trace (Accept request) and the user trace (Incoming
//     session request) of one session are < 1 s apart.
//
// A wrong time-zone conversion is off by whole hours, far beyond this.
const JoinTolerance = 2 * time.Minute

// joinIdentity groups records that may describe the same session.
type joinIdentity struct {
	tool string
	dir  Direction
}

type span struct {
	s, e       time.Time
	hasS, hasE bool
}

func spanOf(r *Record) span {
	var sp span
	if r.Start != nil {
		sp.s, sp.hasS = *r.Start, true
	}
	if r.End != nil {
		sp.e, sp.hasE = *r.End, true
	}
	return sp
}

// source names the artifact a record came from: a record never joins another
// from the same artifact (two sessions of one log are two sessions).
func source(r *Record) string {
	p := ""
	if len(r.Evidence) > 0 {
		p = r.Evidence[0].Path
	}
	return r.Parser + "\x00" + p
}

func normID(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), " ", "") }

// peerMatch: same remote ID when both have one, else same remote IP. Two
// records that both know the peer's (or the local) port and disagree are two
// TCP connections, never one session.
func peerMatch(a, b *Record) bool {
	if !sameHost(a.Host, b.Host) {
		return false
	}
	if a.RemotePort != 0 && b.RemotePort != 0 && a.RemotePort != b.RemotePort {
		return false
	}
	if a.LocalPort != 0 && b.LocalPort != 0 && a.LocalPort != b.LocalPort {
		return false
	}
	ia, ib := normID(a.RemoteID), normID(b.RemoteID)
	if ia != "" && ib != "" {
		return ia == ib
	}
	if a.RemoteIP != "" && b.RemoteIP != "" {
		return a.RemoteIP == b.RemoteIP
	}
	// Neither tells the peer (Splashtop or ScreenConnect events exported one
	// per file): the join keys decide. One that names its peer never joins
	// one that does not through the key: a lone RdpCoreTS 104 (no address)
	// is not the 1149 of some address on that host.
	if ia != "" || ib != "" || a.RemoteIP != "" || b.RemoteIP != "" {
		return false
	}
	return keyMatch(a.Key, b.Key)
}

// sameHost: the computers are the same, or one is not known. A short name
// and its fully qualified form ("PC01", "pc01.example.corp") are the same.
func sameHost(a, b string) bool {
	if a == "" || b == "" || strings.EqualFold(a, b) {
		return true
	}
	sa, _, _ := strings.Cut(a, ".")
	sb, _, _ := strings.Cut(b, ".")
	return (sa == a || sb == b) && strings.EqualFold(sa, sb)
}

// keyMatch: two join keys ("splashtop|host|456090679") name the same
// session when they have the same parts, a part left empty matching any
// ("screenconnect|host|" — an event that names no user — matches the
// session of "screenconnect|host|alice" on that host).
func keyMatch(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	for a != "" || b != "" {
		pa, ra, okA := strings.Cut(a, "|")
		pb, rb, okB := strings.Cut(b, "|")
		if okA != okB || (pa != pb && pa != "" && pb != "") {
			return false
		}
		a, b = ra, rb
	}
	return true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// timeScore tells whether two records' times are compatible and how close they
// are (smaller is closer).
func timeScore(a, b *Record) (time.Duration, bool) {
	sa, sb := spanOf(a), spanOf(b)
	tol := JoinTolerance
	if d, ok, decided := activityScore(a, b, sa, sb); decided {
		return d, ok
	}
	switch {
	case sa.hasS && sb.hasS:
		// Interval overlap with tolerance; an end-less record is an open
		// interval when it is open, a point otherwise (minute-resolution rows).
		ea, eb := sa.e, sb.e
		if !sa.hasE {
			if a.Open {
				ea = maxTime
			} else {
				ea = sa.s
			}
		}
		if !sb.hasE {
			if b.Open {
				eb = maxTime
			} else {
				eb = sb.s
			}
		}
		if sa.s.After(eb.Add(tol)) || sb.s.After(ea.Add(tol)) {
			return 0, false
		}
		return absDur(sa.s.Sub(sb.s)), true
	case !sa.hasS && !sb.hasS:
		if sa.hasE && sb.hasE && absDur(sa.e.Sub(sb.e)) <= tol {
			return absDur(sa.e.Sub(sb.e)), true
		}
		return 0, false
	default:
		// One side lost its start (log rotated, or the start is in another
		// artifact): it continues an open record, or ends where the other ends.
		full, sf, sg := a, sa, sb // sg: the start-less one
		if !sa.hasS {
			full, sf, sg = b, sb, sa
		}
		if !sg.hasE {
			return 0, false
		}
		if !sf.hasE {
			if full.Open && !sf.s.After(sg.e.Add(tol)) {
				return sg.e.Sub(sf.s), true
			}
			return 0, false
		}
		if d := absDur(sf.e.Sub(sg.e)); d <= tol {
			return d, true
		}
		return 0, false
	}
}

var maxTime = time.Unix(1<<62, 0)

// activityScore decides timeScore when a record has neither start nor end
// but dated entries (a file-transfer event of a session whose connect and
// disconnect are in no log given): the session was active at those times.
// Such a record joins one whose interval holds them (within JoinTolerance;
// a start-less one may have begun at any time before its end), or another
// such record active at the same times. decided is false when neither
// record is of this kind.
func activityScore(a, b *Record, sa, sb span) (d time.Duration, ok, decided bool) {
	xa, ya, actA := activeOnly(a, sa)
	xb, yb, actB := activeOnly(b, sb)
	if !actA && !actB {
		return 0, false, false
	}
	tol := JoinTolerance
	if actA && actB {
		if xa.After(yb.Add(tol)) || xb.After(ya.Add(tol)) {
			return 0, false, true
		}
		return absDur(xa.Sub(xb)), true, true
	}
	x, y, o, so := xa, ya, b, sb // [x, y]: the active-only record's times; o: the other
	if actB {
		x, y, o, so = xb, yb, a, sa
	}
	if !so.hasS && !so.hasE {
		return 0, false, true // no time at all: nothing to compare
	}
	end := so.e
	if !so.hasE {
		end = so.s // a point, or open to the future
		if o.Open {
			end = maxTime
		}
	}
	if y.After(end.Add(tol)) || (so.hasS && x.Before(so.s.Add(-tol))) {
		return 0, false, true
	}
	if so.hasS {
		return absDur(x.Sub(so.s)), true, true
	}
	return absDur(end.Sub(y)), true, true
}

// activeOnly: r has no start and no end but dated evidence, first to last.
func activeOnly(r *Record, s span) (first, last time.Time, ok bool) {
	if s.hasS || s.hasE {
		return first, last, false
	}
	return r.Seen()
}

func outcomeConflict(a, b Outcome) bool {
	return (a == Established && b == Rejected) || (a == Rejected && b == Established)
}

// Join merges records of the same session found in several artifacts (AnyDesk
// trace + connection_trace.txt, TeamViewer log + Connections_incoming.txt, a
// log and its rotated _OLD part). Two records join when they have the same
// tool and direction, the same remote ID (or, when either lacks an ID, the
// same remote IP), compatible outcomes (never established with rejected), and
// times that overlap within JoinTolerance. A record never joins another from
// the same artifact, and each record ends up in exactly one output record, so
// nothing is counted twice. Candidate pairs are joined closest-first.
//
// The merged record keeps every evidence item; its start is the most precise
// of the parts' starts (millisecond beats second beats minute; on a tie the
// earliest), its end the most precise end (on a tie the latest), and Notes say
// which artifact each came from. Transfers and clipboard events are the union
// of the parts' without duplicates. Records that match nothing are returned
// unchanged. Output keeps the order of each group's first record in recs.
func Join(recs []Record) []Record {
	n := len(recs)
	if n < 2 {
		return recs
	}
	byID := map[joinIdentity][]int{}
	srcOf := make([]string, n)
	idOf := make([]string, n)
	for i := range recs {
		k := joinIdentity{recs[i].Tool, recs[i].Direction}
		byID[k] = append(byID[k], i)
		srcOf[i] = source(&recs[i])
		idOf[i] = normID(recs[i].RemoteID)
	}
	type pair struct {
		i, j  int
		score time.Duration
	}
	var pairs []pair
	for _, idx := range byID {
		// Records of one source never join each other: only pairs across
		// sources are scored. (A capture's or an event log's thousands of
		// records, all of one source, made this quadratic.)
		bySrc := map[string][]int{}
		var srcs []string
		for _, i := range idx {
			if _, ok := bySrc[srcOf[i]]; !ok {
				srcs = append(srcs, srcOf[i])
			}
			bySrc[srcOf[i]] = append(bySrc[srcOf[i]], i)
		}
		// Within two sources, only records whose times come near each
		// other are scored (two AnyDesk traces of 8,000 sessions each took
		// 3.4 s compared all with all).
		wins := make([]*window, len(srcs))
		for sx := range srcs {
			for sy := sx + 1; sy < len(srcs); sy++ {
				if wins[sy] == nil {
					wins[sy] = newWindow(recs, bySrc[srcs[sy]])
				}
				for _, x := range bySrc[srcs[sx]] {
					wins[sy].each(&recs[x], func(y int) {
						i, j := min(x, y), max(x, y)
						if ia, ib := idOf[i], idOf[j]; ia != "" && ib != "" && ia != ib {
							return // the common case, decided without calls
						}
						a, b := &recs[i], &recs[j]
						if !peerMatch(a, b) || outcomeConflict(a.Outcome, b.Outcome) {
							return
						}
						d, ok := timeScore(a, b)
						if !ok {
							return
						}
						if a.Outcome != b.Outcome {
							d += JoinTolerance // prefer partners that agree on the outcome
						}
						pairs = append(pairs, pair{i, j, d})
					})
				}
			}
		}
	}
	if len(pairs) == 0 {
		return recs
	}
	sort.SliceStable(pairs, func(x, y int) bool {
		if pairs[x].score != pairs[y].score {
			return pairs[x].score < pairs[y].score
		}
		if pairs[x].i != pairs[y].i {
			return pairs[x].i < pairs[y].i
		}
		return pairs[x].j < pairs[y].j
	})

	parent := make([]int, n)
	srcs := make([]map[string]bool, n)
	members := make([][]int, n)
	for i := range parent {
		parent[i] = i
		srcs[i] = map[string]bool{srcOf[i]: true}
		members[i] = []int{i}
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, p := range pairs {
		ri, rj := find(p.i), find(p.j)
		if ri == rj {
			continue
		}
		clash := false
		for s := range srcs[rj] {
			if srcs[ri][s] {
				clash = true
				break
			}
		}
		// Every member must stay compatible with every member of the other group.
		if clash || !groupCompatible(recs, members[ri], members[rj]) {
			continue
		}
		if ri > rj {
			ri, rj = rj, ri
		}
		parent[rj] = ri
		for s := range srcs[rj] {
			srcs[ri][s] = true
		}
		members[ri] = append(members[ri], members[rj]...)
		members[rj] = nil
	}

	groups := map[int][]int{}
	var order []int
	for i := 0; i < n; i++ {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]Record, 0, len(order))
	for _, r := range order {
		g := groups[r]
		if len(g) == 1 {
			out = append(out, recs[g[0]])
			continue
		}
		parts := make([]*Record, len(g))
		for k, i := range g {
			parts[k] = &recs[i]
		}
		out = append(out, merge(parts))
	}
	return out
}

// window holds one source's records by start time, to find the records
// whose times may be compatible with another's (timeScore) without looking
// at all of them.
type window struct {
	timed  []int         // records with a start and a bounded end, by start
	starts []time.Time   // their starts
	maxLen time.Duration // the longest of their intervals
	loose  []int         // records without a start, open or spanning > maxWindowSpan: always candidates
}

// maxWindowSpan bounds maxLen: a record spanning more (a corrupt row from
// 1601 to 2024; time.Duration saturates at 292 years) is loose instead.
const maxWindowSpan = 100 * 365 * 24 * time.Hour

// bruteForce makes window.each return every record (tests compare both).
var bruteForce = false

func newWindow(recs []Record, idx []int) *window {
	w := &window{}
	for _, i := range idx {
		if r := &recs[i]; bruteForce || r.Start == nil || (r.End == nil && r.Open) || (r.End != nil && r.End.Sub(*r.Start) > maxWindowSpan) {
			w.loose = append(w.loose, i)
		} else {
			w.timed = append(w.timed, i)
		}
	}
	sort.SliceStable(w.timed, func(a, b int) bool { return recs[w.timed[a]].Start.Before(*recs[w.timed[b]].Start) })
	w.starts = make([]time.Time, len(w.timed))
	for k, i := range w.timed {
		w.starts[k] = *recs[i].Start
		if e := recs[i].End; e != nil && e.Sub(w.starts[k]) > w.maxLen {
			w.maxLen = e.Sub(w.starts[k])
		}
	}
	return w
}

// each calls f with every record of w that timeScore may find compatible
// with r: one whose interval [start, end] comes within JoinTolerance of
// r's. A timed record ends at most maxLen after its start, so the ones
// starting earlier than r's start - tolerance - maxLen cannot.
func (w *window) each(r *Record, f func(j int)) {
	for _, j := range w.loose {
		f(j)
	}
	if r.Start == nil {
		for _, j := range w.timed {
			f(j)
		}
		return
	}
	end := *r.Start // r's interval as timeScore sees it
	if r.End != nil {
		end = *r.End
	} else if r.Open {
		end = maxTime
	}
	lo, hi := r.Start.Add(-JoinTolerance-w.maxLen), end.Add(JoinTolerance)
	for k := sort.Search(len(w.starts), func(k int) bool { return !w.starts[k].Before(lo) }); k < len(w.starts) && !w.starts[k].After(hi); k++ {
		f(w.timed[k])
	}
}

func groupCompatible(recs []Record, gi, gj []int) bool {
	for _, a := range gi {
		for _, b := range gj {
			if outcomeConflict(recs[a].Outcome, recs[b].Outcome) || !sameHost(recs[a].Host, recs[b].Host) {
				return false
			}
			if _, ok := timeScore(&recs[a], &recs[b]); !ok {
				return false
			}
		}
	}
	return true
}

// precision ranks a record's time: minute for an artifact that writes
// minutes (Record.MinuteTimes), else sub-second digits mean a millisecond log
// and none a second log (a second log's 11:14:00 is not a minute). Smaller
// is finer.
func precision(r *Record, t time.Time) int {
	switch {
	case r.MinuteTimes:
		return 2
	case t.Nanosecond() != 0:
		return 0
	default:
		return 1
	}
}

func describe(r *Record) string {
	p := ""
	if len(r.Evidence) > 0 {
		p = r.Evidence[0].Path
	}
	if p == "" {
		return r.Parser
	}
	return r.Parser + " (" + p + ")"
}

func outcomeRank(o Outcome) int {
	switch o {
	case Established:
		return 3
	case FailedAuth:
		return 2
	case Rejected:
		return 1
	}
	return 0
}

func merge(parts []*Record) Record {
	m := Record{Tool: parts[0].Tool, Direction: parts[0].Direction, Outcome: AttemptOnly}
	var parsers []string
	seenParser := map[string]bool{}
	var startFrom, endFrom *Record
	open := false
	var notes []string
	seenNote := map[string]bool{}
	addNote := func(s string) {
		if !seenNote[s] {
			seenNote[s] = true
			notes = append(notes, s)
		}
	}
	var rules []string
	seenRule := map[string]bool{}
	var descs []string
	for _, p := range parts {
		descs = append(descs, describe(p))
		if !seenParser[p.Parser] {
			seenParser[p.Parser] = true
			parsers = append(parsers, p.Parser)
		}
		if outcomeRank(p.Outcome) > outcomeRank(m.Outcome) || (m.Outcome == "" && p.Outcome != "") {
			m.Outcome = p.Outcome
		}
		if p.Start != nil {
			if startFrom == nil || precision(p, *p.Start) < precision(startFrom, *startFrom.Start) ||
				(precision(p, *p.Start) == precision(startFrom, *startFrom.Start) && p.Start.Before(*startFrom.Start)) {
				startFrom = p
			}
		}
		if p.End != nil {
			if endFrom == nil || precision(p, *p.End) < precision(endFrom, *endFrom.End) ||
				(precision(p, *p.End) == precision(endFrom, *endFrom.End) && p.End.After(*endFrom.End)) {
				endFrom = p
			}
		}
		if p.Open {
			open = true
		}
		if p.TimeRule != "" && !seenRule[p.TimeRule] {
			seenRule[p.TimeRule] = true
			rules = append(rules, p.TimeRule)
		}
		pickStr(&m.RemoteID, p.RemoteID, "remote_id", p, addNote)
		pickStr(&m.RemoteIP, p.RemoteIP, "remote_ip", p, addNote)
		pickStr(&m.RemoteName, p.RemoteName, "remote_name", p, addNote)
		pickStr(&m.LocalUser, p.LocalUser, "local_user", p, addNote)
		pickStr(&m.AuthMethod, p.AuthMethod, "auth_method", p, addNote)
		pickStr(&m.Display, p.Display, "display", p, addNote)
		pickStr(&m.Host, p.Host, "host", p, addNote)
		if m.RemotePort == 0 {
			m.RemotePort = p.RemotePort
		}
		if m.LocalPort == 0 {
			m.LocalPort = p.LocalPort
		}
		if m.Key == "" {
			m.Key = p.Key
		}
		for k, v := range p.Input {
			if m.Input == nil {
				m.Input = map[string]int{}
			}
			if v > m.Input[k] { // the same events counted by two artifacts: max, not sum
				m.Input[k] = v
			}
		}
		m.Evidence = append(m.Evidence, p.Evidence...)
		for _, nt := range p.Notes {
			addNote(nt)
		}
	}
	m.OutcomeUnlogged = m.Outcome == AttemptOnly
	for _, p := range parts {
		m.OutcomeUnlogged = m.OutcomeUnlogged && p.OutcomeUnlogged // one part that could tell decides
	}
	m.Parser = strings.Join(parsers, "+")
	m.TimeRule = strings.Join(rules, "; ")
	if startFrom != nil {
		m.Start = T(*startFrom.Start)
		m.MinuteTimes = startFrom.MinuteTimes
	}
	if endFrom != nil {
		m.End = T(*endFrom.End)
	}
	m.Transfers = mergeTransfers(parts)
	m.Clipboard = mergeEvents(parts)
	m.Finish()
	m.Open = m.End == nil && open
	j := fmt.Sprintf("joined %d records: %s", len(parts), strings.Join(descs, ", "))
	if startFrom != nil {
		j += "; start from " + describe(startFrom) + " (most precise, earliest)"
	}
	if endFrom != nil {
		j += "; end from " + describe(endFrom) + " (most precise, latest)"
	}
	m.Notes = append([]string{j}, notes...)
	return m
}

func pickStr(dst *string, v, field string, p *Record, note func(string)) {
	if v == "" {
		return
	}
	if *dst == "" {
		*dst = v
		return
	}
	if normID(*dst) != normID(v) {
		note(fmt.Sprintf("%s also %q in %s", field, v, describe(p)))
	}
}

func near(a, b *time.Time, tol time.Duration) bool {
	if a == nil || b == nil {
		return true
	}
	return absDur(a.Sub(*b)) <= tol
}

// mergeTransfers unions the parts' transfers: the same direction and name
// within JoinTolerance is one transfer; unnamed placeholders ("a file-transfer
// stream was opened") are dropped when a named transfer exists.
func mergeTransfers(parts []*Record) []Transfer {
	named := false
	for _, p := range parts {
		for _, t := range p.Transfers {
			if t.Name != "" {
				named = true
			}
		}
	}
	var out []Transfer
	for _, p := range parts {
		prev := len(out) // only other artifacts' transfers can be duplicates
		for _, t := range p.Transfers {
			if named && t.Name == "" {
				continue
			}
			if !dupTransfer(out[:prev], t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func dupTransfer(out []Transfer, t Transfer) bool {
	for k := range out {
		o := &out[k]
		if o.Kind != "" && t.Kind != "" && o.Kind != t.Kind {
			continue
		}
		if o.Name == t.Name && o.Folder == t.Folder && (o.Direction == t.Direction || o.Direction == "unknown" || t.Direction == "unknown") &&
			(o.Size == t.Size || o.Size == 0 || t.Size == 0) && near(o.Time, t.Time, JoinTolerance) {
			if o.Direction == "unknown" {
				o.Direction = t.Direction
			}
			if o.Size == 0 {
				o.Size = t.Size
			}
			if o.Time == nil {
				o.Time = t.Time
			}
			return true
		}
	}
	return false
}

func mergeEvents(parts []*Record) []Event {
	var out []Event
	for _, p := range parts {
		prev := len(out)
	next:
		for _, e := range p.Clipboard {
			for _, o := range out[:prev] {
				if o.What == e.What && near(o.Time, e.Time, time.Second) {
					continue next
				}
			}
			out = append(out, e)
		}
	}
	return out
}
