package cli

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressReader prints how far through a large file the read is, at most
// every half second, on standard error (only on a terminal).
type progressReader struct {
	r     io.Reader
	name  string
	size  int64
	n     int64
	last  time.Time
	shown bool
}

func readerWithProgress(f *os.File, name string, on bool) io.Reader {
	st, err := f.Stat()
	if !on || err != nil || st.Size() < 64<<20 {
		return f
	}
	return &progressReader{r: f, name: name, size: st.Size()}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if time.Since(p.last) > 500*time.Millisecond || err == io.EOF {
		p.last = time.Now()
		fmt.Fprintf(os.Stderr, "\r%s: %5.1f%% (%d / %d MB)", p.name, 100*float64(p.n)/float64(p.size), p.n>>20, p.size>>20)
		p.shown = true
	}
	if err == io.EOF && p.shown {
		fmt.Fprintln(os.Stderr)
	}
	return n, err
}
