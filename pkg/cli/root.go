// Package cli wires the ratwatch commands (cobra). Commands are thin: they
// parse flags, call the engine and an encoder, and return an exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/exitcode"
)

// exitError carries an exit code up to Execute.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Execute runs the CLI and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := NewRoot(os.Stdout, os.Stderr)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return exitcode.Clean
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(os.Stderr, "ratwatch:", err)
		return exitcode.Error
	}
}

// NewRoot builds the command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ratwatch",
		Short: "Find remote-access tools and tell whether this PC was remote-controlled",
		Long: `ratwatch finds remote-access tools (AnyDesk, TeamViewer, ScreenConnect, Quick Assist,
VNC, RDP and 40+ more) on a PC, and decides whether remote control was actually
established — the question that decides whether a data leak must be assumed
after a tech-support scam (IPA's guidance).

It reads processes, installed software, services, files, sockets and the tools'
own logs and event logs, and reports per tool and for the host:
  established       an incoming session happened (or is running now)
  not established   tools may be present or running, attempts may have failed,
                    but every source that could show a session shows none
  indeterminate     a session cannot be excluded (logs missing, no privileges)

Exit codes: 0 no tool found · 2 tool(s) found, not established (or
indeterminate) · 3 remote control established · 1 error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScanCmd(), newLogsCmd(), newPcapCmd(), newCaptureCmd(), newSignaturesCmd(), newVersionCmd(), newAuditCmd())
	return root
}
