package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// read feeds every packet of pr to the analyzer: pipelined over two
// goroutines when it can (pipeline.go), else in this loop.
func (a *Analyzer) read(ctx context.Context, pr *pcapfile.Reader) (err error) {
	defer guardMapped(pr, &err)()
	if canPipeline(pr) {
		return a.readPipelined(ctx, pr)
	}
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			a.progress(pr.Offset())
		}
		p, err := pr.Next()
		if err != nil {
			a.progress(pr.Offset())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		a.Packet(p.LinkType, PacketInfo{Time: p.Time, Index: p.Index, Offset: p.Offset}, p.Data)
	}
}

// progress reports how far the read is, for Options.Progress.
func (a *Analyzer) progress(off int64) {
	if a.opts.Progress != nil {
		a.opts.Progress(off)
	}
}

// guardMapped turns a memory fault while reading a mapped capture (the file
// was truncated by someone else after it was mapped) into an error naming
// the offset, instead of a crash. Call as defer guardMapped(pr, &err)().
func guardMapped(pr *pcapfile.Reader, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if f, ok := r.(interface{ Addr() uintptr }); ok {
				*err = &pcapfile.Error{Offset: pr.Offset(), Msg: fmt.Sprintf("the capture file changed while it was read (truncated after it was opened?): memory fault at %#x", f.Addr())}
				return
			}
			panic(r)
		}
	}
}
