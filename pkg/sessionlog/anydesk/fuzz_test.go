package anydesk

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// fuzzOne parses data and checks the invariants every result must keep.
func fuzzOne(t *testing.T, p sessionlog.Parser, data []byte) {
	res, err := p.Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data)})
	if err != nil {
		return
	}
	for _, r := range res.Sessions {
		if r.Tool != "anydesk" || r.Parser != p.Name() || len(r.Evidence) == 0 {
			t.Fatalf("bad record %+v", r)
		}
		if r.Start != nil && r.End != nil && !r.End.Before(*r.Start) && r.Duration == "" {
			t.Fatalf("no duration %+v", r)
		}
		for _, e := range r.Evidence {
			if e.Line <= 0 || e.Line > res.Lines || e.Offset < 0 || int(e.Offset) > len(data) {
				t.Fatalf("evidence out of range %+v (lines %d, size %d)", e, res.Lines, len(data))
			}
		}
	}
}

// sessionLines keeps the sample lines of the components the parser reads
// (plus NUL padding runs), in order, cut into chunks of at most 1 KiB: small
// seeds keep each exec and the fuzzer's minimisation fast.
func sessionLines(b []byte) [][]byte {
	var out [][]byte
	var cur []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		keep := bytes.IndexByte(l, 0) >= 0
		for _, c := range []string{"any_socket - ", "app.service - ", "app.session - ", "_session - ", "unix_app.frontend - ",
			"app.prepare_task - ", "app.local_file_transfer - ", "clip", "* AnyDesk"} {
			if bytes.Contains(l, []byte(c)) {
				keep = true
			}
		}
		if !keep {
			continue
		}
		if len(l) > 512 {
			l = l[:512]
		}
		if len(cur)+len(l) > 1024 {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, l...)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func seedSamples(f *testing.F) {
	dir := sampleDir(f, "anydesk")
	for _, n := range []string{"artemis_linux_anydesk.trace", "artemis_linux_anydesk_var_log.trace"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range sessionLines(b) {
			f.Add(c)
		}
	}
	f.Add([]byte(portableTrace))
	f.Add(utf16le(connTrace, false))
	f.Add(utf16le(connTrace, true))
	f.Add(utf16le("Clipboard\t\t2025-01-01, 13:37\tstart \tdownload\t'malware.exe' (~0 B out of 4.20 MiB)\r\n", false))
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x00\n\n"))
}

func FuzzParse(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, Trace{}, data) })
}

func FuzzConnectionTrace(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, ConnectionTrace{}, data) })
}

func FuzzFileTransfer(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, FileTransfer{}, data) })
}

// bigInput repeats data to at least 50 MB.
func bigInput(data []byte) []byte {
	var buf bytes.Buffer
	for buf.Len() < 50<<20 {
		buf.Write(data)
	}
	return buf.Bytes()
}

func benchParse(b *testing.B, p sessionlog.Parser, data []byte) {
	big := bigInput(data)
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Parse(sessionlog.Input{Path: "bench", R: bytes.NewReader(big)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTrace: the real service trace (NUL padding, 9 sessions per
// copy) repeated to ≥ 50 MB.
func BenchmarkParseTrace(b *testing.B) {
	benchParse(b, Trace{}, readSample(b, "artemis_linux_anydesk_var_log.trace"))
}

// BenchmarkParseUserTrace: the real user trace repeated.
func BenchmarkParseUserTrace(b *testing.B) {
	benchParse(b, Trace{}, readSample(b, "artemis_linux_anydesk.trace"))
}

// BenchmarkParseConnectionTrace: documented rows (UTF-8; UTF-16 decoding is
// lineio's cost) repeated.
func BenchmarkParseConnectionTrace(b *testing.B) {
	benchParse(b, ConnectionTrace{}, []byte(connTrace))
}
