// Command ratwatch finds remote-access tools and decides whether this PC was
// remote-controlled. See README.md and docs/.
package main

import (
	"os"

	"github.com/ratwatch/ratwatch/pkg/cli"
)

func main() { os.Exit(cli.Execute()) }
