// Package scanners lists every scanner ratwatch runs, in order. Registration
// is explicit: what a scan reads is visible here. The tool-log scanner runs
// last because it reads log paths off the process list.
package scanners

import (
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/scanner/dpkg"
	"github.com/ratwatch/ratwatch/pkg/scanner/paths"
	"github.com/ratwatch/ratwatch/pkg/scanner/process"
	"github.com/ratwatch/ratwatch/pkg/scanner/rpm"
	"github.com/ratwatch/ratwatch/pkg/scanner/socket"
	"github.com/ratwatch/ratwatch/pkg/scanner/toollog"
	"github.com/ratwatch/ratwatch/pkg/scanner/units"
)

// All returns every scanner in run order.
func All() []scanner.Scanner {
	return []scanner.Scanner{
		process.New(),
		socket.New(),
		dpkg.New(),
		rpm.New(),
		units.New(),
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
