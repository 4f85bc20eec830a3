// Command ratwatch finds remote-access tools and decides whether this PC was
// remote-controlled. See README.md and docs/.
package main

import (
	"os"
	// The zone database in the binary: --tz, and an image's own zone, work
	// on a Windows analysis machine, which has none.
	_ "time/tzdata"

	"github.com/ratwatch/ratwatch/internal/gctune"
	"github.com/ratwatch/ratwatch/pkg/cli"
)

func main() {
	// A scan lives for tens of milliseconds: collect less often, but keep
	// a small heap under a soft 48 MiB limit (long pcap runs stay in
	// constant memory) that grows with the live heap when a scan holds much
	// (many session records), instead of collecting back to back.
	gctune.Start(400, 48<<20)
	os.Exit(cli.Execute())
}
