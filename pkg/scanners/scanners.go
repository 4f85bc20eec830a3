// Package scanners lists every scanner ratwatch runs, in order. Registration
// is explicit: what a scan reads is visible here. Tags select the ones that
// apply to the inspected system (live or image; linux, windows, darwin). The
// portable-binary and tool-log scanners run after the process scanner because
// they read the running processes' images and command lines.
package scanners

import (
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/dpkg"
	"github.com/ratwatch/ratwatch/pkg/scanner/execution"
	"github.com/ratwatch/ratwatch/pkg/scanner/macapps"
	"github.com/ratwatch/ratwatch/pkg/scanner/paths"
	"github.com/ratwatch/ratwatch/pkg/scanner/portable"
	"github.com/ratwatch/ratwatch/pkg/scanner/process"
	"github.com/ratwatch/ratwatch/pkg/scanner/rpm"
	"github.com/ratwatch/ratwatch/pkg/scanner/socket"
	"github.com/ratwatch/ratwatch/pkg/scanner/toollog"
	"github.com/ratwatch/ratwatch/pkg/scanner/units"
	"github.com/ratwatch/ratwatch/pkg/scanner/winservices"
	"github.com/ratwatch/ratwatch/pkg/scanner/winsoftware"
)

// All returns every scanner in run order.
func All() []scanner.Scanner {
	return []scanner.Scanner{
		process.New(),
		socket.New(),
		dpkg.New(),
		rpm.New(),
		units.New(),
		winsoftware.New(),
		winservices.New(),
		portable.New(), // after processes: it reads the running images
		execution.New(),
		macapps.New(),
		macapps.NewLaunchd(),
		paths.New(),
		toollog.New(),
	}
}

// Names lists the scanners' names.
func Names() []string {
	var out []string
	for _, s := range All() {
		out = append(out, s.Name())
	}
	return out
}
