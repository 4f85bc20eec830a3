package anydesk

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// filled streams filler repeated until at least size bytes, then tail;
// every 128 MB it samples the heap in use and keeps the peak.
type filled struct {
	filler, tail []byte
	size, n      int64
	copies       int
	next         int64
	peak         uint64
	pos          int // in the current filler copy
	inTail       bool
}

func (f *filled) Read(p []byte) (int, error) {
	if f.n >= f.next {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		f.peak = max(f.peak, ms.HeapInuse)
		f.next += 128 << 20
	}
	if f.inTail {
		if f.pos >= len(f.tail) {
			return 0, io.EOF
		}
		k := copy(p, f.tail[f.pos:])
		f.pos += k
		f.n += int64(k)
		return k, nil
	}
	k := copy(p, f.filler[f.pos:])
	f.pos += k
	f.n += int64(k)
	if f.pos == len(f.filler) {
		f.pos = 0
		f.copies++
		if f.n >= f.size {
			f.inTail = true
		}
	}
	return k, nil
}

// TestTwoGBTraceConstantMemory: 2 GB of the real service trace's lines
// before its first session (lines 1–358: start-up, relay and network
// lines), repeated, then the whole real trace. The heap in use stays under
// 64 MB all the way, and the trace's nine sessions (serviceWant, read from
// the sample by hand) come out exactly, the established one's
// authentication at line 965 counted after every filler line.
func TestTwoGBTraceConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 GB")
	}
	sample := readSample(t, "artemis_linux_anydesk_var_log.trace")
	lines := bytes.SplitAfter(sample, []byte("\n"))
	filler := bytes.Join(lines[:358], nil)
	if bytes.Contains(filler, []byte("Accept request")) || !bytes.Contains(lines[358], []byte("Accept request from 1001025310")) {
		t.Fatal("fixture: line 359 is not the first session's")
	}
	in := &filled{filler: filler, tail: sample, size: 2 << 30}
	runtime.GC()
	res, err := Trace{}.Parse(sessionlog.Input{Path: "/var/log/anydesk.trace", R: in})
	if err != nil {
		t.Fatal(err)
	}
	if in.n < 2<<30 || !in.inTail || in.pos != len(sample) {
		t.Fatalf("fixture: streamed %d bytes", in.n)
	}
	check(t, "2 GB service trace", res.Sessions, serviceWant)
	fillerLines := in.copies * 358
	if res.Lines != fillerLines+2098 {
		t.Errorf("lines %d, want %d", res.Lines, fillerLines+2098)
	}
	found := false
	for _, e := range res.Sessions[8].Evidence {
		if e.Line == fillerLines+965 {
			found = e.Offset == in.n-int64(len(sample))+int64(bytes.Index(sample, []byte(e.Raw[:40])))
		}
	}
	if !found {
		t.Errorf("no evidence at line %d with its offset", fillerLines+965)
	}
	t.Logf("%d MB read, %d filler copies, peak heap in use %.1f MB", in.n>>20, in.copies, float64(in.peak)/(1<<20))
	if in.peak > 64<<20 {
		t.Errorf("peak heap in use %.1f MB while reading 2 GB, want < 64 MB", float64(in.peak)/(1<<20))
	}
}
