package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratwatch/ratwatch/pkg/engine"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
	"github.com/ratwatch/ratwatch/pkg/wire"
	"github.com/ratwatch/ratwatch/pkg/wire/capture"
	"github.com/ratwatch/ratwatch/pkg/wireinv"
)

// wireFlags are shared by pcap, capture and scan --capture.
type wireFlags struct {
	localIPs []string
}

func (w *wireFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&w.localIPs, "local-ip", nil, "address(es) of the PC under investigation in the capture (default: a live capture's own interface addresses; a file's are inferred)")
}

func (w *wireFlags) options(set *signature.Set) (wire.Options, error) {
	o := wire.Options{Signatures: set}
	for _, s := range w.localIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return o, fmt.Errorf("--local-ip %q: %w", s, err)
		}
		o.LocalIPs = append(o.LocalIPs, a)
	}
	return o, nil
}

func newPcapCmd() *cobra.Command {
	var f scanFlags
	var w wireFlags
	cmd := &cobra.Command{
		Use:   "pcap FILE...",
		Short: "Find remote-access sessions in packet captures (pcap / pcapng)",
		Long: `Read packet captures (pcap or pcapng, any name: the format is sniffed) and
find remote-access tools on the wire: TeamViewer, AnyDesk, RDP, VNC, RustDesk,
ScreenConnect, NoMachine, Radmin and the tools whose names show in DNS / TLS
SNI. Per tool it decides whether a session was established (screen data and
input flowed), the tool only idled on its relay, or a connection was only
attempted, and which side was controlled. Streams in constant memory.`,
		Example: `  ratwatch pcap case42.pcapng
  ratwatch pcap --local-ip 192.168.1.23 -o json capture*.pcap`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, loc, err := f.load()
			if err != nil {
				return err
			}
			wopt, err := w.options(set)
			if err != nil {
				return err
			}
			progress := isTerminal(os.Stderr)
			extra := func() inventory.Inventory {
				var inv inventory.Inventory
				for _, p := range args {
					inv.Merge(analyzeFile(cmd.Context(), p, wopt, progress))
				}
				return inv
			}
			live := false
			r, err := engine.Run(cmd.Context(), engine.Options{Command: "pcap", Source: source.Live(), Signatures: set, Location: loc,
				FailOn: f.out.failOn, NoScanners: true, Kind: "capture", Extra: extra, Live: &live})
			if err != nil {
				return err
			}
			r.Scan.Inputs = args
			return f.out.write(cmd, r)
		},
	}
	f.add(cmd)
	w.add(cmd)
	return cmd
}

// analyzeFile reads one capture; a file that cannot be opened becomes a
// failed status, the other files go on.
func analyzeFile(ctx context.Context, path string, wopt wire.Options, progress bool) inventory.Inventory {
	fh, err := os.Open(path)
	if err != nil {
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{{Name: "capture " + path, Status: inventory.StatusFailed, Reason: err.Error()}}}
	}
	defer fh.Close()
	if pp := newProgress(fh, path, progress); pp != nil {
		wopt.Progress = pp.update
		defer pp.done()
	}
	rep, err := wire.Analyze(ctx, fh, path, wopt)
	if rep == nil {
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{{Name: "capture " + path, Status: inventory.StatusFailed, Reason: err.Error()}}}
	}
	return wireinv.FromReport(rep, err)
}

func newCaptureCmd() *cobra.Command {
	var f scanFlags
	var w wireFlags
	var opts capture.Options
	cmd := &cobra.Command{
		Use:   "capture",
		Short: "Capture live traffic for a while and find remote-access sessions in it",
		Long: `Capture packets on an interface for --duration, optionally writing them
to a pcap file, and judge them like 'ratwatch pcap'. 'ratwatch scan --capture D'
does the same alongside a scan and ties flows to processes through the socket
table. Incoming means this machine was controlled: its own interface addresses
are the capturing host (--local-ip overrides them).

Linux: needs root or CAP_NET_RAW. Windows: needs Npcap (https://npcap.com),
loaded at run time, and administrator rights if Npcap is restricted to
administrators; the interface is Npcap's device name (\Device\NPF_{...}), its
GUID or the connection name ("Ethernet", "Wi-Fi"). macOS: needs root
(/dev/bpf*). An unknown interface name lists the devices.`,
		Example: `  ratwatch capture --iface eth0 --duration 2m --write evidence.pcap`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, loc, err := f.load()
			if err != nil {
				return err
			}
			wopt, err := w.options(set)
			if err != nil {
				return err
			}
			if opts.Duration <= 0 {
				return errors.New("--duration must be positive")
			}
			var capErr error
			extra := func() inventory.Inventory {
				rep, _, err := capture.Analyze(cmd.Context(), opts, wopt)
				if rep == nil {
					capErr = err
					return inventory.Inventory{}
				}
				return wireinv.FromReport(rep, err)
			}
			live := false
			r, err := engine.Run(cmd.Context(), engine.Options{Command: "capture", Source: source.Live(), Signatures: set, Location: loc,
				FailOn: f.out.failOn, NoScanners: true, Kind: "capture", Extra: extra, Live: &live})
			if capErr != nil {
				return capErr // "capture on IF: …", "capture: …"
			}
			if err != nil {
				return err
			}
			return f.out.write(cmd, r)
		},
	}
	f.add(cmd)
	w.add(cmd)
	cmd.Flags().StringVar(&opts.Interface, "iface", "", "interface to capture on (eth0, Ethernet, en0, lo…; default: the default route's)")
	cmd.Flags().DurationVar(&opts.Duration, "duration", 30*time.Second, "how long to capture")
	cmd.Flags().StringVar(&opts.WritePath, "write", "", "also write the packets to this pcap file")
	return cmd
}

// captureAlongside starts a capture for d and returns a function that waits
// for it and returns its inventory.
func captureAlongside(ctx context.Context, d time.Duration, iface, write string, wopt wire.Options) func() inventory.Inventory {
	ch := make(chan inventory.Inventory, 1)
	go func() {
		rep, _, err := capture.Analyze(ctx, capture.Options{Interface: iface, Duration: d, WritePath: write}, wopt)
		if rep == nil {
			ch <- inventory.Inventory{Statuses: []inventory.ScannerStatus{{Name: "capture", Status: inventory.StatusFailed, Reason: err.Error()}}}
			return
		}
		ch <- wireinv.FromReport(rep, err)
	}()
	return func() inventory.Inventory { return <-ch }
}
