package teamviewer

import (
	"bytes"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
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

// BenchmarkFloorConnectionsIncoming measures two costs no parser of this
// input can avoid, on the same input as BenchmarkParseConnectionsIncoming
// (MB/s of that input): reading its lines (lineio, nothing else), and
// making the one record per row the report needs — a session.Record with
// its evidence and two times, the fields buildConn sets, from constant
// strings (nothing parsed, no notes: a lower bound). At 300 MB/s the whole
// parse has 1/300 s per MB; these two alone take the share they print.
// ns/record is the cost of one record, whatever the format: a log with a
// session every B bytes cannot parse faster than B bytes per that many ns.
func BenchmarkFloorConnectionsIncoming(b *testing.B) {
	big := bigInput(append(readSample(b, "plaso_connections_incoming.txt"), '\n'))
	rows := bytes.Count(big, []byte("\t\n")) // the sample's row ends in a tab
	b.Run("read-lines", func(b *testing.B) {
		b.SetBytes(int64(len(big)))
		for b.Loop() {
			rd := lineio.NewReader(bytes.NewReader(big))
			for rd.Next() {
			}
		}
	})
	b.Run("make-records", func(b *testing.B) {
		b.SetBytes(int64(len(big)))
		b.ReportAllocs()
		t0 := time.Date(2024, 2, 16, 14, 16, 32, 0, time.UTC)
		for b.Loop() {
			recs := make([]session.Record, rows)
			evs := make([]evidence.Evidence, rows)
			times := make([]time.Time, 2*rows)
			for i := range recs {
				times[2*i], times[2*i+1] = t0, t0
				r := &recs[i]
				r.Tool, r.Parser, r.Direction, r.Outcome = tool, "p", session.Incoming, session.Established
				r.Start, r.End, r.TimeRule = &times[2*i], &times[2*i+1], "rule"
				r.RemoteID, r.RemoteName, r.LocalUser, r.Key, r.Duration = "id", "name", "user", "key", "2m4s"
				e := &evs[i]
				e.Kind, e.Scanner, e.Summary, e.Path = evidence.KindLogLine, "p", "row", "bench"
				e.Line, e.Offset, e.Raw, e.Time = i+1, int64(i)*130, "raw", r.Start
				r.Evidence = evs[i : i+1 : i+1]
			}
			benchSink = recs
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/record")
	})
}

var benchSink []session.Record
