package macapps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Launchd is the launchd job scanner.
type Launchd struct{}

// NewLaunchd returns the macOS launchd job scanner.
func NewLaunchd() scanner.Scanner { return Launchd{} }

func (Launchd) Name() string   { return LaunchdName }
func (Launchd) Tags() []string { return []string{"live", "offline", "darwin"} }

type jobDir struct{ dir, domain, kind string }

func jobDirs(src *source.Source) []jobDir {
	dirs := []jobDir{
		{"/Library/LaunchDaemons", "system", "daemon"},
		{"/Library/LaunchAgents", "all users", "agent"},
	}
	for _, u := range src.Users() {
		dirs = append(dirs, jobDir{strings.TrimRight(u.Home, "/") + "/Library/LaunchAgents", "user " + u.Name, "agent"})
	}
	return dirs
}

func (Launchd) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	src := env.Source
	if src.OS() != "darwin" {
		return scanner.Skipped(LaunchdName, "not a macOS system")
	}
	st := inventory.ScannerStatus{Name: LaunchdName, Status: inventory.StatusOK}
	var out []inventory.Service
	for _, d := range jobDirs(src) {
		entries, err := src.ReadDir(d.dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", d.dir, err))
			}
			continue
		}
		for _, e := range entries {
			if ctx.Err() != nil {
				break
			}
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".plist") {
				continue
			}
			p := path.Join(d.dir, e.Name())
			m, err := ReadPlist(src, p)
			if err != nil {
				st.Errors = append(st.Errors, err.Error())
				st.Unreadable++
				continue
			}
			svc := Job(m, p)
			svc.Details["domain"], svc.Details["kind"] = d.domain, d.kind
			out = append(out, svc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	st.Items = len(out)
	if len(st.Errors) > 0 {
		st.Status, st.Reason = inventory.StatusPartial, fmt.Sprintf("%d problems while reading", len(st.Errors))
	}
	return inventory.Inventory{Services: out, Statuses: []inventory.ScannerStatus{st}}
}

// Job turns a launchd job dictionary into a service: Name is the Label (the
// file name without .plist when there is none), ImagePath the Program or the
// ProgramArguments joined with spaces (quoted when needed), StartType one of
// disabled, keep-alive, run-at-load, on-demand.
func Job(m map[string]any, file string) inventory.Service {
	s := inventory.Service{Manager: "launchd", Source: file, Details: map[string]string{}}
	s.Name = str(m, "Label")
	if s.Name == "" {
		s.Name = strings.TrimSuffix(path.Base(file), ".plist")
	}
	var args []string
	if a, ok := m["ProgramArguments"].([]any); ok {
		for _, v := range a {
			if str, ok := v.(string); ok {
				args = append(args, str)
			}
		}
	}
	prog := str(m, "Program")
	switch {
	case prog != "" && len(args) > 0:
		s.ImagePath = quote(prog) + " " + joinArgs(args[1:])
	case prog != "":
		s.ImagePath = quote(prog)
	default:
		s.ImagePath = joinArgs(args)
	}
	s.ImagePath = strings.TrimSpace(s.ImagePath)
	switch {
	case truthy(m["Disabled"]):
		s.StartType = "disabled"
	case m["KeepAlive"] != nil && m["KeepAlive"] != false:
		s.StartType = "keep-alive"
	case truthy(m["RunAtLoad"]):
		s.StartType = "run-at-load"
	default:
		s.StartType = "on-demand"
	}
	return s
}

func truthy(v any) bool { b, ok := v.(bool); return ok && b }

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}

func joinArgs(a []string) string {
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = quote(s)
	}
	return strings.Join(q, " ")
}
