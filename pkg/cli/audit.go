package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/audit"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/engine"
	"github.com/ratwatch/ratwatch/pkg/exitcode"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

func newAuditCmd() *cobra.Command {
	var f scanFlags
	var policyPath, stateDir string
	var useSyslog, checkOnly, noUpdate bool
	var syslogServer string
	var lockMaxAge time.Duration
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Scheduled audit: scan, judge against an allow-list policy, report what is new or not allowed",
		Long: `Scan this host like 'ratwatch scan', then judge the result for a scheduled
(hourly) audit:

  - against a policy (--policy FILE, YAML): allow-list entries by tool, or by
    instance (AnyDesk/TeamViewer ID of the peer, remote IP, ScreenConnect
    instance or relay, MeshCentral server), optionally per host and user, each
    with a reason and an expiry date. An allowed finding stays in the report,
    marked with the entry that allowed it; an expired entry stops allowing and
    the report says so.
  - against the baseline of the last audit (in --state DIR): every finding and
    session is new, changed or unchanged, and what disappeared is listed as gone.

The exit code counts only findings the policy does not allow: 0 nothing
(at or above --fail-on) not allowed · 2 a tool not allowed, or indeterminate ·
3 remote control established and not allowed · 1 error (including: another
audit is still running).

For log pipelines use -o ndjson or -o ecs with --file (appended, one write per
line) and/or --syslog. See docs/audit.md.`,
		Example: `  ratwatch audit --policy /etc/ratwatch/policy.yaml -o ndjson --file /var/log/ratwatch/audit.ndjson
  ratwatch audit --policy policy.yaml -o ecs --syslog
  ratwatch audit --policy policy.yaml --check-policy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, loc, err := f.load()
			if err != nil {
				return err
			}
			var pol *audit.Policy
			if policyPath != "" {
				if pol, err = audit.LoadPolicy(policyPath, func(id string) bool { return set.Get(id) != nil }); err != nil {
					return fmt.Errorf("invalid policy:\n%s", strings.TrimSpace(err.Error()))
				}
			}
			if checkOnly {
				if pol == nil {
					return errors.New("--check-policy needs --policy FILE")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok: %s: %d entries valid, %d expired\n", policyPath, len(pol.Entries), len(pol.ExpiredEntries(time.Now())))
				return nil
			}
			format, err := auditFormat(f.out)
			if err != nil {
				return err
			}
			if syslogServer != "" {
				useSyslog = true
				if _, _, ok := strings.Cut(syslogServer, ":"); !ok {
					return fmt.Errorf("--syslog-server %q: want NETWORK:ADDRESS (udp:loghost:514, tcp:10.0.0.5:514, unixgram:/dev/log)", syslogServer)
				}
			}
			if len(f.only)+len(f.skip) > 0 {
				// The baseline is of full runs: what a partial run leaves
				// out would be reported gone, then new again.
				return errors.New("audit compares with the baseline of full runs: --only / --skip would report what they leave out as gone (use scan for a partial look)")
			}
			if stateDir == "" {
				stateDir = defaultStateDir()
			}
			if err := os.MkdirAll(stateDir, 0o700); err != nil {
				return fmt.Errorf("--state: %w", err)
			}
			if err := stateDirSafe(stateDir); err != nil {
				return err
			}
			lock, lockNote, err := audit.AcquireLock(stateDir, audit.LockOptions{MaxAge: lockMaxAge, Command: strings.Join(os.Args, " ")})
			if err != nil {
				return err
			}
			defer func() {
				if err := lock.Release(); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "ratwatch: warning:", err)
				}
			}()
			if lockNote != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "ratwatch: audit lock:", lockNote)
			}

			prev, baseNote, err := audit.LoadBaseline(stateDir)
			if err != nil {
				return err
			}
			var known []scanner.KnownLog
			if prev != nil {
				known = prev.Logs
			}
			r, err := engine.Run(cmd.Context(), engine.Options{Command: "audit", Source: source.Live(), Signatures: set,
				Location: loc, FailOn: f.out.failOn, Only: f.only, Skip: f.skip, KnownLogs: known})
			if err != nil {
				return err
			}
			now := r.Scan.StartedAt
			r.Audit = &report.AuditInfo{StateDir: stateDir,
				Baseline: report.BaselineInfo{Path: filepath.Join(stateDir, audit.BaselineFile), FirstRun: prev == nil}}
			if prev != nil {
				w := prev.WrittenAt
				r.Audit.Baseline.ScanID, r.Audit.Baseline.WrittenAt = prev.ScanID, &w
				if prev.Host != "" && r.Host.Name != "" && prev.Host != r.Host.Name {
					r.Audit.Notes = append(r.Audit.Notes, fmt.Sprintf("the baseline was written on host %q, this is %q", prev.Host, r.Host.Name))
				}
			}
			if pol != nil {
				r.Audit.Policy, r.Audit.PolicySHA256 = pol.File, pol.SHA256
				r.Audit.ExpiredEntries = pol.ExpiredEntries(now)
			} else {
				r.Audit.Notes = append(r.Audit.Notes, "no --policy: nothing is allowed")
			}
			for _, n := range []string{lockNote, baseNote} {
				if n != "" {
					r.Audit.Notes = append(r.Audit.Notes, n)
				}
			}
			pol.Judge(r, now, os.ReadFile)
			next := audit.Compare(r, prev, now)
			next.Logs = audit.KnownLogs(r, prev)
			r.ExitCode = exitcode.ForAudit(r.Verdict, r.Findings, f.out.failOn)

			if err := writeAudit(cmd, f.out, format, useSyslog, syslogServer, r); err != nil {
				return err // the baseline is not advanced: the next run reports the same news
			}
			if !noUpdate {
				if err := next.Save(stateDir); err != nil {
					return fmt.Errorf("saving the baseline: %w", err)
				}
			}
			if r.ExitCode != exitcode.Clean {
				return exitError{r.ExitCode}
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&policyPath, "policy", "", "allow-list policy (YAML, docs/audit.md); without it nothing is allowed")
	cmd.Flags().StringVar(&stateDir, "state", "", "state directory for the baseline and the lock (default "+defaultStateDir()+")")
	cmd.Flags().BoolVar(&useSyslog, "syslog", false, "also send each NDJSON (or ECS) line to the system log: syslog tag ratwatch, or the Windows event log source ratwatch")
	cmd.Flags().StringVar(&syslogServer, "syslog-server", "", "with --syslog, send to this syslog server instead of the local one (Unix): NETWORK:ADDRESS, e.g. udp:loghost:514, unixgram:/dev/log")
	cmd.Flags().DurationVar(&lockMaxAge, "lock-max-age", audit.DefaultLockMaxAge, "a lock older than this is stale and taken over even if its pid is alive")
	cmd.Flags().BoolVar(&checkOnly, "check-policy", false, "only validate --policy (and the signatures) and exit")
	cmd.Flags().BoolVar(&noUpdate, "no-update", false, "do not advance the baseline (try a policy without losing what is new)")
	f.addSelection(cmd)
	return cmd
}

// defaultStateDir: /var/lib/ratwatch (ProgramData\ratwatch on Windows) for
// root/administrators, else the user's state directory.
func defaultStateDir() string {
	if runtime.GOOS == "windows" {
		if pd := os.Getenv("ProgramData"); pd != "" {
			return filepath.Join(pd, "ratwatch")
		}
		return `C:\ProgramData\ratwatch`
	}
	if os.Geteuid() == 0 {
		return "/var/lib/ratwatch"
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "ratwatch")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "ratwatch")
	}
	return filepath.Join(os.TempDir(), "ratwatch-state")
}

func auditFormat(o outputFlags) (string, error) {
	format, _, err := o.resolve()
	return format, err
}

// writeAudit writes the report: line formats (ndjson, ecs) with --file are
// appended with one write call per line (O_APPEND), so concurrent writers
// never interleave; other formats replace --file atomically. With --syslog
// every line also goes to the system log.
func writeAudit(cmd *cobra.Command, o outputFlags, format string, useSyslog bool, syslogServer string, r *report.Report) error {
	enc, _ := encode.Get(format)
	le, isLines := enc.(encode.LineEncoder)
	var lines [][]byte
	if isLines {
		var err error
		if lines, err = le.EncodeLines(r); err != nil {
			return err
		}
	}
	if o.file != "" {
		if err := refuseEvidence(o.file, r); err != nil {
			return err
		}
	}
	switch {
	case o.file != "" && isLines:
		if err := appendLines(o.file, lines); err != nil {
			return fmt.Errorf("writing %s: %w", o.file, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ratwatch: audit: %s; %d line(s) appended to %s\n", auditWords(r), len(lines), o.file)
	case o.file != "":
		if err := os.MkdirAll(filepath.Dir(o.file), 0o750); err != nil {
			return fmt.Errorf("writing %s: %w", o.file, err)
		}
		if err := encode.WriteFileAtomic(o.file, enc, r); err != nil {
			return fmt.Errorf("writing %s: %w", o.file, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ratwatch: audit: %s; report written to %s\n", auditWords(r), o.file)
	default:
		if err := enc.Encode(cmd.OutOrStdout(), r); err != nil {
			return err
		}
		if format == "table" {
			writeAuditTable(cmd.OutOrStdout(), r)
		}
	}
	if useSyslog {
		if !isLines {
			var err error
			if lines, err = (encode.NDJSON{}).EncodeLines(r); err != nil {
				return err
			}
		}
		var sink encode.Sink
		var err error
		if network, addr, ok := strings.Cut(syslogServer, ":"); ok {
			sink, err = encode.DialSyslog(network, addr)
		} else {
			sink, err = encode.OpenSyslog()
		}
		if err != nil {
			return fmt.Errorf("--syslog: %w", err)
		}
		// A syslog daemon that stops reading blocks the sender: bound the wait.
		done := make(chan error, 1)
		go func() {
			for _, l := range lines {
				if err := sink.Send(encode.LineSeverity(l), l); err != nil {
					done <- err
					return
				}
			}
			done <- sink.Close()
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("--syslog: %w", err)
			}
		case <-time.After(syslogTimeout):
			return fmt.Errorf("--syslog: the system log did not take the messages within %v", syslogTimeout)
		}
	}
	return nil
}

// syslogTimeout bounds the delivery of one audit's lines to the system log.
const syslogTimeout = time.Minute

// appendLines appends each line with a single write on an O_APPEND file.
func appendLines(path string, lines [][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	for _, l := range lines {
		n, err := fh.Write(l)
		if err == nil && n != len(l) {
			err = io.ErrShortWrite
		}
		if err != nil {
			fh.Close()
			return err
		}
	}
	// Only a regular file can be synced (a pipe or /dev/stdout says
	// EINVAL; the lines were delivered).
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		if err := fh.Sync(); err != nil {
			fh.Close()
			return err
		}
	}
	return fh.Close()
}

func auditWords(r *report.Report) string {
	c := r.Audit.Counts
	return fmt.Sprintf("%d finding(s), %d not allowed, %d new, %d changed, %d gone; exit code %d",
		c.Findings, c.NotAllowed, c.New, c.Changed, c.Gone, r.ExitCode)
}

// writeAuditTable adds the audit judgement to the table output.
func writeAuditTable(w io.Writer, r *report.Report) {
	a := r.Audit
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	pol := a.Policy
	if pol == "" {
		pol = "none"
	}
	base := "first run"
	if a.Baseline.WrittenAt != nil {
		base = "since " + a.Baseline.WrittenAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	p("\nAUDIT (policy %s, baseline %s): %s\n", pol, base, auditWords(r))
	for _, f := range r.Findings {
		fa := f.Audit
		status := "NOT ALLOWED"
		if fa.Allowed {
			status = "allowed by " + refList(fa.AllowedBy)
		}
		p("  %-22s %-9s %s\n", f.Tool.ID, fa.Change, status)
		for _, c := range fa.Changes {
			p("      changed: %s\n", c)
		}
		for _, n := range fa.NotAllowed {
			p("      not allowed: %s\n", n)
		}
		for _, e := range fa.Expired {
			p("      expired: %s (%s) %s\n", e.ID, e.Policy, e.Note)
		}
	}
	for _, g := range a.Gone {
		p("  gone: %s\n", g.Label)
	}
	for _, e := range a.ExpiredEntries {
		p("  expired policy entry: %s (%s) — review or remove it\n", e.ID, e.Policy)
	}
	for _, n := range a.Notes {
		p("  note: %s\n", n)
	}
}

func refList(refs []report.AllowRef) string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

// stateDirSafe refuses a state folder others may write to: anyone could
// forge the baseline (hiding a new session as "unchanged") or block audits
// with a lock.
func stateDirSafe(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // ACLs, not mode bits
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if m := st.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("--state %s is writable by others (mode %04o): anyone could forge its baseline or block audits with a lock; chmod go-w it", dir, m)
	}
	return nil
}
