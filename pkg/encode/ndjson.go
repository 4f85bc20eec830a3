package encode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// NDJSON writes one JSON object per line: a "finding" per tool, a "session"
// per incoming/outgoing session or attempt, and one "verdict" line last.
// Every line carries the host, the scan id and the scan time, so lines can be
// ingested one by one. In an audit, finding and session lines carry the
// audit judgement ("audit": new/changed/unchanged, allowed), a "gone" line
// follows for each item gone since the last audit, and the verdict line
// carries "audit_summary". docs/schema/ndjson.schema.json describes a line.
type NDJSON struct{}

// LineEncoder is a format of self-contained lines (ndjson, ecs): an audit
// appends each line to a file with one write call, and sends each line as
// one syslog message.
type LineEncoder interface {
	Encoder
	// EncodeLines renders the report as lines, each ending in "\n".
	EncodeLines(r *report.Report) ([][]byte, error)
}

func (NDJSON) Name() string { return "ndjson" }

// Line is one NDJSON event.
type Line struct {
	Type     string          `json:"type"` // finding | session | gone | verdict
	Time     time.Time       `json:"time"`
	ScanID   string          `json:"scan_id"`
	Host     string          `json:"host"`
	Tool     string          `json:"tool,omitempty"`
	Finding  *LineFinding    `json:"finding,omitempty"`
	Session  *session.Record `json:"session,omitempty"`
	Verdict  *report.Verdict `json:"verdict,omitempty"`
	ExitCode *int            `json:"exit_code,omitempty"`
	// Group is the finding's list a session line belongs to: incoming |
	// attempt | outgoing | undirected.
	Group string `json:"group,omitempty"`
	// Audit lines only.
	Audit        *report.ItemAudit `json:"audit,omitempty"`
	Gone         *report.GoneItem  `json:"gone,omitempty"`
	AuditSummary *report.AuditInfo `json:"audit_summary,omitempty"`
}

// LineFinding is a finding on a finding line: the report's finding without
// its session lists, which follow as session lines of their own (a finding
// line repeating them was as long as all its session lines together, and
// a line-based shipper or syslog cuts such lines). SessionLines counts them.
type LineFinding struct {
	*report.Finding
	Incoming     *struct{}    `json:"incoming_sessions,omitempty"`
	Attempts     *struct{}    `json:"attempts,omitempty"`
	Outgoing     *struct{}    `json:"outgoing_sessions,omitempty"`
	Undirected   *struct{}    `json:"undirected_sessions,omitempty"`
	SessionLines SessionLines `json:"session_lines"`
	// Timeline keeps the events that are not of a session (installed,
	// process start, executed, ...): a session's start, end, transfers and
	// attempt are on its own line.
	Timeline []report.TimelineEvent `json:"timeline"`
	// Audit is the finding's judgement without its per-session judgements
	// (each session line has its own) and with not_allowed capped.
	Audit *report.FindingAudit `json:"audit,omitempty"`
}

// maxNotAllowed caps the parts a finding line lists as not allowed; one
// per session made the line grow with every session. The session lines say
// each session's own judgement.
const maxNotAllowed = 20

func capNotAllowed(l []string) []string {
	if len(l) <= maxNotAllowed {
		return l
	}
	return append(l[:maxNotAllowed:maxNotAllowed], fmt.Sprintf("… and %d more (see the session lines)", len(l)-maxNotAllowed))
}

func lineFinding(f *report.Finding) *LineFinding {
	lf := &LineFinding{Finding: f, SessionLines: SessionLines{len(f.Incoming), len(f.Attempts), len(f.Outgoing), len(f.Undirected)}}
	for _, e := range f.Timeline {
		if !e.OfSession() {
			lf.Timeline = append(lf.Timeline, e)
		}
	}
	if f.Audit != nil {
		a := *f.Audit
		a.Incoming, a.Attempts, a.Outgoing, a.Undirected = nil, nil, nil, nil
		a.NotAllowed = capNotAllowed(a.NotAllowed)
		lf.Audit = &a
	}
	return lf
}

// SessionLines counts a finding's session lines by group.
type SessionLines struct {
	Incoming   int `json:"incoming"`
	Attempts   int `json:"attempt"`
	Outgoing   int `json:"outgoing"`
	Undirected int `json:"undirected"`
}

// LineSeq yields the report's NDJSON events one by one, so a report of
// hundreds of thousands of sessions is written without a second copy of it
// in memory. A session line points at the report's record.
func LineSeq(r *report.Report) iter.Seq[Line] {
	return func(yield func(Line) bool) { lineSeq(r, yield) }
}

func lineSeq(r *report.Report, yield func(Line) bool) {
	base := Line{Time: r.Scan.FinishedAt, ScanID: r.Scan.ID, Host: r.Host.Name}
	for i := range r.Findings {
		f := &r.Findings[i]
		l := base
		l.Type, l.Tool = "finding", f.Tool.ID
		l.Finding = lineFinding(f)
		var audits [4][]report.ItemAudit
		if a := f.Audit; a != nil {
			l.Audit = &report.ItemAudit{Fingerprint: a.Fingerprint, Change: a.Change, Changes: a.Changes, FirstSeen: a.FirstSeen,
				Allowed: a.Allowed, AllowedBy: a.AllowedBy, Expired: a.Expired, NotAllowed: capNotAllowed(a.NotAllowed)}
			audits = a.Lists()
		}
		if !yield(l) {
			return
		}
		for g, group := range f.Lists() {
			for k := range group {
				l := base
				l.Type, l.Tool, l.Session = "session", f.Tool.ID, &group[k]
				l.Group = report.SessionGroups[g]
				if f.Audit != nil && k < len(audits[g]) {
					l.Audit = &audits[g][k]
				}
				if !yield(l) {
					return
				}
			}
		}
	}
	if r.Audit != nil {
		for i := range r.Audit.Gone {
			g := r.Audit.Gone[i]
			l := base
			l.Type, l.Tool, l.Gone = "gone", g.Tool, &g
			l.Audit = &report.ItemAudit{Fingerprint: g.Fingerprint, Change: report.ChangeGone}
			if !yield(l) {
				return
			}
		}
	}
	l := base
	v := r.Verdict
	code := r.ExitCode
	l.Type, l.Verdict, l.ExitCode = "verdict", &v, &code
	if r.Audit != nil {
		sum := *r.Audit
		sum.Gone = nil // one "gone" line each, above
		l.AuditSummary = &sum
	}
	yield(l)
}

// EncodeLines renders each event as one line ending in "\n".
func (NDJSON) EncodeLines(r *report.Report) ([][]byte, error) { return jsonLines(LineSeq(r)) }

func (NDJSON) Encode(w io.Writer, r *report.Report) error { return writeJSONLines(w, LineSeq(r)) }

// writeJSONLines writes each value of seq as one line of JSON (HTML
// characters as they are), as the values come.
func writeJSONLines[T any](w io.Writer, seq iter.Seq[T]) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for v := range seq {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// jsonLines renders each value of seq as one line of JSON ending in "\n".
func jsonLines[T any](seq iter.Seq[T]) ([][]byte, error) {
	var out [][]byte
	for v := range seq {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}
