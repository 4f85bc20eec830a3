package teamviewer

import (
	"bytes"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

func fuzzOne(t *testing.T, p sessionlog.Parser, data []byte) {
	res, err := p.Parse(sessionlog.Input{Path: "f", R: bytes.NewReader(data)})
	if err != nil {
		return
	}
	for _, r := range res.Sessions {
		if r.Tool != "teamviewer" || r.Parser != p.Name() || len(r.Evidence) == 0 {
			t.Fatalf("bad record %+v", r)
		}
		for _, e := range r.Evidence {
			if e.Line <= 0 || e.Line > res.Lines || e.Offset < 0 || int(e.Offset) > len(data) {
				t.Fatalf("evidence out of range %+v (lines %d, size %d)", e, res.Lines, len(data))
			}
		}
	}
}

// seed adds the sample's header and session lines (every line a trigger
// matches) in chunks of at most 1 KiB: small seeds keep each exec and the
// fuzzer's minimisation fast.
func seed(f *testing.F) {
	lg := readSample(f, "plaso_TeamViewer15_Logfile.log")
	var cur []byte
	for _, l := range bytes.SplitAfter(lg, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("Start:")) && !anyTrigger(l) {
			continue
		}
		if len(l) > 400 {
			l = l[:400]
		}
		if len(cur)+len(l) > 1024 {
			f.Add(cur)
			cur = nil
		}
		cur = append(cur, l...)
	}
	f.Add(cur)
	f.Add(readSample(f, "plaso_connections_incoming.txt"))
	f.Add(readSample(f, "plaso_Connections.txt"))
	f.Add([]byte(documentedLog))
	f.Add([]byte("Start: (UTC+99:99)\n"))
}

func FuzzParse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, Log{}, data) })
}

func FuzzConnectionsIncoming(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, ConnectionsIncoming{}, data) })
}

func FuzzConnections(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, Connections{}, data) })
}

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

// BenchmarkParseLog: the real TV15 log (one session per copy) repeated to ≥ 50 MB.
func BenchmarkParseLog(b *testing.B) {
	benchParse(b, Log{}, readSample(b, "plaso_TeamViewer15_Logfile.log"))
}

// BenchmarkParseConnectionsIncoming: the real row repeated (every line is a session).
func BenchmarkParseConnectionsIncoming(b *testing.B) {
	benchParse(b, ConnectionsIncoming{}, append(readSample(b, "plaso_connections_incoming.txt"), '\n'))
}
