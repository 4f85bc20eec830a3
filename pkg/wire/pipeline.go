package wire

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// A memory-mapped capture is read by two goroutines when a second core is
// there: the first walks the records and decodes the headers, the
// analyzer's own goroutine tracks flows from the decoded packets, in packet
// order. Walking the file is bound by memory latency (each record header
// gives the next one's offset), so taking it off the flow tracker's core is
// worth ~1.4× on a 1 GB capture.
//
// The ring between the stages is deep on purpose: with a shallow one
// (a few batches) every hand-over read lines the other core had just
// written and the pipeline was slower than one goroutine. The report is
// the same as the serial loop's (TestMappedMatchesStream compares them).
var (
	// pipelineBatch packets are handed over at a time.
	pipelineBatch = 512
	// pipelineSpan ends a batch early once it covers this much of the file,
	// so the file in flight (and the map windows kept for it) stays under
	// pipelineRing × pipelineSpan = 16 MB even with jumbo frames.
	pipelineSpan = int64(512 << 10)
	// pipelineRing batches may be in flight.
	pipelineRing = 32
	// usePipeline can be turned off by tests and benchmarks.
	usePipeline = true
)

// pipelinedReads counts pipelined reads (tests check the path was taken).
var pipelinedReads atomic.Int64

// decodedPacket is one frame after the first stage.
type decodedPacket struct {
	pi  PacketInfo
	n   int   // frame length
	err error // decoder result
	p   decode.Packet
}

type pipeBatch struct {
	pkts []decodedPacket
	end  int64 // file offset after the batch's last record
	err  error // read error (io.EOF at the clean end) after the batch
}

// canPipeline reports whether pr can be read by two goroutines.
func canPipeline(pr *pcapfile.Reader) bool {
	return usePipeline && runtime.GOMAXPROCS(0) > 1 && pr.Pin()
}

// readPipelined reads pr (pinned) with the two-stage pipeline.
func (a *Analyzer) readPipelined(ctx context.Context, pr *pcapfile.Reader) (err error) {
	pipelinedReads.Add(1)
	ring := make([]pipeBatch, pipelineRing)
	free := make(chan int, pipelineRing)
	full := make(chan int, pipelineRing)
	for i := range ring {
		ring[i].pkts = make([]decodedPacket, 0, pipelineBatch)
		free <- i
	}
	stop := make(chan struct{})
	exited := make(chan struct{})
	var faultErr error // a memory fault in the first stage (guardMapped)
	// The first stage: read and decode.
	go func() {
		defer close(exited)
		defer close(full)
		defer guardMapped(pr, &faultErr)()
		dec := decode.NewDecoder()
		for {
			var i int
			select {
			case i = <-free:
			case <-stop:
				return
			}
			b := &ring[i]
			pk := b.pkts[:0]
			start := pr.Offset()
			err := ctx.Err()
			for err == nil && len(pk) < pipelineBatch && pr.Offset()-start < pipelineSpan {
				p, e := pr.Next()
				if e != nil {
					err = e
					break
				}
				pk = append(pk, decodedPacket{pi: PacketInfo{Time: p.Time, Index: p.Index, Offset: p.Offset}, n: len(p.Data)})
				d := &pk[len(pk)-1]
				d.err = dec.Decode(p.LinkType, p.Data, &d.p)
			}
			b.pkts, b.end, b.err = pk, pr.Offset(), err
			full <- i // never blocks: at most pipelineRing indexes exist
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		// End the first stage and wait for it: the caller closes the reader.
		close(stop)
		<-exited
		if faultErr != nil && err == nil { // full was closed without a final batch
			err = faultErr
		}
	}()
	for i := range full {
		b := &ring[i]
		for j := range b.pkts {
			d := &b.pkts[j]
			a.decoded(&d.pi, d.n, &d.p, d.err)
		}
		clear(b.pkts) // no payload references into windows about to go
		pr.Release(b.end)
		a.progress(b.end)
		err := b.err
		free <- i
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return nil
}
