package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit"
)

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func ndjsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("not a JSON line: %v\n%s", err, l)
		}
		out = append(out, m)
	}
	return out
}

func TestCLIPolicyErrorsAndCheck(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "version: 1\nallow:\n  - tool: anydesk\n    reason: x\n    expires: 2026-02-30\n  - tool: nosuchtool\n    reason: x\n    expires: never\n")
	r := ratwatch(t, "audit", "--policy", bad, "--state", filepath.Join(dir, "st"))
	if r.code != 1 || !strings.Contains(r.stderr, "bad.yaml:5: expires") || !strings.Contains(r.stderr, `bad.yaml:6: unknown tool id "nosuchtool"`) {
		t.Errorf("bad policy: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "st")); err == nil {
		t.Error("a bad policy must fail before the state directory is touched")
	}
	r = ratwatch(t, "audit", "--policy", "../../docs/examples/policy.yaml", "--check-policy")
	if r.code != 0 || !strings.Contains(r.stdout, "ok: ../../docs/examples/policy.yaml:") {
		t.Errorf("--check-policy: %v", r)
	}
	// A partial run against the baseline of full runs; a state folder
	// others may write to (its baseline could be forged): refused, exit 1.
	r = ratwatch(t, "audit", "--state", filepath.Join(dir, "st2"), "--only", "processes")
	if r.code != 1 || !strings.Contains(r.stderr, "--only / --skip would report what they leave out as gone") {
		t.Errorf("--only: %v", r)
	}
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	r = ratwatch(t, "audit", "--state", open)
	if r.code != 1 || !strings.Contains(r.stderr, "is writable by others (mode 0777)") {
		t.Errorf("world-writable state: %v", r)
	}
	if _, err := os.Stat(filepath.Join(open, audit.BaselineFile)); err == nil {
		t.Error("a baseline was written into the unsafe state folder")
	}
}

// Two audits started at once on one state directory never both run at the
// same time: one may be refused (exit 1, naming the other as holder) or, when
// the first finished before the second took the lock, both run one after the
// other. Never both refused, and no lock is left behind. (Whether they
// overlap depends on process start-up, so the refusal itself is checked
// deterministically in TestCLIRefusedWhileLocked.)
func TestCLITwoAuditsAtOnce(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	cmds, errs := startAudits(t, dir, st, 2)
	codes := make([]int, 2)
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			codes[i] = err.(*exec.ExitError).ExitCode()
		}
	}
	ones := 0
	for i, code := range codes {
		if code != 1 {
			continue
		}
		ones++
		msg := errs[i].String()
		if strings.Contains(msg, "(its content is not written yet); not starting a second one") {
			// Lost the race in the instant between the holder creating the
			// lock file and writing its pid: refused without a pid to name.
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("out%d.ndjson", i))); err == nil {
				t.Error("the refused audit wrote a report")
			}
			continue
		}
		checkRefused(t, msg, cmds[1-i].Process.Pid, filepath.Join(dir, fmt.Sprintf("out%d.ndjson", i)))
	}
	if ones > 1 {
		t.Fatalf("exit codes %v: both audits refused\n%s\n%s", codes, errs[0], errs[1])
	}
	for i, code := range codes {
		// 2 (findings not allowed), or 3 while other tests drive live
		// sessions on this host.
		if code != 1 && code != 2 && code != 3 {
			t.Fatalf("audit %d exit %d\n%s", i, code, errs[i])
		}
	}
	if _, err := os.Stat(filepath.Join(st, "audit.lock")); !os.IsNotExist(err) {
		t.Error("lock left behind after the audit ended")
	}
}

// startAudits starts n audits at once on the state directory st, each
// writing dir/out<i>.ndjson, and returns them with their stderr buffers.
func startAudits(t *testing.T, dir, st string, n int) ([]*exec.Cmd, []*bytes.Buffer) {
	t.Helper()
	var cmds []*exec.Cmd
	var errs []*bytes.Buffer
	for i := 0; i < n; i++ {
		c := exec.Command(needBinary(t), "audit", "--state", st, "-o", "ndjson", "--file", filepath.Join(dir, fmt.Sprintf("out%d.ndjson", i)))
		var e bytes.Buffer
		c.Stderr = &e
		cmds, errs = append(cmds, c), append(errs, &e)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return cmds, errs
}

// checkRefused checks a refused audit's message names the holder pid and
// that it wrote no report.
func checkRefused(t *testing.T, msg string, holder int, out string) {
	t.Helper()
	if !strings.Contains(msg, fmt.Sprintf("another audit is running (pid %d on ", holder)) || !strings.Contains(msg, "not starting a second one") {
		t.Errorf("the refused audit's message does not name the holder pid %d:\n%s", holder, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the refused audit wrote a report")
	}
}

// While a live process (this test) holds the lock, two audits started at
// once are both refused with exit 1 naming it; once it is released, an audit
// runs and leaves no lock.
func TestCLIRefusedWhileLocked(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	if err := os.MkdirAll(st, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, _, err := audit.AcquireLock(st, audit.LockOptions{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cmds, errs := startAudits(t, dir, st, 2)
	for i, c := range cmds {
		code := 0
		if err := c.Wait(); err != nil {
			code = err.(*exec.ExitError).ExitCode()
		}
		if code != 1 {
			t.Fatalf("audit %d exit %d while the lock is held, want 1\n%s", i, code, errs[i])
		}
		checkRefused(t, errs[i].String(), os.Getpid(), filepath.Join(dir, fmt.Sprintf("out%d.ndjson", i)))
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	// Now it runs: its exit code is the host's (2 or 3 while other tests
	// drive live sessions), never 1, and it writes its report.
	c := exec.Command(needBinary(t), "audit", "--state", st, "-o", "ndjson", "--file", filepath.Join(dir, "after.ndjson"))
	var e bytes.Buffer
	c.Stderr = &e
	err = c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) || ee != nil && ee.ExitCode() == 1 {
		t.Fatalf("audit after release: %v\n%s", err, e.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "after.ndjson")); err != nil {
		t.Fatalf("the audit after release wrote no report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(st, "audit.lock")); !os.IsNotExist(err) {
		t.Error("lock left behind after the audit ended")
	}
}

// A killed audit left its lock: the next audit takes it over and says so.
func TestCLIStaleLockRecovered(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	os.MkdirAll(st, 0o700)
	dead := exec.Command(needBinary(t), "version")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	lock, _ := json.Marshal(map[string]any{"pid": dead.Process.Pid, "started_at": time.Now().Add(-10 * time.Minute), "hostname": host})
	writeFile(t, filepath.Join(st, "audit.lock"), string(lock))
	out := filepath.Join(dir, "out.ndjson")
	r := ratwatch(t, "audit", "--state", st, "-o", "ndjson", "--file", out)
	if r.code == 1 || !strings.Contains(r.stderr, fmt.Sprintf("took over the lock of pid %d", dead.Process.Pid)) {
		t.Fatalf("stale lock: %v", r)
	}
	b, _ := os.ReadFile(out)
	lines := ndjsonLines(t, b)
	notes := fmt.Sprint(lines[len(lines)-1]["audit_summary"].(map[string]any)["notes"])
	if !strings.Contains(notes, "is no longer running") {
		t.Errorf("report notes: %s", notes)
	}
}

// -o ndjson --file appends run after run; --syslog-server gets the same
// lines, one datagram each.
func TestCLIAppendAndSyslog(t *testing.T) {
	dir := t.TempDir()
	sdir, _ := os.MkdirTemp("", "rwsl")
	defer os.RemoveAll(sdir)
	sock := filepath.Join(sdir, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadBuffer(8 << 20)
	// Read like a syslog daemon, while the audit runs (a Unix datagram
	// socket holds only a few messages: the sender waits for the reader).
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 1<<20)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	out := filepath.Join(dir, "logs", "audit.ecs")
	st := filepath.Join(dir, "state")
	r1 := ratwatch(t, "audit", "--state", st, "-o", "ecs", "--file", out, "--syslog-server", "unixgram:"+sock)
	if r1.code == 1 || r1.code < 0 {
		t.Fatal(r1)
	}
	b1, _ := os.ReadFile(out)
	first := ndjsonLines(t, b1)
	for got := range first {
		var msg string
		select {
		case msg = <-msgs:
		case <-time.After(5 * time.Second):
			t.Fatalf("syslog: %d of %d messages", got, len(first))
		}
		i := strings.Index(msg, "ratwatch[")
		body := msg[strings.Index(msg, "]: ")+3:]
		if i < 0 || !bytes.Contains(b1, []byte(strings.TrimRight(body, "\n")+"\n")) {
			t.Fatalf("syslog message is not one of the lines: %.200s", msg)
		}
	}
	r2 := ratwatch(t, "audit", "--state", st, "-o", "ecs", "--file", out)
	if r2.code == 1 {
		t.Fatal(r2)
	}
	b2, _ := os.ReadFile(out)
	if !bytes.HasPrefix(b2, b1) {
		t.Fatal("the second run did not append")
	}
	all := ndjsonLines(t, b2)
	scans := map[any]bool{}
	verdicts := 0
	for _, d := range all {
		labels := d["labels"].(map[string]any)
		scans[labels["ratwatch_scan_id"]] = true
		if d["event"].(map[string]any)["action"] == "host-verdict" {
			verdicts++
		}
	}
	if len(scans) != 2 || verdicts != 2 {
		t.Errorf("%d scans, %d verdict documents in the appended file", len(scans), verdicts)
	}
	if !strings.Contains(r2.stderr, "line(s) appended to "+out) {
		t.Errorf("stderr: %s", r2.stderr)
	}
}
