package audit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/session"
)

const schemaBase = "https://github.com/ratwatch/ratwatch/docs/schema/"

// ndjsonSchema compiles docs/schema/ndjson.schema.json (with the report
// schema it refers to), asserting formats (date-time).
func ndjsonSchema(t testing.TB, docsDir string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"report.schema.json", "ndjson.schema.json"} {
		f, err := os.Open(docsDir + "/schema/" + name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(schemaBase+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(schemaBase + "ndjson.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateNDJSON validates every line of out and returns them decoded.
func validateNDJSON(t testing.TB, s *jsonschema.Schema, out []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for i, l := range bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n")) {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(l))
		if err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("line %d does not match ndjson.schema.json: %v\n%.600s", i+1, err, l)
		}
		var m map[string]any
		json.Unmarshal(l, &m)
		lines = append(lines, m)
	}
	return lines
}

func TestNDJSONMatchesSchema(t *testing.T) {
	s := ndjsonSchema(t, "../../docs")
	r := audittest.Audited(t)
	var buf bytes.Buffer
	if err := (encode.NDJSON{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := validateNDJSON(t, s, buf.Bytes())
	types := map[string]int{}
	changes := map[string]int{}
	for _, l := range lines {
		types[l["type"].(string)]++
		if a, ok := l["audit"].(map[string]any); ok {
			changes[a["change"].(string)]++
		}
		if l["type"] != "verdict" && l["audit"] == nil {
			t.Errorf("audit line without judgement: %v", l)
		}
	}
	// 1 finding (anydesk), 5 sessions, 2 gone (x11vnc; one AnyDesk session), 1 verdict.
	if types["finding"] != 1 || types["session"] != 5 || types["gone"] != 2 || types["verdict"] != 1 {
		t.Errorf("line types %v", types)
	}
	if changes["new"] != 1 || changes["gone"] != 2 || changes["changed"] != 1 || changes["unchanged"] != 4 {
		t.Errorf("changes %v", changes)
	}
	last := lines[len(lines)-1]
	sum := last["audit_summary"].(map[string]any)
	if last["exit_code"] != 3.0 || sum["counts"].(map[string]any)["not_allowed"] != 1.0 || len(sum["expired_entries"].([]any)) != 1 {
		t.Errorf("verdict line: %v", last)
	}

	// A deliberately wrong line is rejected (the schema is not a no-op).
	bad := bytes.Replace(buf.Bytes(), []byte(`"change":"new"`), []byte(`"change":"novel"`), 1)
	if bytes.Equal(bad, buf.Bytes()) {
		t.Fatal("no new item to corrupt")
	}
	for i, l := range bytes.Split(bytes.TrimRight(bad, "\n"), []byte("\n")) {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(l))
		if strings.Contains(string(l), "novel") && s.Validate(inst) == nil {
			t.Errorf("line %d with change \"novel\" passes the schema", i+1)
		}
	}

	// Plain scan output (no audit fields) matches too.
	buf.Reset()
	plain := audittest.Scan(t, "", "linux", "pc-1", audittest.AnyDesk())
	if err := (encode.NDJSON{}).Encode(&buf, plain); err != nil {
		t.Fatal(err)
	}
	validateNDJSON(t, s, buf.Bytes())
}

// The JSON evidence document of an audit (report + audit objects) still
// matches docs/schema/report.schema.json.
func TestAuditJSONMatchesReportSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	f, err := os.Open("../../docs/schema/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(schemaBase+"report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaBase + "report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (encode.JSON{}).Encode(&buf, audittest.Audited(t)); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("audit JSON report does not match report.schema.json: %v", err)
	}
}

// TestNDJSONSessionsOnce: every session is written once, on its own line
// with its group; the finding line carries no session list, only
// session_lines, the count of those lines. The inventory has AnyDesk's two
// incoming sessions, one rejected attempt, one outgoing session, and one
// established session of unknown direction (undirected).
func TestNDJSONSessionsOnce(t *testing.T) {
	s := ndjsonSchema(t, "../../docs")
	inv := audittest.AnyDesk()
	inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.DirectionUnknown, session.Established,
		"2026-01-16T11:00:00Z", "2026-01-16T11:20:00Z", "", "203.0.113.99", 50500, "", "capture.pcap", 0))
	r := audittest.Scan(t, "", "linux", "pc-1", inv)
	var buf bytes.Buffer
	if err := (encode.NDJSON{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := validateNDJSON(t, s, buf.Bytes())
	groups := map[string][]string{}
	var finding map[string]any
	for _, l := range lines {
		switch l["type"] {
		case "finding":
			finding = l["finding"].(map[string]any)
		case "session":
			ses := l["session"].(map[string]any)
			groups[l["group"].(string)] = append(groups[l["group"].(string)], fmt.Sprint(ses["remote_id"], "|", ses["remote_ip"], "|", ses["start"]))
		}
	}
	if finding == nil {
		t.Fatal("no finding line")
	}
	for _, k := range []string{"incoming_sessions", "attempts", "outgoing_sessions", "undirected_sessions"} {
		if _, ok := finding[k]; ok {
			t.Errorf("the finding line carries %s", k)
		}
	}
	want := map[string][]string{
		"incoming":   {"123 456 789|203.0.113.7|2026-01-12T09:00:05Z", "987654321|198.51.100.9|2026-01-13T22:14:09Z"},
		"attempt":    {"555000111|192.0.2.44|2026-01-14T07:00:00Z"},
		"outgoing":   {"444333222|<nil>|2026-01-15T10:00:00Z"},
		"undirected": {"<nil>|203.0.113.99|2026-01-16T11:00:00Z"},
	}
	// The finding line's timeline keeps the process start, not the
	// sessions' events (the report's timeline has both).
	var events []string
	for _, e := range finding["timeline"].([]any) {
		events = append(events, e.(map[string]any)["event"].(string))
	}
	if strings.Join(events, ",") != "process-start" {
		t.Errorf("finding line timeline events %v, want only process-start", events)
	}
	kinds := map[string]int{}
	for _, e := range r.Findings[0].Timeline {
		kinds[e.Event]++
	}
	if kinds["session-start"] != 2 || kinds["session-end"] != 2 || kinds["attempt"] != 1 || kinds["outgoing-start"] != 1 || kinds["process-start"] != 1 ||
		kinds["undirected-start"] != 1 || kinds["undirected-end"] != 1 {
		t.Errorf("report timeline %v", kinds)
	}
	counts := finding["session_lines"].(map[string]any)
	for g, w := range want {
		got := groups[g]
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s lines:\n%s\nwant\n%s", g, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
		if counts[g] != float64(len(w)) {
			t.Errorf("session_lines.%s = %v, want %d", g, counts[g], len(w))
		}
	}
	if len(groups) != len(want) {
		t.Errorf("groups %v", groups)
	}
}
