// Command benchscan compares a full `ratwatch scan` with the shell trio that
// gathers the same facts (ps, ss, dpkg-query): median wall time of N runs
// each, the ratio, and ratwatch's peak RSS. With -logs FILE it instead times
// `ratwatch logs -o json|ndjson|ecs|table --file` end to end on a large log (parse,
// join, verdict, encoding). Run through scripts/bench.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "./ratwatch", "ratwatch binary")
	n := flag.Int("n", 7, "runs per side (median taken)")
	logs := flag.String("logs", "", "time `ratwatch logs` on this file instead of comparing scans")
	flag.Parse()
	if *logs != "" {
		benchLogs(*bin, *logs, *n)
		return
	}
	trio := [][]string{
		{"ps", "-eo", "pid,ppid,user,lstart,args"},
		{"ss", "-tanp"},
		{"dpkg-query", "-W"},
	}
	for _, c := range trio {
		if _, err := exec.LookPath(c[0]); err != nil {
			fmt.Fprintf(os.Stderr, "benchscan: %s not found\n", c[0])
			os.Exit(1)
		}
	}
	// Warm both sides once (page cache), then measure alternately.
	run([]string{*bin, "scan", "-o", "json"})
	for _, c := range trio {
		run(c)
	}
	var rw, tr []time.Duration
	var peak int64
	for i := 0; i < *n; i++ {
		d, rss := run([]string{*bin, "scan", "-o", "json"})
		rw = append(rw, d)
		if rss > peak {
			peak = rss
		}
		var t time.Duration
		for _, c := range trio {
			d, _ := run(c)
			t += d
		}
		tr = append(tr, t)
	}
	mr, mt := median(rw), median(tr)
	fmt.Printf("ratwatch scan      median %8.1f ms  (runs %v)\n", ms(mr), list(rw))
	fmt.Printf("ps + ss + dpkg-q   median %8.1f ms  (runs %v)\n", ms(mt), list(tr))
	fmt.Printf("ratio ratwatch/trio = %.2fx (target <= 1.00x)\n", float64(mr)/float64(mt))
	fmt.Printf("ratwatch peak RSS   = %.1f MB (target < 50 MB)\n", float64(peak)/1024)
}

// benchLogs times `ratwatch logs` on one large file for each line format.
func benchLogs(bin, path string, n int) {
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscan:", err)
		os.Exit(1)
	}
	out, err := os.MkdirTemp("", "benchlogs")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscan:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(out)
	for _, format := range []string{"json", "ndjson", "ecs", "table"} {
		dst := out + "/report." + format
		var ds []time.Duration
		var peak int64
		for i := 0; i < n; i++ {
			d, rss, code := runCode([]string{bin, "logs", "-o", format, "--file", dst, path})
			if code != 0 && code != 2 && code != 3 { // 2, 3: tool found, session established
				fmt.Fprintf(os.Stderr, "benchscan: ratwatch logs -o %s exited %d\n", format, code)
				os.Exit(1)
			}
			ds = append(ds, d)
			peak = max(peak, rss)
		}
		size := int64(0)
		if st, err := os.Stat(dst); err == nil {
			size = st.Size()
		}
		fmt.Printf("ratwatch logs -o %-6s %.0f MB in: median %7.1f ms (runs %v), %.0f MB/s, report %.0f MB, peak RSS %.0f MB\n",
			format, float64(st.Size())/1e6, ms(median(ds)), list(ds), float64(st.Size())/1e6/median(ds).Seconds(), float64(size)/1e6, float64(peak)/1024)
	}
}

// run executes a command with output discarded; returns wall time and max RSS (KiB).
func run(argv []string) (time.Duration, int64) {
	d, rss, _ := runCode(argv) // ratwatch exits 2/3 when it finds tools: not an error here
	return d, rss
}

// runCode is run with the exit code (-1 when the command did not run).
func runCode(argv []string) (time.Duration, int64, int) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = nil, nil
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintf(os.Stderr, "benchscan: %s: %v\n", argv[0], err)
		return d, 0, -1
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return d, rss, cmd.ProcessState.ExitCode()
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func list(ds []time.Duration) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.0f", ms(d)))
	}
	return out
}
