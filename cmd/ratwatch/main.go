// Command ratwatch finds remote-access tools and decides whether this PC was
// remote-controlled. See README.md and docs/.
package main

import (
	"os"
	"runtime/debug"

	"github.com/ratwatch/ratwatch/pkg/cli"
)

func main() {
	// A scan lives for tens of milliseconds and keeps little: collect less
	// often, but never let the heap pass a soft limit (long pcap and log
	// runs stay in constant memory).
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(48 << 20)
	os.Exit(cli.Execute())
}
