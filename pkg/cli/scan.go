package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/engine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanners"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
	"github.com/ratwatch/ratwatch/pkg/timezone"
)

// scanFlags are the flags shared by scan-like commands.
type scanFlags struct {
	out        outputFlags
	signatures []string
	tz         string
	only, skip []string
}

// addSelection adds --only / --skip (commands that run the host scanners).
func (s *scanFlags) addSelection(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&s.only, "only", nil, "run only these scanners: "+fmt.Sprint(scanners.Names()))
	cmd.Flags().StringSliceVar(&s.skip, "skip", nil, "skip these scanners")
}

func (s *scanFlags) add(cmd *cobra.Command) {
	s.out.add(cmd)
	cmd.Flags().StringSliceVar(&s.signatures, "signatures", nil, "extra signature files or folders to use with the built-in set")
	cmd.Flags().StringVar(&s.tz, "tz", "", "time zone of logs that write local time without an offset (default: this host's; with --root, the image's own; e.g. Asia/Tokyo)")
}

func (s *scanFlags) load() (*signature.Set, *time.Location, error) {
	if err := s.out.validate(); err != nil {
		return nil, nil, err
	}
	opt := signature.Options{ParserExists: parsers.Exists}
	// The built-in set's examples are checked by its tests and by
	// `signatures validate`; a scan need not re-run them at every start.
	set, err := signature.Builtin(signature.Options{ParserExists: parsers.Exists, SkipExamples: true})
	if err != nil {
		return nil, nil, fmt.Errorf("built-in signatures: %w", err)
	}
	if len(s.signatures) > 0 {
		extra, err := signature.LoadPaths(s.signatures, opt)
		if err != nil {
			return nil, nil, err
		}
		if set, err = signature.Merge(set, extra); err != nil {
			return nil, nil, err
		}
	}
	loc := time.Local
	if s.tz != "" {
		if loc, err = time.LoadLocation(s.tz); err != nil {
			return nil, nil, fmt.Errorf("--tz: %w", err)
		}
	}
	return set, loc, nil
}

// zoneFrom says where the zone of f.load came from (report scan.timezone_from).
func (s *scanFlags) zoneFrom(handedOver bool) string {
	switch {
	case s.tz != "":
		return "--tz"
	case handedOver:
		return "this machine's zone (the logs' own PC's may differ: give it with --tz)"
	}
	return "this machine's zone"
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	var root, osName string
	var w wireFlags
	var capDur time.Duration
	var capIface, capWrite string
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan this host (or a mounted image with --root) and decide whether it was remote-controlled",
		Long: `Scan this host: running processes, sockets, installed software, services, the
tools' files and their session logs and event logs, for every user profile.
Run it as root / administrator: without privileges other users' processes,
sockets and logs cannot be read, and the report says so.

With --root DIR it scans an offline system (a mounted image or a triage copy)
instead: files, installed software and logs only.`,
		Example: `  ratwatch scan                      # table on a terminal
  ratwatch scan -o json --file ev.json
  ratwatch scan --root /mnt/image --os windows --tz Asia/Tokyo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, loc, err := f.load()
			if err != nil {
				return err
			}
			src := source.Live()
			if root != "" {
				// A root that is not there (a mount that failed) would be a
				// clean scan of nothing.
				if st, err := os.Stat(root); err != nil || !st.IsDir() {
					if err == nil {
						err = fmt.Errorf("not a folder")
					}
					return fmt.Errorf("--root %s: %w", root, err)
				}
				src = source.Dir(root, osName)
			}
			zoneFrom := f.zoneFrom(false)
			if root != "" && f.tz == "" {
				// The image's own zone, not this machine's.
				z, err := timezone.Of(src)
				if err != nil {
					z = timezone.Unknown(err)
				}
				loc, zoneFrom = z.Loc, z.From
			}
			o := engine.Options{Command: "scan", Source: src, Signatures: set,
				Location: loc, TimezoneFrom: zoneFrom, FailOn: f.out.failOn, Only: f.only, Skip: f.skip}
			if capDur > 0 {
				if root != "" {
					return fmt.Errorf("--capture needs the live host, not --root")
				}
				wopt, err := w.options(set)
				if err != nil {
					return err
				}
				// Capture first, then scan: the socket table is read when the
				// capture ends, so flows still open then are tied to their
				// processes, and a session still running is seen as active.
				capInv := captureAlongside(cmd.Context(), capDur, capIface, capWrite, wopt)()
				o.Extra = func() inventory.Inventory { return capInv }
			}
			r, err := engine.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			return f.out.write(cmd, r)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&root, "root", "", "scan an offline system mounted or copied under this folder")
	cmd.Flags().StringVar(&osName, "os", "", "operating system of --root (linux, windows, darwin; default: guessed)")
	f.addSelection(cmd)
	cmd.Flags().DurationVar(&capDur, "capture", 0, "also capture traffic for this long during the scan and judge it (root; Windows: Npcap and administrator)")
	cmd.Flags().StringVar(&capIface, "capture-iface", "", "interface for --capture (eth0, Ethernet, en0, lo…; default: the default route's)")
	cmd.Flags().StringVar(&capWrite, "capture-write", "", "write the --capture packets to this pcap file")
	w.add(cmd)
	return cmd
}

func newLogsCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "logs PATH...",
		Short: "Parse remote-access tools' logs and event logs handed over by hand",
		Long: `Parse files or folders of remote-access tool logs (a responder's copy): AnyDesk
traces and connection_trace.txt, TeamViewer logs and Connections_incoming.txt,
Windows event logs (.evtx / exported XML), VNC and xrdp logs, and more. The
parser is chosen by file name (a name pattern such as *.trace also needs the
content to fit), then by content. Reports every session with
start, end, peer, authentication, transfers and the line it came from.`,
		Example: `  ratwatch logs ./collected/ProgramData/AnyDesk ./TeamViewer15_Logfile.log
  ratwatch logs --tz Asia/Tokyo -o json ./case42/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, loc, err := f.load()
			if err != nil {
				return err
			}
			r, err := engine.Run(cmd.Context(), engine.Options{Command: "logs", Source: source.Live(), Signatures: set,
				Location: loc, TimezoneFrom: f.zoneFrom(true), FailOn: f.out.failOn, LogPaths: args, Only: []string{"tool-logs"}})
			if err != nil {
				return err
			}
			return f.out.write(cmd, r)
		},
	}
	f.add(cmd)
	return cmd
}
