package audit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func script(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"../../scripts/install-cron.sh"}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

const testPolicy = "version: 1\nallow:\n  - id: everything-vnc\n    tool: x11vnc\n    reason: test\n    expires: never\n"

// The cron recipe installs into a temporary root, idempotently, and the
// installed command line really produces a report.
func TestInstallCronIntoRoot(t *testing.T) {
	b := needBinary(t)
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	pol := writeFile(t, filepath.Join(tmp, "policy.yaml"), testPolicy)
	out := filepath.Join(tmp, "out", "audit.ndjson")
	logf := filepath.Join(tmp, "audit.log")
	st := filepath.Join(tmp, "state")
	args := []string{"--root", root, "--binary", b, "--policy", pol, "--state", st, "--output", out, "--log", logf, "--minute", "17"}
	r := script(t, args...)
	if r.code != 0 {
		t.Fatalf("install: %v", r)
	}
	cronFile := filepath.Join(root, "etc/cron.d/ratwatch")
	first, err := os.ReadFile(cronFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(cronFile); st.Mode().Perm() != 0o644 {
		t.Errorf("cron file mode %v", st.Mode())
	}
	if r := script(t, args...); r.code != 0 {
		t.Fatalf("re-install: %v", r)
	}
	again, _ := os.ReadFile(cronFile)
	if string(again) != string(first) {
		t.Errorf("not idempotent:\n%s\n---\n%s", first, again)
	}
	if m, _ := filepath.Glob(cronFile + ".*"); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	// One job line: minute hour dom month dow user command.
	job := regexp.MustCompile(`(?m)^17 \* \* \* \* root (.+)$`).FindStringSubmatch(string(first))
	if job == nil || strings.Count(string(first), "ratwatch audit")+strings.Count(string(first), b+" audit") == 0 {
		t.Fatalf("no job line in\n%s", first)
	}
	command := job[1]
	for _, want := range []string{b + " audit", "--policy " + pol, "--state " + st, "-o ndjson", "--file " + out, ">>" + logf + " 2>&1"} {
		if !strings.Contains(command, want) {
			t.Errorf("command %q lacks %q", command, want)
		}
	}
	// Run the installed line as cron would (/bin/sh, cron's PATH).
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + tmp}
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	logb, _ := os.ReadFile(logf)
	if code == 1 {
		t.Fatalf("the installed command failed:\n%s", logb)
	}
	rep, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report: %v (log: %s)", err, logb)
	}
	lines := ndjsonLines(t, rep)
	last := lines[len(lines)-1]
	if last["type"] != "verdict" || int(last["exit_code"].(float64)) != code {
		t.Errorf("last line %v, exit %d", last, code)
	}
	validateNDJSON(t, ndjsonSchema(t, "../../docs"), rep)
	if !strings.Contains(string(logb), "line(s) appended to "+out) {
		t.Errorf("log: %s", logb)
	}
	if _, err := os.Stat(filepath.Join(st, "baseline.json")); err != nil {
		t.Errorf("no baseline: %v", err)
	}

	// --crontab mode writes the user's crontab (under --root), replaces its
	// own line and keeps others'.
	spool := filepath.Join(root, "var/spool/cron/crontabs/root")
	os.MkdirAll(filepath.Dir(spool), 0o755)
	writeFile(t, spool, "0 3 * * * /usr/bin/backup\n")
	for i := 0; i < 2; i++ {
		if r := script(t, append(args, "--crontab")...); r.code != 0 {
			t.Fatal(r)
		}
	}
	tab, _ := os.ReadFile(spool)
	if strings.Count(string(tab), "# ratwatch-audit") != 1 || !strings.Contains(string(tab), "/usr/bin/backup") {
		t.Errorf("crontab:\n%s", tab)
	}

	// A bad policy is refused before anything is installed.
	bad := writeFile(t, filepath.Join(tmp, "bad.yaml"), "version: 1\nallow:\n  - tool: nosuch\n")
	if r := script(t, "--root", filepath.Join(tmp, "root2"), "--binary", b, "--policy", bad); r.code == 0 || !strings.Contains(r.stderr, "bad.yaml:3") {
		t.Errorf("bad policy: %v", r)
	}
	if _, err := os.Stat(filepath.Join(tmp, "root2/etc/cron.d/ratwatch")); err == nil {
		t.Error("installed with a bad policy")
	}

	// Uninstall removes both entries, leaving the other crontab line.
	if r := script(t, "--root", root, "--uninstall", "--crontab"); r.code != 0 {
		t.Fatal(r)
	}
	if _, err := os.Stat(cronFile); !os.IsNotExist(err) {
		t.Error("cron.d entry not removed")
	}
	tab, _ = os.ReadFile(spool)
	if strings.Contains(string(tab), "ratwatch") || !strings.Contains(string(tab), "/usr/bin/backup") {
		t.Errorf("crontab after uninstall:\n%s", tab)
	}
	if r := script(t, "--root", root, "--uninstall"); r.code != 0 {
		t.Errorf("second uninstall: %v", r)
	}
}

// The systemd service's command line runs, and the units pass
// systemd-analyze verify (when systemd is there).
func TestSystemdUnits(t *testing.T) {
	b := needBinary(t)
	tmp := t.TempDir()
	pol := writeFile(t, filepath.Join(tmp, "policy.yaml"), testPolicy)
	svc, err := os.ReadFile("../../scripts/systemd/ratwatch-audit.service")
	if err != nil {
		t.Fatal(err)
	}
	timer, err := os.ReadFile("../../scripts/systemd/ratwatch-audit.timer")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(timer), "OnCalendar=hourly") || !strings.Contains(string(timer), "WantedBy=timers.target") {
		t.Errorf("timer:\n%s", timer)
	}
	rewrite := strings.NewReplacer("/usr/local/bin/ratwatch", b, "/etc/ratwatch/policy.yaml", pol,
		"/var/lib/ratwatch", filepath.Join(tmp, "state"), "/var/log/ratwatch", filepath.Join(tmp, "log")).Replace(string(svc))
	exec1 := regexp.MustCompile(`(?m)^ExecStart=(.+)$`).FindStringSubmatch(rewrite)
	if exec1 == nil {
		t.Fatal("no ExecStart")
	}
	fields := strings.Fields(exec1[1])
	cmd := exec.Command(fields[0], fields[1:]...)
	outb, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code == 1 || !strings.Contains(string(svc), "SuccessExitStatus=2 3") {
		t.Fatalf("ExecStart exit %d: %s", code, outb)
	}
	rep, err := os.ReadFile(filepath.Join(tmp, "log", "audit.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	validateNDJSON(t, ndjsonSchema(t, "../../docs"), rep)

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: units not verified")
		return
	}
	unitDir := filepath.Join(tmp, "units")
	os.MkdirAll(unitDir, 0o755)
	writeFile(t, filepath.Join(unitDir, "ratwatch-audit.service"), rewrite)
	writeFile(t, filepath.Join(unitDir, "ratwatch-audit.timer"), string(timer))
	v := exec.Command(sa, "verify", filepath.Join(unitDir, "ratwatch-audit.service"), filepath.Join(unitDir, "ratwatch-audit.timer"))
	if out, err := v.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
