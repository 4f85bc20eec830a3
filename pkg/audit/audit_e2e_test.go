package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/lab"
	"github.com/ratwatch/ratwatch/internal/rfb"
)

// End to end on a real x11vnc (Xvfb + x11vnc on 127.0.0.1, lab): audits
// with a policy allowing x11vnc (exit 0, finding marked allowed), with the
// entry expired (exit 2 or 3, "expired"), and after a real RFB session
// (reported as new since the baseline, then unchanged).
func TestE2EX11VNCAudit(t *testing.T) {
	needBinary(t)
	lab.Require(t, "Xvfb", "x11vnc")
	lab.HostLock(t)
	disp := lab.Xvfb(t)
	srv := lab.X11VNC(t, disp, lab.VNCOpts{})
	work := t.TempDir()
	st := filepath.Join(work, "state")

	// Other remote-access software on this machine (installed packages
	// such as xrdp or TigerVNC) is allowed tool by tool, so that only the
	// x11vnc entry under test decides.
	pre := ratwatch(t, "scan", "-o", "json")
	if pre.code == 1 {
		t.Fatalf("scan: %v", pre)
	}
	var scan struct {
		Verdict struct{ Tools []string }
	}
	if err := json.Unmarshal([]byte(pre.stdout), &scan); err != nil {
		t.Fatal(err)
	}
	others := ""
	for _, id := range scan.Verdict.Tools {
		if id != "x11vnc" {
			others += fmt.Sprintf("  - tool: %s\n    reason: installed on the test machine\n    expires: never\n", id)
		}
	}
	policyWith := func(expires string) string {
		return writeFile(t, filepath.Join(work, "policy-"+expires+".yaml"), fmt.Sprintf(
			"version: 1\nallow:\n  - id: lab-x11vnc\n    tool: x11vnc\n    reason: e2e test server\n    expires: %s\n%s", expires, others))
	}
	valid, expired := policyWith("2099-12-31"), policyWith("2020-01-31")
	schema := ndjsonSchema(t, "../../docs")

	audit := func(pol, out string) (result, []map[string]any) {
		t.Helper()
		r := ratwatch(t, "audit", "--policy", pol, "--state", st, "-o", "ndjson", "--file", out)
		if r.code == 1 {
			t.Fatalf("audit: %v", r)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return r, validateNDJSON(t, schema, data)
	}
	x11 := func(lines []map[string]any) map[string]any {
		for _, l := range lines {
			if l["type"] == "finding" && l["tool"] == "x11vnc" {
				return l
			}
		}
		t.Fatalf("no x11vnc finding")
		return nil
	}
	ours := func(lines []map[string]any) []map[string]any {
		var out []map[string]any
		for _, l := range lines {
			if l["type"] != "session" || l["tool"] != "x11vnc" {
				continue
			}
			for _, e := range l["session"].(map[string]any)["evidence"].([]any) {
				if e.(map[string]any)["path"] == srv.LogPath {
					out = append(out, l)
					break
				}
			}
		}
		return out
	}

	// 1. Allowed: exit 0, the finding stays in the report marked allowed,
	// with our process in it.
	r1, lines := audit(valid, filepath.Join(work, "1.ndjson"))
	if r1.code != 0 {
		t.Fatalf("run 1: exit %d, want 0 (x11vnc allowed)\n%s", r1.code, notAllowed(lines))
	}
	f := x11(lines)
	a := f["audit"].(map[string]any)
	if a["allowed"] != true || a["change"] != "new" || a["allowed_by"].([]any)[0].(map[string]any)["id"] != "lab-x11vnc" {
		t.Errorf("run 1 x11vnc audit: %v", a)
	}
	if !strings.Contains(fmt.Sprint(f["finding"].(map[string]any)["matches"]), fmt.Sprintf("pid %d ", srv.PID)) {
		t.Errorf("run 1: our x11vnc (pid %d) is not in the finding", srv.PID)
	}
	if _, err := os.Stat(filepath.Join(st, "baseline.json")); err != nil {
		t.Fatalf("no baseline: %v", err)
	}

	// 2. The entry expired: x11vnc is no longer allowed, and says why.
	r2, lines := audit(expired, filepath.Join(work, "2.ndjson"))
	if r2.code != 2 && r2.code != 3 {
		t.Fatalf("run 2: exit %d, want 2 or 3", r2.code)
	}
	a = x11(lines)["audit"].(map[string]any)
	exp, _ := a["expired"].([]any)
	if a["allowed"] != false || len(exp) != 1 || !strings.Contains(exp[0].(map[string]any)["note"].(string), "expired") ||
		!strings.Contains(fmt.Sprint(a["not_allowed"]), "entry lab-x11vnc expired at the end of 2020-01-31") {
		t.Errorf("run 2 x11vnc audit: %v", a)
	}
	if !strings.Contains(fmt.Sprint(a["changes"]), "no longer allowed") {
		t.Errorf("run 2 changes: %v", a["changes"])
	}
	if len(ours(lines)) != 0 {
		t.Fatal("a session before any client connected")
	}

	// 3. A real RFB session (keys, pointer, a framebuffer update), then an
	// audit: the session is new since the baseline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{})
	if err != nil {
		t.Fatalf("rfb: %v", err)
	}
	c.SetEncodings(0)
	c.KeyEvent('a', true)
	c.KeyEvent('a', false)
	c.PointerEvent(1, 20, 20)
	c.PointerEvent(0, 20, 20)
	c.FramebufferUpdateRequest(false, 0, 0, 16, 16)
	if _, err := c.WaitFramebufferUpdate(5 * time.Second); err != nil {
		t.Fatalf("framebuffer update: %v", err)
	}
	c.Close()
	srv.WaitLog(t, "gone", 10*time.Second)

	r3, lines := audit(valid, filepath.Join(work, "3.ndjson"))
	sess := ours(lines)
	if len(sess) != 1 {
		t.Fatalf("run 3: %d sessions of our x11vnc log, want 1\n%s", len(sess), srv.Log())
	}
	sa := sess[0]["audit"].(map[string]any)
	if sa["change"] != "new" || sa["allowed"] != true {
		t.Errorf("run 3 session audit: %v", sa)
	}
	a = x11(lines)["audit"].(map[string]any)
	if a["change"] != "changed" || !strings.Contains(fmt.Sprint(a["changes"]), "1 new") {
		t.Errorf("run 3 x11vnc audit: %v", a)
	}
	if r3.code != 0 {
		t.Errorf("run 3: exit %d, want 0 (the session is x11vnc's, allowed)\n%s", r3.code, notAllowed(lines))
	}
	summary := lines[len(lines)-1]["audit_summary"].(map[string]any)
	if summary["counts"].(map[string]any)["new_sessions"].(float64) < 1 {
		t.Errorf("run 3 summary: %v", summary)
	}

	// 4. Nothing happened since: the same session is unchanged (its
	// fingerprint is stable across runs).
	_, lines = audit(valid, filepath.Join(work, "4.ndjson"))
	sess = ours(lines)
	if len(sess) != 1 || sess[0]["audit"].(map[string]any)["change"] != "unchanged" ||
		sess[0]["audit"].(map[string]any)["fingerprint"] != sa["fingerprint"] {
		t.Errorf("run 4 session: %v", sess)
	}
	if a := x11(lines)["audit"].(map[string]any); a["change"] != "unchanged" {
		t.Errorf("run 4 x11vnc: %v", a)
	}

	// 5. x11vnc stops (by its pid). Its log (-o, not a default place) was
	// found through the process's command line; the audit remembers it and
	// reads it again: the session is still there, unchanged, not "gone".
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	_, lines = audit(valid, filepath.Join(work, "5.ndjson"))
	sess = ours(lines)
	if len(sess) != 1 || sess[0]["audit"].(map[string]any)["fingerprint"] != sa["fingerprint"] {
		t.Fatalf("run 5: %d sessions of our log after x11vnc stopped", len(sess))
	}
	for _, l := range lines {
		if l["type"] == "gone" && strings.Contains(fmt.Sprint(l["gone"]), "rotated or deleted") {
			t.Errorf("run 5: %v", l["gone"])
		}
	}
	found := ""
	for _, lg := range x11(lines)["finding"].(map[string]any)["logs"].([]any) {
		if m := lg.(map[string]any); m["path"] == srv.LogPath {
			found = m["found"].(string)
		}
	}
	if !strings.HasPrefix(found, "remembered by an earlier audit (first found: command line of pid ") {
		t.Errorf("run 5: log found %q", found)
	}
}

// notAllowed lists the findings an audit did not allow, for failure messages.
func notAllowed(lines []map[string]any) string {
	var b strings.Builder
	for _, l := range lines {
		if l["type"] == "finding" {
			if a := l["audit"].(map[string]any); a["allowed"] != true {
				fmt.Fprintf(&b, "%s: %v\n", l["tool"], a["not_allowed"])
			}
		}
	}
	return b.String()
}
