package wire

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/wire/internal/benchgen"
)

// reportJSON analyses one file, memory-mapped (viaFile) or as a plain
// stream, and returns the JSON report and the error text.
func reportJSON(t *testing.T, path string, opts Options, viaFile bool) (string, string) {
	t.Helper()
	var rep *Report
	var err error
	if viaFile {
		f, ferr := os.Open(path)
		if ferr != nil {
			t.Fatal(ferr)
		}
		rep, err = Analyze(context.Background(), f, path, opts)
		f.Close()
	} else {
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		rep, err = Analyze(context.Background(), bytes.NewReader(data), path, opts)
	}
	var buf bytes.Buffer
	if werr := rep.WriteJSON(&buf); werr != nil {
		t.Fatal(werr)
	}
	es := ""
	if err != nil {
		es = err.Error()
	}
	return buf.String(), es
}

// TestMappedMatchesStream: a capture file read through the memory map by
// the two-goroutine pipeline gives exactly the report of the same bytes
// read as a stream by one goroutine, on every shared capture, on a 40 MB
// capture built from them (many map windows, hundreds of batches) and on
// that capture cut mid-record. Progress is reported up to the file size.
func TestMappedMatchesStream(t *testing.T) {
	dir := pcapDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	sigs := fixtureSignatures(t)
	big, n := buildCapture(t, 40<<20)
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	data, _ := os.ReadFile(big)
	if err := os.WriteFile(cut, data[:n*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	before := pipelinedReads.Load()
	all := append(files, big, cut)
	for _, p := range all {
		var last int64
		mapped, merr := reportJSON(t, p, Options{Signatures: sigs, Progress: func(n int64) { last = n }}, true)
		stream, serr := reportJSON(t, p, Options{Signatures: sigs}, false)
		if mapped != stream || merr != serr {
			t.Fatalf("%s: mapped and streamed reports differ (errors %q / %q)", filepath.Base(p), merr, serr)
		}
		if p == cut && merr == "" {
			t.Fatal("the cut capture gave no error")
		}
		st, _ := os.Stat(p)
		if p == big && last != st.Size() {
			t.Fatalf("progress ended at %d of %d bytes", last, st.Size())
		}
	}
	if got := pipelinedReads.Load() - before; runtime.GOMAXPROCS(0) > 1 && got != int64(len(all)) {
		t.Fatalf("%d of %d mapped reads were pipelined", got, len(all))
	}
}

// TestPipelineCancel: cancelling in the middle of a pipelined read stops
// both goroutines and returns the partial report with the context error.
func TestPipelineCancel(t *testing.T) {
	big, n := buildCapture(t, 20<<20)
	f, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last int64
	rep, err := Analyze(ctx, f, big, Options{Signatures: fixtureSignatures(t), Progress: func(off int64) {
		last = off
		if off > n/3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Stats.Packets == 0 {
		t.Fatalf("err %v, report %v", err, rep != nil)
	}
	if last >= n {
		t.Fatalf("read to the end (%d of %d) despite the cancel", last, n)
	}
}

// TestTruncatedWhileReading: a capture truncated by someone else after it
// was opened and mapped gives an error naming the offset, not a crash, and
// the report of what was read before.
func TestTruncatedWhileReading(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory-mapped reading is checked on Linux")
	}
	big, n := buildCapture(t, 20<<20)
	for _, pipelined := range []bool{true, false} {
		usePipeline = pipelined
		f, err := os.Open(big)
		if err != nil {
			t.Fatal(err)
		}
		truncated := false
		rep, err := Analyze(context.Background(), f, big, Options{Signatures: fixtureSignatures(t), Progress: func(off int64) {
			if !truncated && off > n/4 {
				truncated = true
				if err := os.Truncate(big, 4096); err != nil {
					t.Error(err)
				}
			}
		}})
		f.Close()
		usePipeline = true
		if !truncated {
			t.Fatal("the file was never truncated")
		}
		if err == nil || !strings.Contains(err.Error(), "changed while it was read") || rep == nil || rep.Stats.Packets == 0 {
			t.Fatalf("pipelined %v: err %v, report with %d packets", pipelined, err, rep.Stats.Packets)
		}
		big, n = buildCapture(t, 20<<20) // a whole file for the next round
	}
}

// buildCapture writes a capture of at least size bytes made of the shared
// ones (benchgen) and returns its path and exact size.
func buildCapture(t *testing.T, size int64) (string, int64) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(pcapDir(t), "*", "*.pcap*"))
	p := filepath.Join(t.TempDir(), "big.pcap")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := benchgen.Build(out, files, size)
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	return p, n
}
