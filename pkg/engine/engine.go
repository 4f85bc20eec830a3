// Package engine runs a scan end to end: scanners over a source → signature
// matching → verdict → report. The CLI commands (scan, logs, audit) are thin
// wrappers around Run.
package engine

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/host"

	"github.com/ratwatch/ratwatch/pkg/exitcode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanners"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
	"github.com/ratwatch/ratwatch/pkg/verdict"
	"github.com/ratwatch/ratwatch/pkg/version"
)

// Options configure one run.
type Options struct {
	Command    string
	Source     *source.Source
	Signatures *signature.Set
	// LogPaths: parse only these files/folders as tool logs (ratwatch logs).
	LogPaths []string
	// KnownLogs: logs an earlier audit found through processes or
	// configurations, read again while they exist.
	KnownLogs []scanner.KnownLog
	// Only/Skip select scanners by name.
	Only, Skip []string
	Location   *time.Location
	// TimezoneFrom says where Location came from (--tz, this machine, the
	// image's SYSTEM hive or /etc/localtime).
	TimezoneFrom string
	FailOn       string
	// NoScanners runs no host scanner (pcap/capture: only Extra is judged).
	NoScanners bool
	// Kind overrides the reported source kind ("capture").
	Kind string
	// Extra is called after the scanners, and its inventory merged before
	// matching (e.g. what a capture running alongside the scan saw).
	Extra func() inventory.Inventory
	// Live tells the verdict the process and socket tables were read now;
	// default: the source is live and no files were handed over.
	Live *bool
}

// Run performs the scan and returns the report; the error is for failures
// that prevent any result.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	if o.Location == nil {
		o.Location = time.Local
	}
	r := &report.Report{SchemaVersion: report.SchemaVersion}
	r.Tool = report.ToolInfo{Name: "ratwatch", Version: version.Version, Commit: version.Commit, SignaturesVersion: o.Signatures.Version}
	r.Scan = report.ScanInfo{ID: newID(), Command: o.Command, StartedAt: time.Now().UTC(),
		Source:     report.SourceInfo{Kind: o.Source.Kind(), Root: o.Source.Root(), OS: o.Source.OS()},
		Privileges: privileges(), Timezone: zoneName(o.Location), TimezoneFrom: o.TimezoneFrom, Inputs: o.LogPaths}
	if len(o.LogPaths) > 0 {
		r.Scan.Source.Kind = "files"
	}
	if o.Kind != "" {
		r.Scan.Source.Kind = o.Kind
	}
	hostc := make(chan report.HostInfo, 1)
	go func() { hostc <- hostInfo(ctx, o.Source) }()

	env := &scanner.Env{Source: o.Source, Signatures: o.Signatures, Location: o.Location, LogPaths: o.LogPaths, KnownLogs: o.KnownLogs}
	var list []scanner.Scanner
	if !o.NoScanners {
		list = scanner.Select(scanners.All(), o.Source, o.Only, o.Skip)
	}
	inv := scanner.Run(ctx, env, list)
	if o.Extra != nil {
		inv.Merge(o.Extra())
	}
	tools := match.Match(&inv, o.Signatures, o.Source.OS())
	live := o.Source.IsLive() && len(o.LogPaths) == 0 && !o.NoScanners
	if o.Live != nil {
		live = *o.Live
	}
	// Files handed over (logs, captures) are the whole evidence.
	findings, v := verdict.Decide(tools, verdict.Context{Live: live, Statuses: inv.Statuses,
		HandedOver: len(o.LogPaths) > 0 || o.Command == "pcap", Capture: o.Kind == "capture", Cleared: verdict.Relevant(inv.Cleared(), o.Signatures)})
	r.Host = <-hostc
	r.Scanners = inv.Statuses
	r.Findings = findings
	if r.Findings == nil {
		r.Findings = []report.Finding{}
	}
	r.Verdict = v
	r.Logs = inv.Logs
	if r.Logs == nil {
		r.Logs = []inventory.LogFile{}
	}
	r.Counts = report.Counts{Processes: len(inv.Processes), Sockets: len(inv.Sockets), Packages: len(inv.Packages),
		Services: len(inv.Services), Files: len(inv.Files), Logs: len(inv.Logs), Sessions: len(inv.Sessions)}
	r.Scan.FinishedAt = time.Now().UTC()
	r.ExitCode = exitcode.For(r.Verdict, o.FailOn)
	return r, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func privileges() report.Privileges {
	p := report.Privileges{}
	if u, err := user.Current(); err == nil {
		p.User, p.UID = u.Username, u.Uid
	}
	if runtime.GOOS == "windows" {
		p.Elevated = isElevated()
	} else {
		p.Elevated = os.Geteuid() == 0
	}
	return p
}

func hostInfo(ctx context.Context, src *source.Source) report.HostInfo {
	h := report.HostInfo{OS: src.OS()}
	for _, u := range src.Users() {
		h.Users = append(h.Users, u.Name)
	}
	if src.OS() == "linux" {
		h.Platform, h.PlatformVersion = osRelease(src)
	}
	if !src.IsLive() {
		return h
	}
	h.Arch = runtime.GOARCH
	// Cheap calls only: gopsutil's host.Info also probes virtualisation and
	// costs more than the whole process scan.
	if n, err := os.Hostname(); err == nil {
		h.Name = n
	}
	if k, err := host.KernelVersionWithContext(ctx); err == nil {
		h.Kernel = k
	}
	if bt, err := host.BootTimeWithContext(ctx); err == nil && bt > 0 {
		t := time.Unix(int64(bt), 0).UTC()
		h.BootTime = &t
	}
	if src.OS() != "linux" {
		if p, _, v, err := host.PlatformInformationWithContext(ctx); err == nil {
			h.Platform, h.PlatformVersion = p, v
		}
	}
	return h
}

// osRelease reads ID and VERSION_ID from etc/os-release of the inspected
// system (live or image).
func osRelease(src *source.Source) (id, version string) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		f, err := src.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "ID":
				id = v
			case "VERSION_ID":
				version = v
			}
		}
		return id, version
	}
	return "", ""
}

// zoneName names loc for the report; this machine's zone (time.Local, which
// names itself "Local") with its abbreviation and offset now.
func zoneName(loc *time.Location) string {
	if loc != time.Local {
		return loc.String()
	}
	return "Local (" + time.Now().Format("MST -07:00") + ")"
}
