package cli

import (
	"fmt"
	"os"
	"time"
)

// progressPrinter shows how far through a large capture the analysis is, at
// most every half second, on standard error (only on a terminal). It is fed
// by wire.Options.Progress, so the file itself is handed to the analyzer
// untouched (and can be memory-mapped).
type progressPrinter struct {
	name  string
	size  int64
	last  time.Time
	shown bool
}

// newProgress returns nil when no progress should be shown: off, or a file
// under 64 MB.
func newProgress(f *os.File, name string, on bool) *progressPrinter {
	st, err := f.Stat()
	if !on || err != nil || st.Size() < 64<<20 {
		return nil
	}
	return &progressPrinter{name: name, size: st.Size()}
}

// update is the wire.Options.Progress callback.
func (p *progressPrinter) update(n int64) {
	if time.Since(p.last) < 500*time.Millisecond && n < p.size {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(os.Stderr, "\r%s: %5.1f%% (%d / %d MB)", p.name, 100*float64(n)/float64(p.size), n>>20, p.size>>20)
	p.shown = true
}

// done ends the progress line.
func (p *progressPrinter) done() {
	if p != nil && p.shown {
		fmt.Fprintln(os.Stderr)
	}
}
