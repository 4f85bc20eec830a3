// Package scanner defines the scanner interface and runs the registered
// scanners over a source. Each scanner fills part of an inventory and says how
// completely it ran; a failing scanner never stops the others.
package scanner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Env is what a scanner gets: the system to inspect, the signatures, and the
// inventory of scanners that ran before it (the tool-log scanner reads the
// process list to find log files named on command lines).
type Env struct {
	Source     *source.Source
	Signatures *signature.Set
	Prior      *inventory.Inventory
	// Location is the time zone for logs that write local time without an
	// offset (the inspected system's zone; the host's own when live).
	Location *time.Location
	// LogPaths are extra files or folders to parse as tool logs.
	LogPaths []string
	// KnownLogs are logs an earlier audit found through a process's command
	// line or a configuration (x11vnc -o FILE): read again while they exist,
	// so a session does not vanish from the report when the process ends.
	KnownLogs []KnownLog
}

// KnownLog is a log file remembered from an earlier run.
type KnownLog struct {
	Path   string `json:"path"`
	Parser string `json:"parser"`
	Tool   string `json:"tool"`
	Found  string `json:"found"` // how it was found first
}

// Scanner collects one kind of fact.
type Scanner interface {
	Name() string
	// Tags select scanners: "live" (needs the running system), "offline"
	// (works on a directory source), and an OS name or "any".
	Tags() []string
	// Scan returns what it found; its status must be in the result.
	Scan(ctx context.Context, env *Env) inventory.Inventory
}

// NeedsPrior is implemented by scanners that read what earlier scanners
// found (env.Prior): they run after all the others, in order.
type NeedsPrior interface {
	NeedsPrior() bool
}

// Run runs the scanners: the independent ones concurrently, then those that
// need the inventory so far, in order. A panic in one scanner is turned into
// a failed status so the scan still completes. Results are merged in the
// registry's order, so the report does not depend on timing.
func Run(ctx context.Context, env *Env, scanners []Scanner) inventory.Inventory {
	var inv inventory.Inventory
	env.Prior = &inv
	parts := make([]inventory.Inventory, len(scanners))
	var wg sync.WaitGroup
	var later []int
	for i, s := range scanners {
		if np, ok := s.(NeedsPrior); ok && np.NeedsPrior() {
			later = append(later, i)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = timed(ctx, env, s)
		}()
	}
	wg.Wait()
	for i := range scanners {
		if !slices.Contains(later, i) {
			inv.Merge(parts[i])
		}
	}
	for _, i := range later {
		inv.Merge(timed(ctx, env, scanners[i]))
	}
	return inv
}

func timed(ctx context.Context, env *Env, s Scanner) inventory.Inventory {
	start := time.Now()
	part := safeScan(ctx, env, s)
	for i := range part.Statuses {
		if part.Statuses[i].Elapsed == "" {
			part.Statuses[i].Elapsed = time.Since(start).Round(time.Microsecond).String()
		}
	}
	return part
}

func safeScan(ctx context.Context, env *Env, s Scanner) (out inventory.Inventory) {
	defer func() {
		if r := recover(); r != nil {
			out = inventory.Inventory{Statuses: []inventory.ScannerStatus{{
				Name: s.Name(), Status: inventory.StatusFailed, Reason: fmt.Sprintf("internal error: %v", r),
			}}}
		}
	}()
	out = s.Scan(ctx, env)
	if len(out.Statuses) == 0 {
		out.Statuses = []inventory.ScannerStatus{{Name: s.Name(), Status: inventory.StatusOK}}
	}
	return out
}

// Select keeps the scanners that apply to src and whose names are not in skip.
// A name in only (when non-empty) restricts to those names.
func Select(all []Scanner, src *source.Source, only, skip []string) []Scanner {
	var out []Scanner
	for _, s := range all {
		tags := s.Tags()
		if len(only) > 0 && !slices.Contains(only, s.Name()) {
			continue
		}
		if slices.Contains(skip, s.Name()) {
			continue
		}
		if src.IsLive() && !slices.Contains(tags, "live") {
			continue
		}
		if !src.IsLive() && !slices.Contains(tags, "offline") {
			continue
		}
		if !slices.Contains(tags, "any") && !slices.Contains(tags, src.OS()) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Skipped returns a status for a scanner that did not apply.
func Skipped(name, reason string) inventory.Inventory {
	return inventory.Inventory{Statuses: []inventory.ScannerStatus{{Name: name, Status: inventory.StatusSkipped, Reason: reason}}}
}
