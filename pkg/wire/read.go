package wire

import (
	"context"
	"errors"
	"io"

	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// read feeds every packet of pr to the analyzer: pipelined over two
// goroutines when it can (pipeline.go), else in this loop.
func (a *Analyzer) read(ctx context.Context, pr *pcapfile.Reader) error {
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
