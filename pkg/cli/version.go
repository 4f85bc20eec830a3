package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/version"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print version, commit and signature-set version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sigs := "unavailable"
			if set, err := signature.Builtin(signature.Options{ParserExists: parsers.Exists}); err == nil {
				sigs = set.Version
			} else {
				sigs = "invalid: " + err.Error()
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ratwatch %s\ncommit %s\nsignatures %s\n%s %s/%s\n", version.Version, version.Commit, sigs, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
