package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
)

func known(t *testing.T) func(string) bool {
	set := audittest.Signatures(t)
	return func(id string) bool { return set.Get(id) != nil }
}

func TestExamplePolicyIsValid(t *testing.T) {
	p, err := audit.LoadPolicy("../../docs/examples/policy.yaml", known(t))
	if err != nil {
		t.Fatalf("docs/examples/policy.yaml: %v", err)
	}
	if len(p.Entries) < 5 {
		t.Fatalf("example policy has %d entries; it should show every kind", len(p.Entries))
	}
	kinds := map[string]bool{}
	for _, e := range p.Entries {
		kinds[e.Instance.Kind] = true
	}
	for _, k := range []string{"", audit.KindAnyDeskID, audit.KindTeamViewerID, audit.KindRemoteIP, audit.KindScreenConnectInstance, audit.KindScreenConnectRelay, audit.KindMeshCentralServer} {
		if !kinds[k] {
			t.Errorf("example policy shows no entry of instance kind %q", k)
		}
	}
}

// Every error is reported as file:line with the line of the offending key.
func TestPolicyErrorsAtFileLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error, each "file:line: ..."
	}{
		{"unknown top-level field", "version: 1\nallow: []\nallowlist: []\n",
			[]string{`p.yaml:3: unknown field "allowlist"`}},
		{"unknown entry field", "version: 1\nallow:\n  - tool: anydesk\n    reason: helpdesk\n    expires: never\n    expiry: 2026-01-01\n",
			[]string{`p.yaml:6: unknown field "expiry"`}},
		{"bad date", "version: 1\nallow:\n  - tool: anydesk\n    reason: helpdesk\n    expires: 2026-13-45\n",
			[]string{`p.yaml:5: expires: "2026-13-45" is not a date`}},
		{"unknown tool", "version: 1\nallow:\n  - tool: anydesk\n    reason: ok\n    expires: never\n  - tool: any-desk\n    reason: typo\n    expires: never\n",
			[]string{`p.yaml:6: unknown tool id "any-desk"`}},
		{"missing reason and expires", "version: 1\nallow:\n  - tool: x11vnc\n",
			[]string{"p.yaml:3: missing `reason`", "p.yaml:3: missing `expires`"}},
		{"unknown instance kind", "version: 1\nallow:\n  - tool: anydesk\n    instance:\n      anydesk_number: '123456789'\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:5: instance: unknown kind "anydesk_number"`}},
		{"instance for another tool", "version: 1\nallow:\n  - tool: teamviewer\n    instance:\n      anydesk_id: 123456789\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:5: instance: anydesk_id applies to tool "anydesk", not "teamviewer"`}},
		{"bad anydesk id", "version: 1\nallow:\n  - tool: anydesk\n    instance: {anydesk_id: 12ab}\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:4: instance: anydesk_id "12ab"`}},
		{"bad remote ip", "version: 1\nallow:\n  - tool: x11vnc\n    instance:\n      remote_ip: 10.0.0.300\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:5: instance: remote_ip "10.0.0.300"`}},
		{"two instance kinds", "version: 1\nallow:\n  - tool: screenconnect\n    instance:\n      screenconnect_instance: 6e7a0f3b1c2d4e5f\n      screenconnect_relay: relay.example.com\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:5: instance: give exactly one of`}},
		{"duplicate id", "version: 1\nallow:\n  - id: a\n    tool: x11vnc\n    reason: r\n    expires: never\n  - id: a\n    tool: xrdp\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:7: duplicate id "a" (first used at line 3)`}},
		{"wrong type", "version: 1\nallow:\n  - tool: x11vnc\n    hosts: pc-1\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:4: cannot unmarshal !!str`}},
		{"bad glob", "version: 1\nallow:\n  - tool: x11vnc\n    hosts: ['pc-[']\n    reason: r\n    expires: never\n",
			[]string{`p.yaml:4: hosts: bad pattern "pc-["`}},
		{"missing version", "allow: []\n", []string{"p.yaml:1: missing `version: 1`"}},
		{"wrong version", "version: 2\nallow: []\n", []string{"p.yaml:1: unsupported policy version 2"}},
		{"two documents", "version: 1\nallow: []\n---\nversion: 1\n", []string{"p.yaml:3: more than one YAML document"}},
		{"syntax error", "version: 1\nallow:\n  - tool: x11vnc\n   reason: r\n", []string{"p.yaml:2: did not find expected"}},
		{"empty", "", []string{"p.yaml: empty policy file"}},
	}
	kt := known(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := audit.ParsePolicy("p.yaml", []byte(c.yaml), kt)
			if err == nil {
				t.Fatalf("no error for\n%s", c.yaml)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "p.yaml:") {
					t.Errorf("error line %q is not located at p.yaml[:line]", line)
				}
			}
		})
	}
}

func TestPolicyExpiry(t *testing.T) {
	p, err := audit.ParsePolicy("p.yaml", []byte(`version: 1
allow:
  - id: date
    tool: x11vnc
    reason: lab
    expires: 2026-03-31
  - id: instant
    tool: xrdp
    reason: lab
    expires: "2026-03-31T18:00:00+09:00"
  - id: forever
    tool: tigervnc
    reason: lab
    expires: never
`), known(t))
	if err != nil {
		t.Fatal(err)
	}
	date, instant, forever := p.Entries[0], p.Entries[1], p.Entries[2]
	at := func(s string) time.Time { return *audittest.T(s) }
	// A date allows through the end of that day, UTC.
	if date.Expired(at("2026-03-31T23:59:59Z")) || !date.Expired(at("2026-04-01T00:00:00Z")) {
		t.Errorf("date entry: expires %v", date.Expires)
	}
	if instant.Expired(at("2026-03-31T08:59:59Z")) || !instant.Expired(at("2026-03-31T09:00:00Z")) {
		t.Errorf("instant entry: expires %v", instant.Expires)
	}
	if forever.Expired(at("2999-01-01T00:00:00Z")) {
		t.Error("never-expiring entry expired")
	}
	exp := p.ExpiredEntries(at("2026-04-02T00:00:00Z"))
	if len(exp) != 2 || exp[0].ID != "date" || !strings.Contains(exp[0].Note, "expired at the end of 2026-03-31") {
		t.Errorf("expired entries: %+v", exp)
	}
}

func TestUserAndHostPatterns(t *testing.T) {
	p, err := audit.ParsePolicy("p.yaml", []byte(`version: 1
allow:
  - tool: x11vnc
    hosts: [LAB-*, build01]
    users: [alice, 'CORP\svc-*']
    reason: lab
    expires: never
`), known(t))
	if err != nil {
		t.Fatal(err)
	}
	e := p.Entries[0]
	for host, want := range map[string]bool{"lab-7": true, "LAB-PC": true, "build01": true, "build02": false, "": false} {
		if e.HostOK(host) != want {
			t.Errorf("HostOK(%q) = %v", host, !want)
		}
	}
	for user, want := range map[string]bool{"alice": true, "ALICE": true, `DESKTOP-1\alice`: true, `CORP\svc-backup`: true,
		"svc-backup": false, `OTHER\svc-backup`: false, "bob": false, "": false} {
		if e.UserOK(user) != want {
			t.Errorf("UserOK(%q) = %v", user, !want)
		}
	}
}
