package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/exitcode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

var now = *audittest.T("2026-06-01T12:00:00Z")

func policy(t *testing.T, body string) *audit.Policy {
	t.Helper()
	p, err := audit.ParsePolicy("policy.yaml", []byte("version: 1\nallow:\n"+body), known(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func finding(t *testing.T, r *report.Report, tool string) *report.Finding {
	t.Helper()
	for i := range r.Findings {
		if r.Findings[i].Tool.ID == tool {
			return &r.Findings[i]
		}
	}
	t.Fatalf("no %s finding in %v", tool, r.Verdict.Tools)
	return nil
}

func judged(t *testing.T, inv inventory.Inventory, host, pol string) *report.Report {
	t.Helper()
	r := audittest.Scan(t, "", "linux", host, inv)
	policy(t, pol).Judge(r, now, os.ReadFile)
	r.ExitCode = exitcode.ForAudit(r.Verdict, r.Findings, "")
	return r
}

func TestToolEntryAllowsEverything(t *testing.T) {
	r := judged(t, audittest.AnyDesk(), "pc-1", `
  - id: ad
    tool: anydesk
    reason: approved
    expires: 2026-12-31
`)
	f := finding(t, r, "anydesk")
	if f.Verdict != report.Established {
		t.Fatalf("fixture: anydesk verdict %s", f.Verdict)
	}
	if !f.Audit.Allowed || len(f.Audit.AllowedBy) != 1 || f.Audit.AllowedBy[0].ID != "ad" || f.Audit.AllowedBy[0].Policy != "policy.yaml:4" {
		t.Fatalf("audit: %+v", f.Audit)
	}
	if len(f.Suppressed) != 1 || !strings.Contains(f.Suppressed[0].Rule, "ad (policy.yaml:4)") || f.Suppressed[0].Reason != "approved" {
		t.Errorf("suppressed: %+v", f.Suppressed)
	}
	for _, s := range append(append(f.Audit.Incoming, f.Audit.Attempts...), f.Audit.Outgoing...) {
		if !s.Allowed {
			t.Errorf("session not allowed: %+v", s)
		}
	}
	if r.ExitCode != exitcode.Clean {
		t.Errorf("exit code %d, want 0 (established but allowed)", r.ExitCode)
	}
	if len(r.Findings) != 1 || len(f.Matches) == 0 {
		t.Errorf("allowed finding must stay in the report with its matches")
	}
}

func TestExpiredEntryStopsAllowing(t *testing.T) {
	r := judged(t, audittest.AnyDesk(), "pc-1", `
  - id: ad
    tool: anydesk
    reason: approved
    expires: 2026-05-31
`)
	f := finding(t, r, "anydesk")
	if f.Audit.Allowed {
		t.Fatal("allowed by an expired entry")
	}
	if len(f.Audit.Expired) != 1 || f.Audit.Expired[0].ID != "ad" || !strings.Contains(f.Audit.Expired[0].Note, "expired at the end of 2026-05-31") {
		t.Errorf("expired: %+v", f.Audit.Expired)
	}
	if !strings.Contains(strings.Join(f.Audit.NotAllowed, "\n"), "entry ad expired") {
		t.Errorf("not allowed: %q", f.Audit.NotAllowed)
	}
	if r.ExitCode != exitcode.Established {
		t.Errorf("exit %d, want 3", r.ExitCode)
	}
}

// An AnyDesk ID entry allows the tool and the sessions from that ID only.
func TestAnyDeskIDInstance(t *testing.T) {
	r := judged(t, audittest.AnyDesk(), "pc-1", `
  - id: helpdesk
    tool: anydesk
    instance:
      anydesk_id: "123456789"
    reason: helpdesk
    expires: never
`)
	f := finding(t, r, "anydesk")
	if len(f.Incoming) != 2 || len(f.Attempts) != 1 || len(f.Outgoing) != 1 {
		t.Fatalf("fixture: %d incoming, %d attempts, %d outgoing", len(f.Incoming), len(f.Attempts), len(f.Outgoing))
	}
	for k, s := range f.Incoming {
		want := strings.ReplaceAll(s.RemoteID, " ", "") == "123456789"
		if f.Audit.Incoming[k].Allowed != want {
			t.Errorf("incoming from %s: allowed %v", s.RemoteID, !want)
		}
	}
	if f.Audit.Attempts[0].Allowed {
		t.Error("attempt from another ID allowed")
	}
	if f.Audit.Allowed {
		t.Fatal("finding allowed although a session from 987654321 is not")
	}
	na := strings.Join(f.Audit.NotAllowed, "\n")
	if !strings.Contains(na, "incoming session from 987654321 198.51.100.9") || !strings.Contains(na, "attempt from 555000111") {
		t.Errorf("not allowed: %s", na)
	}
	if strings.Contains(na, "123 456 789") || strings.Contains(na, "anydesk on this host") {
		t.Errorf("allowed parts listed as not allowed: %s", na)
	}
	if r.ExitCode != exitcode.Established {
		t.Errorf("exit %d, want 3", r.ExitCode)
	}

	// Allowing the other peers too makes the whole finding allowed.
	r = judged(t, audittest.AnyDesk(), "pc-1", `
  - id: helpdesk
    tool: anydesk
    instance: {anydesk_id: "123 456 789"}
    reason: helpdesk
    expires: never
  - id: vendor
    tool: anydesk
    instance: {remote_ip: 198.51.100.0/24}
    reason: vendor
    expires: never
  - id: blocked-caller
    tool: anydesk
    instance: {remote_id: "555000111"}
    reason: known caller, refused
    expires: never
`)
	if f := finding(t, r, "anydesk"); !f.Audit.Allowed || len(f.Audit.AllowedBy) != 3 {
		t.Errorf("audit: %+v", f.Audit)
	}
}

func TestUsersLimitProcessesAndSessions(t *testing.T) {
	r := judged(t, audittest.Merge(audittest.X11VNC(7001, "alice"), audittest.X11VNC(7002, "mallory")), "pc-1", `
  - id: alice-vnc
    tool: x11vnc
    users: [alice]
    reason: alice's screen sharing
    expires: never
`)
	f := finding(t, r, "x11vnc")
	if f.Audit.Allowed {
		t.Fatal("x11vnc of mallory allowed by an entry for alice")
	}
	na := strings.Join(f.Audit.NotAllowed, "\n")
	if !strings.Contains(na, "pid 7002, user mallory") || strings.Contains(na, "pid 7001") {
		t.Errorf("not allowed: %s", na)
	}
	r = judged(t, audittest.X11VNC(7001, "alice"), "pc-1", `
  - id: alice-vnc
    tool: x11vnc
    users: [alice]
    reason: alice's screen sharing
    expires: never
`)
	if f := finding(t, r, "x11vnc"); !f.Audit.Allowed {
		t.Errorf("x11vnc of alice not allowed: %q", f.Audit.NotAllowed)
	}
}

func TestHostsLimitEntries(t *testing.T) {
	pol := `
  - id: lab
    tool: x11vnc
    hosts: ["lab-*"]
    reason: lab
    expires: never
`
	if f := finding(t, judged(t, audittest.X11VNC(7001, "root"), "LAB-3", pol), "x11vnc"); !f.Audit.Allowed {
		t.Errorf("not allowed on lab host: %q", f.Audit.NotAllowed)
	}
	f := finding(t, judged(t, audittest.X11VNC(7001, "root"), "office-1", pol), "x11vnc")
	if f.Audit.Allowed || !strings.Contains(strings.Join(f.Audit.NotAllowed, "\n"), `applies to hosts [lab-*], not "office-1"`) {
		t.Errorf("office host: %+v", f.Audit)
	}
}

func screenConnect(instance, relay string, pid int32) inventory.Inventory {
	dir := `C:\Program Files (x86)\ScreenConnect Client (` + instance + `)`
	exe := dir + `\ScreenConnect.ClientService.exe`
	return inventory.Inventory{
		Processes: []inventory.Process{{PID: pid, PPID: 600, Name: "ScreenConnect.ClientService.exe", Exe: exe, User: `NT AUTHORITY\SYSTEM`,
			Cmdline: `"` + exe + `" "?e=Access&y=Guest&h=` + relay + `&p=443&s=0f1e2d3c-aaaa-bbbb-cccc-1234567890ab&k=BgIAAACkAABSU0Ex"`}},
		Services: []inventory.Service{{Manager: "windows-scm", Name: "ScreenConnect Client (" + instance + ")", ImagePath: `"` + exe + `" "?e=Access&y=Guest&h=` + relay + `&p=443"`, State: "running"}},
	}
}

func TestScreenConnectInstances(t *testing.T) {
	scan := func(inv inventory.Inventory, pol string) *report.Finding {
		r := audittest.Scan(t, "", "windows", "pc-1", inv)
		policy(t, pol).Judge(r, now, nil)
		return finding(t, r, "screenconnect")
	}
	byID := `
  - id: ours
    tool: screenconnect
    instance: {screenconnect_instance: 6E7A0F3B1C2D4E5F}
    reason: msp
    expires: never
`
	byRelay := `
  - id: ours
    tool: screenconnect
    instance: {screenconnect_relay: instance-ab12cd-relay.screenconnect.com}
    reason: msp
    expires: never
`
	ours := screenConnect("6e7a0f3b1c2d4e5f", "instance-ab12cd-relay.screenconnect.com", 900)
	theirs := screenConnect("99aa88bb77cc66dd", "evil-relay.example.net", 901)
	if f := scan(ours, byID); !f.Audit.Allowed {
		t.Errorf("our instance by id: %q", f.Audit.NotAllowed)
	}
	if f := scan(ours, byRelay); !f.Audit.Allowed {
		t.Errorf("our instance by relay: %q", f.Audit.NotAllowed)
	}
	f := scan(audittest.Merge(ours, theirs), byID)
	if f.Audit.Allowed || !strings.Contains(strings.Join(f.Audit.NotAllowed, "\n"), "another screenconnect instance is present: 99aa88bb77cc66dd") {
		t.Errorf("second instance: %+v", f.Audit)
	}
	f = scan(theirs, byRelay)
	if f.Audit.Allowed || !strings.Contains(strings.Join(f.Audit.NotAllowed, "\n"), "evil-relay.example.net") {
		t.Errorf("foreign relay: %+v", f.Audit)
	}
}

func TestMeshCentralServerFromMshFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "usr/local/mesh_services/meshagent")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	msh := filepath.Join(dir, "meshagent.msh")
	write := func(server string) {
		if err := os.WriteFile(msh, []byte("MeshName=office\nMeshType=2\nMeshServer="+server+"\nServerID=ABCDEF\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pol := `
  - id: ours
    tool: meshcentral
    instance: {meshcentral_server: "wss://mesh.example.com/agent.ashx"}
    reason: it
    expires: never
`
	proc := inventory.Inventory{Processes: []inventory.Process{{PID: 333, PPID: 1, Name: "meshagent", Exe: "/usr/local/mesh_services/meshagent/meshagent", User: "root"}}}
	readRooted := func(p string) ([]byte, error) {
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
		return os.ReadFile(filepath.Join(root, p))
	}
	for _, c := range []struct {
		server string
		want   bool
	}{{"wss://mesh.example.com:443/agent.ashx", true}, {"wss://mesh.attacker.example:443/agent.ashx", false}} {
		write(c.server)
		r := audittest.Scan(t, root, "linux", "pc-1", proc)
		policy(t, pol).Judge(r, now, readRooted)
		f := finding(t, r, "meshcentral")
		if f.Audit.Allowed != c.want {
			t.Errorf("MeshServer=%s: allowed %v, want %v (%q; matches %d)", c.server, f.Audit.Allowed, c.want, f.Audit.NotAllowed, len(f.Matches))
		}
	}
}

func TestNoPolicyAllowsNothing(t *testing.T) {
	r := audittest.Scan(t, "", "linux", "pc-1", audittest.X11VNC(7001, "root"))
	var p *audit.Policy
	p.Judge(r, time.Now(), nil)
	f := finding(t, r, "x11vnc")
	if f.Audit.Allowed || f.Audit.NotAllowed[0] != "no policy entry for x11vnc" {
		t.Errorf("%+v", f.Audit)
	}
}

// An entry that allows x11vnc from 10.20.0.0/24 does not allow a session
// from elsewhere: that session's line says why, and the finding names no
// allowed_by (a rule "allowed_by set ⇒ approved" would hide it).
func TestPartlyAllowedFinding(t *testing.T) {
	inv := audittest.Merge(audittest.X11VNC(7001, "root"), inventory.Inventory{Sessions: []session.Record{
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:30:00Z", "", "", "10.20.0.7", 40001, "", "/tmp/x.log", 7),
		audittest.Session("x11vnc", session.Incoming, session.Established, "2026-02-01T11:40:00Z", "", "", "203.0.113.9", 40002, "", "/tmp/x.log", 9),
	}})
	r := judged(t, inv, "pc-1", `
  - id: xv-jump
    tool: x11vnc
    instance: {remote_ip: 10.20.0.0/24}
    reason: the jump host's support sessions
    expires: never
`)
	f := finding(t, r, "x11vnc")
	if f.Audit.Allowed || len(f.Audit.AllowedBy) != 0 || !strings.Contains(strings.Join(f.Audit.NotAllowed, "\n"), "entry xv-jump allows only part of it") {
		t.Errorf("finding: allowed %v by %v, not allowed %q", f.Audit.Allowed, f.Audit.AllowedBy, f.Audit.NotAllowed)
	}
	got := map[string]report.ItemAudit{}
	for i, s := range f.Incoming {
		got[s.RemoteIP] = f.Audit.Incoming[i]
	}
	if a := got["10.20.0.7"]; !a.Allowed || len(a.AllowedBy) != 1 || a.AllowedBy[0].ID != "xv-jump" || len(a.NotAllowed) != 0 {
		t.Errorf("jump host session: %+v", a)
	}
	if a := got["203.0.113.9"]; a.Allowed || len(a.AllowedBy) != 0 || len(a.NotAllowed) != 1 || !strings.Contains(a.NotAllowed[0], "not covered by policy entry xv-jump") {
		t.Errorf("other session: %+v", a)
	}
}
