package encode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
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
	Finding  *report.Finding `json:"finding,omitempty"`
	Session  *session.Record `json:"session,omitempty"`
	Verdict  *report.Verdict `json:"verdict,omitempty"`
	ExitCode *int            `json:"exit_code,omitempty"`
	// Audit lines only.
	Group        string            `json:"group,omitempty"` // session lines: incoming | attempt | outgoing
	Audit        *report.ItemAudit `json:"audit,omitempty"`
	Gone         *report.GoneItem  `json:"gone,omitempty"`
	AuditSummary *report.AuditInfo `json:"audit_summary,omitempty"`
}

// Lines renders the report as NDJSON events.
func Lines(r *report.Report) []Line {
	base := Line{Time: r.Scan.FinishedAt, ScanID: r.Scan.ID, Host: r.Host.Name}
	var out []Line
	for i := range r.Findings {
		f := &r.Findings[i]
		l := base
		l.Type, l.Tool, l.Finding = "finding", f.Tool.ID, f
		var audits [3][]report.ItemAudit
		if a := f.Audit; a != nil {
			l.Audit = &report.ItemAudit{Fingerprint: a.Fingerprint, Change: a.Change, Changes: a.Changes, FirstSeen: a.FirstSeen,
				Allowed: a.Allowed, AllowedBy: a.AllowedBy, Expired: a.Expired, NotAllowed: a.NotAllowed}
			audits = [3][]report.ItemAudit{a.Incoming, a.Attempts, a.Outgoing}
		}
		out = append(out, l)
		for g, group := range [][]session.Record{f.Incoming, f.Attempts, f.Outgoing} {
			for k := range group {
				s := group[k]
				l := base
				l.Type, l.Tool, l.Session = "session", f.Tool.ID, &s
				if f.Audit != nil {
					l.Group = [3]string{"incoming", "attempt", "outgoing"}[g]
					if k < len(audits[g]) {
						l.Audit = &audits[g][k]
					}
				}
				out = append(out, l)
			}
		}
	}
	if r.Audit != nil {
		for i := range r.Audit.Gone {
			g := r.Audit.Gone[i]
			l := base
			l.Type, l.Tool, l.Gone = "gone", g.Tool, &g
			l.Audit = &report.ItemAudit{Fingerprint: g.Fingerprint, Change: report.ChangeGone}
			out = append(out, l)
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
	return append(out, l)
}

// EncodeLines renders each event as one line ending in "\n".
func (NDJSON) EncodeLines(r *report.Report) ([][]byte, error) {
	var out [][]byte
	for _, l := range Lines(r) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(l); err != nil {
			return nil, err
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}

func (NDJSON) Encode(w io.Writer, r *report.Report) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, l := range Lines(r) {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return bw.Flush()
}
