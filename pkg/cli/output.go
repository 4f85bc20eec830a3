package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/exitcode"
	"github.com/ratwatch/ratwatch/pkg/report"
)

// outputFlags are shared by every command that writes a report.
type outputFlags struct {
	format string
	file   string
	failOn string
}

func (o *outputFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "", "output format: "+fmt.Sprint(encode.Names())+" (default: table on a terminal, json otherwise)")
	cmd.Flags().StringVar(&o.file, "file", "", "write the report to this file instead of standard output (replaced atomically; audit -o ndjson/ecs append to it)")
	cmd.Flags().StringVar(&o.failOn, "fail-on", "found", "lowest level that gives a non-zero exit: "+fmt.Sprint(exitcode.Levels)+"; indeterminate always gives 2")
}

func (o *outputFlags) validate() error { return exitcode.ValidLevel(o.failOn) }

// resolve picks the format: -o, else a table on a terminal and JSON when
// piped or written to --file.
func (o *outputFlags) resolve() (string, encode.Encoder, error) {
	format := o.format
	if format == "" {
		format = "json"
		if o.file == "" && isTerminal(os.Stdout) {
			format = "table"
		}
	}
	enc, err := encode.Get(format)
	return format, enc, err
}

// write encodes r and returns the exit code as an error for Execute.
func (o *outputFlags) write(cmd *cobra.Command, r *report.Report) error {
	_, enc, err := o.resolve()
	if err != nil {
		return err
	}
	if o.file != "" {
		if err := refuseEvidence(o.file, r); err != nil {
			return err
		}
		if err := encode.WriteFileAtomic(o.file, enc, r); err != nil {
			return fmt.Errorf("writing %s: %w", o.file, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ratwatch: remote control %s; report written to %s\n", r.Verdict.RemoteControl, o.file)
	} else if err := enc.Encode(cmd.OutOrStdout(), r); err != nil {
		return err
	}
	if r.ExitCode != exitcode.Clean {
		return exitError{r.ExitCode}
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
