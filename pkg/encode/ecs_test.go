package encode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

type ecsField struct {
	typ    string // keyword, keyword[], long, date, ip, object, match_only_text, wildcard
	values []string
}

// ecsFields reads the field tables of docs/schema/ecs-fields.md.
func ecsFields(t *testing.T) map[string]ecsField {
	t.Helper()
	b, err := os.ReadFile("../../docs/schema/ecs-fields.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z_\\[\\]]+) \\|([^|]*)\\|")
	out := map[string]ecsField{}
	for _, line := range strings.Split(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := ecsField{typ: m[2]}
		for _, v := range strings.Split(m[3], ",") {
			if v = strings.TrimSpace(v); v != "" {
				f.values = append(f.values, v)
			}
		}
		out[m[1]] = f
	}
	if len(out) < 60 {
		t.Fatalf("only %d fields parsed from ecs-fields.md", len(out))
	}
	return out
}

// flatten turns nested objects into dotted keys; arrays stay values.
func flatten(prefix string, v any, out map[string]any) {
	if m, ok := v.(map[string]any); ok && prefix != "@timestamp" {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	out[prefix] = v
}

func checkType(f ecsField, v any) error {
	str := func(x any) (string, error) {
		s, ok := x.(string)
		if !ok {
			return "", fmt.Errorf("%v (%T) is not a string", x, x)
		}
		return s, nil
	}
	inValues := func(s string) error {
		if len(f.values) == 0 {
			return nil
		}
		for _, x := range f.values {
			if x == s {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %v", s, f.values)
	}
	switch f.typ {
	case "keyword[]":
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return fmt.Errorf("%v is not a non-empty array", v)
		}
		for _, x := range arr {
			s, err := str(x)
			if err != nil {
				return err
			}
			if err := inValues(s); err != nil {
				return err
			}
		}
		return nil
	case "keyword", "match_only_text", "wildcard":
		s, err := str(v)
		if err != nil {
			return err
		}
		return inValues(s)
	case "long":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			return fmt.Errorf("%v is not an integer", v)
		}
	case "date":
		s, err := str(v)
		if err != nil {
			return err
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return err
		}
	case "ip":
		s, err := str(v)
		if err != nil {
			return err
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return err
		}
	case "ip[]":
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return fmt.Errorf("%v is not a non-empty array", v)
		}
		for _, x := range arr {
			if err := checkType(ecsField{typ: "ip"}, x); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("type %s cannot hold a value", f.typ)
	}
	return nil
}

// Allowed event.type values per event.category (ECS categorization).
var categoryTypes = map[string][]string{
	"intrusion_detection": {"allowed", "denied", "info"},
	"process":             {"access", "change", "end", "info", "start"},
	"session":             {"start", "end", "info"},
	"host":                {"access", "change", "end", "info", "start"},
}

func decodeLines(t *testing.T, r *report.Report) []map[string]any {
	t.Helper()
	lines, err := encode.ECS{}.EncodeLines(r)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (encode.ECS{}).Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Join(lines, nil); !bytes.Equal(got, buf.Bytes()) {
		t.Error("Encode and EncodeLines differ")
	}
	var docs []map[string]any
	for i, l := range lines {
		if !bytes.HasSuffix(l, []byte("\n")) || bytes.Count(l, []byte("\n")) != 1 {
			t.Fatalf("line %d is not one line", i)
		}
		var d map[string]any
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		docs = append(docs, d)
	}
	return docs
}

// validateECS checks every key of every document against ecs-fields.md.
func validateECS(t *testing.T, docs []map[string]any) {
	t.Helper()
	fields := ecsFields(t)
	for i, d := range docs {
		flat := map[string]any{}
		flatten("", d, flat)
		keys := make([]string, 0, len(flat))
		for k := range flat {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				t.Errorf("doc %d (%v): field %q is not in docs/schema/ecs-fields.md", i, flat["event.action"], k)
				continue
			}
			if err := checkType(f, flat[k]); err != nil {
				t.Errorf("doc %d: %s: %v", i, k, err)
			}
		}
		for _, req := range []string{"@timestamp", "ecs.version", "event.kind", "event.category", "event.type", "event.action",
			"event.dataset", "agent.name", "observer.product", "labels.ratwatch_scan_id", "message"} {
			if _, ok := flat[req]; !ok {
				t.Errorf("doc %d (%v) lacks %s", i, flat["event.action"], req)
			}
		}
		cats := flat["event.category"].([]any)
		for _, typ := range flat["event.type"].([]any) {
			okType := false
			for _, c := range cats {
				for _, allowed := range categoryTypes[c.(string)] {
					okType = okType || allowed == typ
				}
			}
			if !okType {
				t.Errorf("doc %d: event.type %v does not go with event.category %v", i, typ, cats)
			}
		}
	}
}

func byAction(docs []map[string]any, action string) []map[string]any {
	var out []map[string]any
	for _, d := range docs {
		if d["event"].(map[string]any)["action"] == action {
			out = append(out, d)
		}
	}
	return out
}

func get(d map[string]any, path string) any {
	var v any = d
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestECSAuditDocuments(t *testing.T) {
	r := audittest.Audited(t)
	docs := decodeLines(t, r)
	validateECS(t, docs)
	for _, d := range docs {
		if get(d, "host.name") != "pc-17" {
			t.Errorf("doc without host.name: %v", d)
		}
	}

	f := byAction(docs, "remote-access-tool-detected")
	if len(f) != 1 || get(f[0], "rule.id") != "anydesk" || get(f[0], "event.kind") != "alert" {
		t.Fatalf("finding docs: %v", f)
	}
	if fmt.Sprint(get(f[0], "threat.technique.id")) != "[T1219]" || fmt.Sprint(get(f[0], "threat.technique.subtechnique.id")) != "[T1219.002]" ||
		get(f[0], "threat.framework") != "MITRE ATT&CK" || fmt.Sprint(get(f[0], "threat.technique.name")) != "[Remote Access Tools]" {
		t.Errorf("threat: %v", get(f[0], "threat"))
	}
	if get(f[0], "labels.ratwatch_allowed") != "false" || get(f[0], "labels.ratwatch_change") != "changed" {
		t.Errorf("finding labels: %v", get(f[0], "labels"))
	}
	p := byAction(docs, "remote-access-process-running")
	if len(p) != 1 || get(p[0], "process.pid") != 4242.0 || get(p[0], "process.command_line") != "/usr/bin/anydesk --service" ||
		get(p[0], "process.executable") != "/usr/bin/anydesk" || get(p[0], "process.name") != "anydesk" || get(p[0], "user.name") != "root" ||
		get(p[0], "process.parent.pid") != 1.0 || len(get(p[0], "process.hash.sha256").(string)) != 64 {
		t.Errorf("process doc: %v", p)
	}
	in := byAction(docs, "remote-session-incoming")
	kinds := map[string]string{}
	for _, d := range in {
		kinds[fmt.Sprint(get(d, "labels.ratwatch_remote_id"))] = fmt.Sprint(get(d, "event.kind"), " ", get(d, "source.ip"), " ", get(d, "labels.ratwatch_allowed"))
	}
	if kinds["123 456 789"] != "event 203.0.113.7 true" || kinds["987654321"] != "alert 198.51.100.9 false" {
		t.Errorf("incoming sessions: %v", kinds)
	}
	if d := in[0]; get(d, "network.direction") != "ingress" || get(d, "event.outcome") != "success" || get(d, "event.start") == nil {
		t.Errorf("incoming session doc: %v", d)
	}
	att := byAction(docs, "remote-session-attempt")
	if len(att) != 2 {
		t.Fatalf("attempts: %d", len(att))
	}
	for _, d := range att {
		if get(d, "event.outcome") != "failure" || get(d, "event.kind") != "alert" {
			t.Errorf("attempt doc: %v", d)
		}
		if get(d, "labels.ratwatch_remote_id") == "222333444" && (get(d, "source.domain") != "relay-12.net.anydesk.com" || get(d, "source.ip") != nil) {
			t.Errorf("host-name peer must go to source.domain/address, not source.ip: %v", get(d, "source"))
		}
	}
	if out := byAction(docs, "remote-session-outgoing"); len(out) != 1 || get(out[0], "network.direction") != "egress" || get(out[0], "source") != nil {
		t.Errorf("outgoing: %v", out)
	}
	gone := append(byAction(docs, "remote-access-tool-gone"), byAction(docs, "remote-session-gone")...)
	if len(gone) != 2 {
		t.Errorf("gone docs: %d (want x11vnc and one AnyDesk session)", len(gone))
	}
	v := docs[len(docs)-1]
	if get(v, "event.action") != "host-verdict" || get(v, "labels.ratwatch_exit_code") != "3" || get(v, "event.kind") != "alert" {
		t.Errorf("verdict doc: %v", v)
	}
}

func TestECSScanDocuments(t *testing.T) {
	// Without an audit: a plain scan's documents, with RDP mapped to T1021.
	xrdp := inventory.Inventory{Processes: []inventory.Process{{PID: 900, PPID: 1, Name: "xrdp", Exe: "/usr/sbin/xrdp", Cmdline: "/usr/sbin/xrdp", User: "xrdp"}}}
	r := audittest.Scan(t, "", "linux", "", audittest.Merge(audittest.X11VNC(7001, "root"), xrdp))
	docs := decodeLines(t, r)
	validateECS(t, docs)
	threats := map[string]string{}
	for _, d := range byAction(docs, "remote-access-tool-detected") {
		threats[get(d, "rule.id").(string)] = fmt.Sprint(get(d, "threat.technique.subtechnique.id")) + fmt.Sprint(get(d, "threat.tactic.name"))
	}
	if threats["xrdp"] != "[T1021.001][Lateral Movement]" || threats["x11vnc"] != "[T1219.002][Command and Control]" {
		t.Errorf("ATT&CK mapping: %v", threats)
	}
	for _, d := range docs {
		if get(d, "labels.ratwatch_allowed") != nil || get(d, "host.name") != nil {
			t.Errorf("scan doc carries audit labels or an empty host: %v", d)
		}
	}
}

// TestECSUndirectedSession: an established session whose controlled side
// is unknown is a remote-session-undirected document with the peer in
// related.ip and network.direction unknown, every field in ecs-fields.md.
func TestECSUndirectedSession(t *testing.T) {
	inv := audittest.AnyDesk()
	inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.DirectionUnknown, session.Established,
		"2026-01-16T11:00:00Z", "2026-01-16T11:20:00Z", "", "203.0.113.99", 50500, "", "capture.pcap", 0))
	docs := decodeLines(t, audittest.Scan(t, "", "linux", "pc-1", inv))
	validateECS(t, docs)
	und := byAction(docs, "remote-session-undirected")
	if len(und) != 1 {
		t.Fatalf("%d undirected documents", len(und))
	}
	d := und[0]
	if fmt.Sprintf("%v %v %v %v %v", get(d, "related.ip"), get(d, "network.direction"), get(d, "source.ip"), get(d, "destination.ip"), get(d, "event.outcome")) !=
		"[203.0.113.99] unknown <nil> <nil> success" {
		t.Errorf("document: %v", d)
	}
	if n := len(byAction(docs, "remote-session-incoming")); n != 2 {
		t.Errorf("%d incoming documents, want 2", n)
	}
}

// A session from another computer's log (`ratwatch logs` on a PC's event
// logs): host.* is that computer, observer.hostname the one that ran ratwatch.
func TestECSSessionOfAnotherComputer(t *testing.T) {
	inv := audittest.AnyDesk()
	inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.Incoming, session.Established,
		"2026-01-16T11:00:00Z", "2026-01-16T11:20:00Z", "", "203.0.113.99", 50500, "", "Security.evtx", 0))
	inv.Sessions[len(inv.Sessions)-1].Host = "PC01.example.corp"
	docs := decodeLines(t, audittest.Scan(t, "", "linux", "pc-1", inv))
	validateECS(t, docs)
	var hosts []string
	for _, d := range byAction(docs, "remote-session-incoming") {
		hosts = append(hosts, fmt.Sprintf("%v/%v/%v", get(d, "host.name"), get(d, "observer.hostname"), get(d, "host.os.type")))
	}
	slices.Sort(hosts)
	if fmt.Sprint(hosts) != "[PC01.example.corp/pc-1/<nil> pc-1/pc-1/linux pc-1/pc-1/linux]" {
		t.Errorf("hosts %v", hosts)
	}
}

// TestECSAttemptsAndTransfers: an attempt of unknown direction names its
// peer in related.ip, never as source (its listener would read as the
// attacker); an attempt whose artifact never says whether it authenticated
// (RdpCoreTS 131, a connection open when a capture ended) is outcome
// unknown, not failure; a transfer the log says failed is not counted as
// one that moved files. Logs handed over from another PC: no host.* but
// the computer the evidence names; observer.hostname is the analysing one.
func TestECSAttemptsAndTransfers(t *testing.T) {
	inv := audittest.AnyDesk()
	und := audittest.Session("anydesk", session.DirectionUnknown, session.AttemptOnly,
		"2026-01-16T11:00:00Z", "", "", "192.168.1.178", 7070, "", "anydesk.pcapng", 0)
	unlogged := audittest.Session("anydesk", session.Incoming, session.AttemptOnly,
		"2026-01-16T12:00:00Z", "", "", "203.0.113.7", 50100, "", "RdpCoreTS.evtx", 0)
	unlogged.OutcomeUnlogged = true
	inv.Sessions = append(inv.Sessions, und, unlogged)
	for i := range inv.Sessions {
		if inv.Sessions[i].IsSession() && inv.Sessions[i].Direction == session.Incoming {
			inv.Sessions[i].Transfers = []session.Transfer{{Direction: "to_host", Name: "a.crt"}, {Direction: "to_host", Name: "b", Failed: true}}
			break
		}
	}
	r := audittest.Scan(t, "", "linux", "vm", inv)
	r.Scan.Source.Kind = "files" // as `ratwatch logs` reports it
	docs := decodeLines(t, r)
	validateECS(t, docs)
	var got []string
	for _, d := range byAction(docs, "remote-session-attempt") {
		got = append(got, fmt.Sprintf("%v %v src=%v rel=%v %v", get(d, "labels.ratwatch_outcome"), get(d, "network.direction"), get(d, "source.ip"), get(d, "related.ip"), get(d, "event.outcome")))
	}
	slices.Sort(got)
	want := []string{"attempt_only ingress src=203.0.113.7 rel=<nil> unknown", "attempt_only unknown src=<nil> rel=[192.168.1.178] failure",
		"rejected ingress src=192.0.2.44 rel=<nil> failure"} // the fixture's own rejected attempt
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attempts:\n%v\nwant\n%v", got, want)
	}
	moved := 0
	for _, d := range byAction(docs, "remote-session-incoming") {
		if get(d, "labels.ratwatch_transfers") != nil {
			moved++
			if get(d, "labels.ratwatch_transfers") != "1" || get(d, "labels.ratwatch_failed_transfers") != "1" {
				t.Errorf("transfers %v failed %v", get(d, "labels.ratwatch_transfers"), get(d, "labels.ratwatch_failed_transfers"))
			}
		}
	}
	if moved != 1 {
		t.Errorf("%d sessions with transfers, want 1", moved)
	}
	for _, d := range docs {
		if get(d, "host.name") != nil || get(d, "observer.hostname") != "vm" {
			t.Errorf("%v: host %v observer %v", get(d, "event.action"), get(d, "host.name"), get(d, "observer.hostname"))
			break
		}
	}
}

// TestECSOSComponentIsState: TermService alone (every Windows has it), its
// Security log read with no RDP record: the finding is listed but not
// counted (verdict rule 12), so its document is a state, not an alert.
func TestECSOSComponentIsState(t *testing.T) {
	inv := inventory.Inventory{
		Services: []inventory.Service{{Manager: "windows-scm", Name: "TermService", State: "stopped"}},
		Logs: []inventory.LogFile{{Tool: "windows-rdp", Parser: "windows-eventlog", Path: `C:\Windows\System32\winevt\Logs\Security.evtx`,
			Status: "ok", Lines: 120, Shared: true}},
	}
	docs := decodeLines(t, audittest.Scan(t, "", "windows", "pc-1", inv))
	validateECS(t, docs)
	f := byAction(docs, "remote-access-tool-detected")
	if len(f) != 1 || get(f[0], "rule.id") != "windows-rdp" || get(f[0], "event.kind") != "state" ||
		fmt.Sprint(get(f[0], "event.type")) != "[allowed]" || get(f[0], "labels.ratwatch_os_component_only") != "true" {
		t.Fatalf("finding documents: %v", f)
	}
}
