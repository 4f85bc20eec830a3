package eventlog

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/Velocidex/ordereddict"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"www.velocidex.com/golang/evtx"
)

// The largest EVTX sample (1 187 840 bytes = 1.13 MiB; 789 records in 10
// written chunks, the other 8 unused).
const benchSample = "rdp/velociraptor_RDPAuth_Security.evtx"

func benchData(b *testing.B) []byte {
	data, err := os.ReadFile(sample(b, benchSample))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParseEVTX: the whole parser (chunk streaming, record conversion,
// classification, joining) on the largest sample.
func BenchmarkParseEVTX(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	records := 0
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := New().Parse(sessionlog.Input{Path: "s.evtx", R: bytes.NewReader(data)})
		if err != nil || len(res.Sessions) != 1 {
			b.Fatal(err, len(res.Sessions))
		}
		records += res.Lines
	}
	report(b, len(data), records, cpuTime()-cpu0)
}

// BenchmarkLibraryIterate: the library alone, as its own dumpevtx tool
// iterates a file (GetChunks + Chunk.Parse, records' Event dicts touched),
// on the same file — the reference speed.
func BenchmarkLibraryIterate(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	records := 0
	cpu0 := cpuTime()
	for b.Loop() {
		chunks, err := evtx.GetChunks(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range chunks {
			recs, err := c.Parse(0)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range recs {
				if d, ok := r.Event.(*ordereddict.Dict); ok {
					if _, ok := ordereddict.GetMap(d, "Event"); ok {
						records++
					}
				}
			}
		}
	}
	report(b, len(data), records, cpuTime()-cpu0)
}

// report adds records/s (wall clock) and, where the OS gives process CPU
// time, cpu-MB/s and cpu-records/s (per second of CPU used, GC included).
func report(b *testing.B, size, records int, cpu time.Duration) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		n := float64(b.N)
		b.ReportMetric(float64(size)*n/1e6/cpu.Seconds(), "cpu-MB/s")
		b.ReportMetric(float64(records)/cpu.Seconds(), "cpu-records/s")
	}
}
