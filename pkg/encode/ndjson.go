package encode

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// NDJSON writes one JSON object per line: a "finding" per tool, a "session"
// per incoming/outgoing session or attempt, and one "verdict" line last.
// Every line carries the host, the scan id and the scan time, so lines can be
// ingested one by one.
type NDJSON struct{}

func (NDJSON) Name() string { return "ndjson" }

// Line is one NDJSON event.
type Line struct {
	Type     string          `json:"type"` // finding | session | verdict
	Time     time.Time       `json:"time"`
	ScanID   string          `json:"scan_id"`
	Host     string          `json:"host"`
	Tool     string          `json:"tool,omitempty"`
	Finding  *report.Finding `json:"finding,omitempty"`
	Session  *session.Record `json:"session,omitempty"`
	Verdict  *report.Verdict `json:"verdict,omitempty"`
	ExitCode *int            `json:"exit_code,omitempty"`
}

// Lines renders the report as NDJSON events.
func Lines(r *report.Report) []Line {
	base := Line{Time: r.Scan.FinishedAt, ScanID: r.Scan.ID, Host: r.Host.Name}
	var out []Line
	for i := range r.Findings {
		f := &r.Findings[i]
		l := base
		l.Type, l.Tool, l.Finding = "finding", f.Tool.ID, f
		out = append(out, l)
		for _, group := range [][]session.Record{f.Incoming, f.Attempts, f.Outgoing} {
			for k := range group {
				s := group[k]
				l := base
				l.Type, l.Tool, l.Session = "session", f.Tool.ID, &s
				out = append(out, l)
			}
		}
	}
	l := base
	v := r.Verdict
	code := r.ExitCode
	l.Type, l.Verdict, l.ExitCode = "verdict", &v, &code
	return append(out, l)
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
