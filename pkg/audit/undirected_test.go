package audit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// TestUndirectedSessionJudgedAsIncoming: a session of unknown direction is
// judged like an incoming one (it may have been): allowed by an entry that
// allows the tool's incoming sessions, listed as not allowed by one that
// allows only another peer, written as its own NDJSON line and ECS document
// with its judgement, and tracked in the baseline as a new session.
func TestUndirectedSessionJudgedAsIncoming(t *testing.T) {
	inv := audittest.AnyDesk()
	inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.DirectionUnknown, session.Established,
		"2026-01-16T11:00:00Z", "2026-01-16T11:20:00Z", "", "203.0.113.99", 50500, "", "capture.pcap", 0))

	// A tool entry allows everything, the undirected session too: every
	// NDJSON line is info for syslog.
	r := judged(t, inv, "pc-1", `
  - id: ad
    tool: anydesk
    reason: approved
    expires: 2026-12-31
`)
	f := finding(t, r, "anydesk")
	if len(f.Undirected) != 1 || len(f.Audit.Undirected) != 1 || !f.Audit.Undirected[0].Allowed || !f.Audit.Allowed {
		t.Fatalf("undirected %d, judged %+v, finding allowed %v", len(f.Undirected), f.Audit.Undirected, f.Audit.Allowed)
	}
	var buf bytes.Buffer
	if err := (encode.NDJSON{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	undirectedLines := 0
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if sev := encode.LineSeverity(l); sev != encode.SevInfo {
			t.Errorf("severity %v for an allowed report's line %.200s", sev, l)
		}
		if bytes.Contains(l, []byte(`"group":"undirected"`)) {
			undirectedLines++
			if !bytes.Contains(l, []byte(`"allowed":true`)) {
				t.Errorf("undirected line without its judgement: %.300s", l)
			}
		}
	}
	if undirectedLines != 1 {
		t.Errorf("%d undirected session lines, want 1", undirectedLines)
	}

	// An entry for another AnyDesk ID does not cover it.
	r = judged(t, inv, "pc-1", `
  - id: helpdesk
    tool: anydesk
    instance: {anydesk_id: "123 456 789"}
    reason: helpdesk
    expires: never
`)
	f = finding(t, r, "anydesk")
	if f.Audit.Allowed || len(f.Audit.Undirected) != 1 || f.Audit.Undirected[0].Allowed {
		t.Fatalf("audit %+v", f.Audit)
	}
	if got := strings.Join(f.Audit.NotAllowed, "\n"); !strings.Contains(got, "session of unknown direction") || !strings.Contains(got, "203.0.113.99") {
		t.Errorf("not allowed:\n%s", got)
	}
	buf.Reset()
	if err := (encode.NDJSON{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if bytes.Contains(l, []byte(`"group":"undirected"`)) && encode.LineSeverity(l) != encode.SevCrit {
			t.Errorf("a not allowed established session of unknown direction is %v, want crit", encode.LineSeverity(l))
		}
	}
	buf.Reset()
	if err := (encode.ECS{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	var ecs []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var d map[string]any
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatal(err)
		}
		if ev := d["event"].(map[string]any); ev["action"] == "remote-session-undirected" {
			ecs = append(ecs, d)
		}
	}
	if len(ecs) != 1 {
		t.Fatalf("%d remote-session-undirected documents, want 1", len(ecs))
	}
	d := ecs[0]
	if got := fmt.Sprintf("%v %v %v %v", d["event"].(map[string]any)["kind"], d["network"], d["related"], d["labels"].(map[string]any)["ratwatch_allowed"]); got != "alert map[direction:unknown] map[ip:[203.0.113.99]] false" {
		t.Errorf("ECS document: %s", got)
	}

	// The baseline knows it: a second run with the same session calls it
	// unchanged, the first new.
	prev := audit.Compare(r, nil, now)
	r2 := judged(t, inv, "pc-1", "  - id: x\n    tool: anydesk\n    instance: {anydesk_id: \"123 456 789\"}\n    reason: r\n    expires: never\n")
	r2.Audit = &report.AuditInfo{}
	audit.Compare(r2, prev, now)
	if a := finding(t, r2, "anydesk").Audit.Undirected; len(a) != 1 || a[0].Change != report.ChangeUnchanged || a[0].Fingerprint == "" {
		t.Errorf("second run: %+v", a)
	}
}

// TestNDJSONFindingLineAuditBounded: with 30 incoming sessions that no
// entry allows, the finding line's audit has no per-session judgements (the
// session lines have them) and lists the first 20 parts not allowed, then
// how many more; the JSON report keeps every one.
func TestNDJSONFindingLineAuditBounded(t *testing.T) {
	inv := audittest.AnyDesk()
	for i := 0; i < 30; i++ {
		inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.Incoming, session.Established,
			fmt.Sprintf("2026-02-01T10:%02d:00Z", i), fmt.Sprintf("2026-02-01T10:%02d:30Z", i), fmt.Sprint(700000000+i), "", 0, "", "/ad.trace", 100+i))
	}
	r := judged(t, inv, "pc-1", `
  - id: helpdesk
    tool: anydesk
    instance: {anydesk_id: "123 456 789"}
    reason: helpdesk
    expires: never
`)
	full := finding(t, r, "anydesk").Audit.NotAllowed
	if len(full) < 31 {
		t.Fatalf("fixture: %d parts not allowed", len(full))
	}
	var buf bytes.Buffer
	if err := (encode.NDJSON{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Finding struct {
			Audit map[string]json.RawMessage `json:"audit"`
		} `json:"finding"`
		Audit struct {
			NotAllowed []string `json:"not_allowed"`
		} `json:"audit"`
	}
	first, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	if err := json.Unmarshal(first, &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"incoming_sessions", "attempts", "outgoing_sessions", "undirected_sessions"} {
		if _, ok := line.Finding.Audit[k]; ok {
			t.Errorf("finding line's finding.audit has %s", k)
		}
	}
	var inFinding []string
	if err := json.Unmarshal(line.Finding.Audit["not_allowed"], &inFinding); err != nil {
		t.Fatal(err)
	}
	want := append(append([]string(nil), full[:20]...), fmt.Sprintf("… and %d more (see the session lines)", len(full)-20))
	for name, got := range map[string][]string{"finding.audit": inFinding, "audit": line.Audit.NotAllowed} {
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s.not_allowed:\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
