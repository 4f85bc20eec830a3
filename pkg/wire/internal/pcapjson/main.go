// Command pcapjson runs wire.Analyze on capture files and prints the reports.
// It stands in for `ratwatch pcap` in scripts/compare-pcap until the CLI has
// that command.
//
//	go run ./pkg/wire/internal/pcapjson [-o json|text] [-local IP,...] FILE...
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/wire"
)

func main() {
	out := flag.String("o", "text", "output: json or text")
	local := flag.String("local", "", "comma-separated addresses of the capturing host")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var opts wire.Options
	for _, s := range strings.Split(*local, ",") {
		if s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts.LocalIPs = append(opts.LocalIPs, a)
	}
	status := 0
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			status = 1
			continue
		}
		rep, err := wire.Analyze(context.Background(), f, name, opts)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			status = 1
		}
		if *out == "json" {
			if err := rep.WriteJSON(os.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, err)
				status = 1
			}
			continue
		}
		printText(rep)
	}
	if status != 0 {
		pprof.StopCPUProfile()
		os.Exit(status)
	}
}

func printText(r *wire.Report) {
	fmt.Printf("== %s (%s) packets=%d flows=%d local=%v (%s)\n", r.Name, r.Format, r.Stats.Packets, r.Stats.Flows, r.Local, r.LocalBy)
	for _, f := range r.Flows {
		if f.Tool == "" && f.Protocol == "" {
			continue
		}
		fmt.Printf("  #%d %s %s -> %s proto=%s tool=%s by=%s role=%s verdict=%s controlled=%s input=%v bytes=%d/%d seq=%d/%d pkts=%d/%d dur=%s\n     why: %s\n",
			f.ID, f.Proto, f.Client, f.Server, f.Protocol, f.Tool, f.By, f.Role, f.Verdict, f.Controlled, f.Input,
			f.Bytes[0], f.Bytes[1], f.SeqBytes[0], f.SeqBytes[1], f.Packets[0], f.Packets[1], f.Duration(), f.Why)
		if f.TLS != nil {
			fmt.Printf("     tls: %+v\n", *f.TLS)
		}
		if f.RDP != nil {
			fmt.Printf("     rdp: %+v\n", *f.RDP)
		}
		if f.RFB != nil {
			fmt.Printf("     rfb: %+v\n", *f.RFB)
		}
		if f.TeamViewer != nil {
			fmt.Printf("     tv: %v\n", f.TeamViewer.Commands)
		}
	}
	for _, t := range r.Tools {
		fmt.Printf("  TOOL %s verdict=%s direction=%s sessions=%d attempts=%d idle=%d names=%v\n", t.Tool, t.Verdict, t.Direction, t.Sessions, t.Attempts, t.Idle, t.Names)
	}
	for _, rec := range r.Records {
		fmt.Printf("  REC %s %s %s remote=%s:%d ev=%d\n", rec.Tool, rec.Outcome, rec.Direction, rec.RemoteIP, rec.RemotePort, len(rec.Evidence))
	}
	if r.Error != "" {
		fmt.Printf("  ERROR %s\n", r.Error)
	}
}
