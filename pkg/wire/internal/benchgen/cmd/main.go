// Command benchgen writes a large benchmark capture (see package benchgen).
//
//	go run ./pkg/wire/internal/benchgen/cmd -o big.pcap -size 1073741824 CAPTURE...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ratwatch/ratwatch/pkg/wire/internal/benchgen"
)

func main() {
	out := flag.String("o", "", "output file")
	size := flag.Int64("size", 1<<30, "minimum size in bytes")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchgen -o FILE [-size BYTES] CAPTURE...")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, pkts, err := benchgen.Build(f, flag.Args(), *size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes, %d packets\n", *out, n, pkts)
}
