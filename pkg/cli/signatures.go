package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

func newSignaturesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "signatures", Short: "List, show and validate tool signatures"}
	opt := signature.Options{ParserExists: parsers.Exists}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List the built-in signatures", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := signature.Builtin(opt)
			if err != nil {
				return err
			}
			sigs := append([]*signature.Signature(nil), set.Signatures...)
			sort.Slice(sigs, func(i, j int) bool { return sigs[i].ID < sigs[j].ID })
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-24s %-16s %-5s %s\n", "ID", "CATEGORY", "SCAM", "NAME")
			for _, s := range sigs {
				scam := ""
				if s.ScamUse {
					scam = "yes"
				}
				fmt.Fprintf(w, "%-24s %-16s %-5s %s (%s)\n", s.ID, s.Category, scam, s.Name, s.Vendor)
			}
			fmt.Fprintf(w, "\n%d signatures, set %s\n", len(sigs), set.Version)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "show ID", Short: "Show one signature as loaded", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := signature.Builtin(opt)
			if err != nil {
				return err
			}
			s := set.Get(args[0])
			if s == nil {
				return fmt.Errorf("no signature %q (see 'ratwatch signatures list')", args[0])
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# %s\n", s.File)
			enc := yaml.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent(2)
			return enc.Encode(s)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Validate signature files strictly (the built-in set when no path is given)",
		Long: `Validate signature files with the same strict loader a scan uses: unknown
fields, bad regular expressions, duplicate ids, missing required fields, unknown
parsers, and every true/false-positive example. Errors are reported as file:line.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var set *signature.Set
			var err error
			if len(args) == 0 {
				set, err = signature.Builtin(opt)
			} else {
				set, err = signature.LoadPaths(args, opt)
			}
			if err != nil {
				return fmt.Errorf("invalid signatures:\n%s", strings.TrimSpace(err.Error()))
			}
			n := 0
			for _, s := range set.Signatures {
				n += len(s.Examples.TruePositives) + len(s.Examples.FalsePositives)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d signatures valid, %d examples checked\n", len(set.Signatures), n)
			return nil
		},
	})
	return cmd
}
