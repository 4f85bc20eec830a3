package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// run executes the CLI in-process and returns stdout, stderr and exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := NewRoot(&out, &errb)
	root.SetArgs(args)
	err := root.Execute()
	code := 0
	var ee exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		errb.WriteString(err.Error())
		code = 1
	}
	return out.String(), errb.String(), code
}

func TestValidateReportsFileAndLine(t *testing.T) {
	dir := t.TempDir()
	bad := "id: demo-tool\nname: Demo\nvendor: Demo Inc\ncategory: rmm\nprocess:\n  cmdline: ['(unclosed']\n" +
		"examples:\n  true_positives:\n    - domain: a.demo.test\n  false_positives:\n    - domain: b.other.test\n"
	if err := os.WriteFile(filepath.Join(dir, "demo.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "signatures", "validate", dir)
	if code != 1 || !strings.Contains(stderr, filepath.Join(dir, "demo.yaml")+":6: bad regex") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	out, _, code := run(t, "signatures", "validate")
	if code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("built-in set: exit %d %q", code, out)
	}
}

func TestUserSignatureJoinsScan(t *testing.T) {
	// A signature for a child process with a unique name (a copy of sleep):
	// the scan must find it with the rule that matched, and exit 2 (a tool
	// found, no session).
	dir := t.TempDir()
	name := "rw-test-tool"
	bin := filepath.Join(t.TempDir(), name)
	sleep, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip("no /bin/sleep")
	}
	if err := os.WriteFile(bin, sleep, 0o755); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(bin, "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() }) // by pid
	sig := "id: test-binary\nname: Test binary\nvendor: ratwatch tests\ncategory: rmm\n" +
		"process:\n  names:\n    linux: [\"" + name + "\"]\n" +
		"examples:\n  true_positives:\n    - process: {os: linux, name: \"" + name + "\"}\n" +
		"  false_positives:\n    - process: {os: linux, name: bash}\n"
	if err := os.WriteFile(filepath.Join(dir, "test-binary.yaml"), []byte(sig), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "scan", "--signatures", dir, "--only", "processes", "-o", "json")
	if code == 1 {
		t.Fatalf("scan failed: %s", stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var f *report.Finding
	for i := range r.Findings {
		if r.Findings[i].Tool.ID == "test-binary" {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("user signature did not match this process; tools %v", r.Verdict.Tools)
	}
	found := false
	for _, m := range f.Matches {
		if m.Kind == "process" && int(m.Evidence[0].PID) == child.Process.Pid && m.Hits[0].Rule == "process.names.linux" && len(m.Evidence[0].SHA256) == 64 {
			found = true
		}
	}
	if !found || f.State != "running" || code < 2 {
		t.Fatalf("state %s, exit %d, matches %+v", f.State, code, f.Matches)
	}
	if !strings.Contains(r.Tool.SignaturesVersion, "+") {
		t.Errorf("signatures_version %q should name both sets", r.Tool.SignaturesVersion)
	}
	// --fail-on established: a running tool without a session is not a failure…
	_, _, code = run(t, "scan", "--signatures", dir, "--only", "processes", "-o", "json", "--fail-on", "established")
	if code != 0 && code != 2 { // 2 only if another tool on this host is indeterminate
		t.Fatalf("--fail-on established: exit %d", code)
	}
	// …and a bad level is an error.
	if _, _, code = run(t, "scan", "--fail-on", "bogus"); code != 1 {
		t.Fatalf("--fail-on bogus: exit %d", code)
	}
}

func TestOutputFormatsAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.json")
	_, stderr, code := run(t, "scan", "--only", "dpkg", "-o", "json", "--file", file)
	if code == 1 {
		t.Fatalf("scan: %s", stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil || r.SchemaVersion != report.SchemaVersion {
		t.Fatalf("file is not a report: %v", err)
	}
	if !strings.Contains(stderr, "report written to "+file) {
		t.Errorf("stderr %q", stderr)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("temporary files left next to the report: %v", entries)
	}
	out, _, _ := run(t, "scan", "--only", "dpkg", "-o", "ndjson")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last encode.Line
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != "verdict" || last.ScanID == "" {
		t.Fatalf("last ndjson line %q: %v", lines[len(lines)-1], err)
	}
	out, _, _ = run(t, "scan", "--only", "dpkg", "-o", "table")
	if !strings.Contains(out, "VERDICT: remote control") {
		t.Fatalf("table output:\n%s", out)
	}
	if _, stderr, code := run(t, "scan", "-o", "yaml"); code != 1 || !strings.Contains(stderr, "unknown output format") {
		t.Fatalf("-o yaml: exit %d %q", code, stderr)
	}
}
