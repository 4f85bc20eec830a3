package wire

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// TestMappedMatchesStream: a capture file read through the memory map gives
// exactly the report of the same bytes read as a stream, on every shared
// capture, on a 40 MB capture built from them (many map windows) and on
// that capture cut mid-record. Progress is reported up to the file size.
func TestMappedMatchesStream(t *testing.T) {
	dir := pcapDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	sigs := fixtureSignatures(t)
	big := filepath.Join(t.TempDir(), "big.pcap")
	out, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := benchgen.Build(out, files, 40<<20)
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	data, _ := os.ReadFile(big)
	if err := os.WriteFile(cut, data[:n*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(files, big, cut) {
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
}
