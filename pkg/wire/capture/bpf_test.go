package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// bpfRec is one record to lay out as the kernel does.
type bpfRec struct {
	sec, usec int64
	datalen   int // 0: len(data)
	hdrlen    int // 0: the header padded so the packet is aligned (as the kernel does for Ethernet)
	data      []byte
	pad       bool // pad after the packet to the alignment (the kernel leaves the last one short)
}

// buildBPF lays records out as one read(2) from /dev/bpf returns them:
// struct bpf_hdr (native byte order), padding to bh_hdrlen, the packet, then
// BPF_WORDALIGN padding before the next record (filled with 0xEE so a parser
// that reads it as data is caught).
func buildBPF(l bpfLayout, recs []bpfRec) []byte {
	ne := binary.NativeEndian
	var buf []byte
	for _, r := range recs {
		hdrlen := r.hdrlen
		if hdrlen == 0 {
			hdrlen = l.wordAlign(l.minHdr()+14) - 14
		}
		h := make([]byte, hdrlen)
		put := func(off, size int, v int64) {
			if size == 8 {
				ne.PutUint64(h[off:], uint64(v))
			} else {
				ne.PutUint32(h[off:], uint32(v))
			}
		}
		put(0, l.secSize, r.sec)
		put(l.usecOff, l.usecSize, r.usec)
		dl := r.datalen
		if dl == 0 {
			dl = len(r.data)
		}
		ne.PutUint32(h[l.caplenOff:], uint32(len(r.data)))
		ne.PutUint32(h[l.datalenOff:], uint32(dl))
		ne.PutUint16(h[l.hdrlenOff:], uint16(hdrlen))
		for i := l.minHdr(); i < hdrlen; i++ {
			h[i] = 0xEE
		}
		buf = append(buf, h...)
		buf = append(buf, r.data...)
		if r.pad {
			for len(buf)%l.align != 0 {
				buf = append(buf, 0xEE)
			}
		}
	}
	return buf
}

type gotPkt struct {
	t    time.Time
	data []byte
	orig int
}

func walkAll(l bpfLayout, buf []byte) ([]gotPkt, error) {
	var got []gotPkt
	err := l.walk(buf, func(t time.Time, data []byte, orig int) {
		got = append(got, gotPkt{t, bytes.Clone(data), orig})
	})
	return got, err
}

func frame(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

var layouts = []struct {
	name string
	l    bpfLayout
}{{"darwin", darwinBPF}, {"freebsd64", freebsd64BPF}}

// The hand-written layouts are golang.org/x/sys/unix's BpfHdr: darwin
// Timeval32 + caplen + datalen + hdrlen (size 20 with padding), FreeBSD
// amd64/arm64 Timeval (2×int64) + the same (size 32).
func TestBPFLayouts(t *testing.T) {
	if darwinBPF.minHdr() != 18 || darwinBPF.wordAlign(18+14)-14 != 18 || darwinBPF.wordAlign(18+4)-4 != 20 {
		t.Errorf("darwin: min %d", darwinBPF.minHdr())
	}
	if freebsd64BPF.minHdr() != 26 || freebsd64BPF.wordAlign(26+14)-14 != 26 {
		t.Errorf("freebsd64: min %d", freebsd64BPF.minHdr())
	}
}

func TestBPFWalkRecords(t *testing.T) {
	for _, lc := range layouts {
		t.Run(lc.name, func(t *testing.T) {
			l := lc.l
			// Odd packet lengths force padding between records; the second
			// record has a larger hdrlen (as for a 4-byte NULL header); the
			// third is cut by the snap length (datalen > caplen); the last
			// is not padded (the kernel does not count the final padding).
			recs := []bpfRec{
				{sec: 1700000000, usec: 1, data: frame(61, 0xA1), pad: true},
				{sec: 1700000001, usec: 999999, hdrlen: l.wordAlign(l.minHdr()+4) - 4 + l.align, data: frame(3, 0xB2), pad: true},
				{sec: 1700000002, usec: 500000, datalen: 1514, data: frame(96, 0xC3), pad: true},
				{sec: 1700000003, usec: 7, data: frame(1, 0xD4)},
			}
			buf := buildBPF(l, recs)
			got, err := walkAll(l, buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(recs) {
				t.Fatalf("%d records, want %d", len(got), len(recs))
			}
			for i, r := range recs {
				want := time.Unix(r.sec, r.usec*1000).UTC()
				orig := max(r.datalen, len(r.data))
				if !got[i].t.Equal(want) || !bytes.Equal(got[i].data, r.data) || got[i].orig != orig {
					t.Errorf("record %d: %v %d bytes (orig %d), want %v %d (orig %d)", i, got[i].t, len(got[i].data), got[i].orig, want, len(r.data), orig)
				}
			}
			// The last record padded too: same result.
			recs[3].pad = true
			got2, err := walkAll(l, buildBPF(l, recs))
			if err != nil || len(got2) != 4 {
				t.Fatalf("padded last record: %d records, %v", len(got2), err)
			}
		})
	}
}

func TestBPFWalkEmptyAndZeroLength(t *testing.T) {
	for _, lc := range layouts {
		got, err := walkAll(lc.l, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: empty read: %d records, %v", lc.name, len(got), err)
		}
		// A record with no captured bytes (caplen 0) is still a record.
		got, err = walkAll(lc.l, buildBPF(lc.l, []bpfRec{{sec: 5, datalen: 60, pad: true}, {sec: 6, data: frame(10, 1)}}))
		if err != nil || len(got) != 2 || len(got[0].data) != 0 || got[0].orig != 60 || len(got[1].data) != 10 {
			t.Errorf("%s: zero-length record: %+v, %v", lc.name, got, err)
		}
	}
}

func TestBPFWalkMalformed(t *testing.T) {
	for _, lc := range layouts {
		t.Run(lc.name, func(t *testing.T) {
			l := lc.l
			good := buildBPF(l, []bpfRec{{sec: 10, data: frame(60, 0xA1), pad: true}})
			second := buildBPF(l, []bpfRec{{sec: 11, data: frame(60, 0xB2)}})
			cases := []struct {
				name   string
				buf    []byte
				reason string
			}{
				{"truncated header", append(bytes.Clone(good), second[:l.minHdr()-1]...), "truncated header"},
				{"truncated packet", append(bytes.Clone(good), second[:len(second)-1]...), "left in the buffer"},
				{"caplen beyond buffer", func() []byte {
					b := bytes.Clone(second)
					binary.NativeEndian.PutUint32(b[l.caplenOff:], 1<<20)
					return append(bytes.Clone(good), b...)
				}(), "left in the buffer"},
				{"caplen 2^32-1", func() []byte {
					b := bytes.Clone(second)
					binary.NativeEndian.PutUint32(b[l.caplenOff:], 0xFFFFFFFF)
					return append(bytes.Clone(good), b...)
				}(), "left in the buffer"},
				{"hdrlen beyond buffer", func() []byte {
					b := bytes.Clone(second)
					binary.NativeEndian.PutUint16(b[l.hdrlenOff:], 0xFFFF)
					return append(bytes.Clone(good), b...)
				}(), "left in the buffer"},
				{"hdrlen too short", func() []byte {
					b := bytes.Clone(second)
					binary.NativeEndian.PutUint16(b[l.hdrlenOff:], uint16(l.minHdr()-1))
					return append(bytes.Clone(good), b...)
				}(), "header length"},
				{"bad microseconds", func() []byte {
					b := bytes.Clone(second)
					binary.NativeEndian.PutUint32(b[l.usecOff:], 1000000)
					return append(bytes.Clone(good), b...)
				}(), "microseconds"},
			}
			for _, c := range cases {
				got, err := walkAll(l, c.buf)
				var be *bpfError
				if !errors.As(err, &be) || !strings.Contains(be.Reason, c.reason) {
					t.Errorf("%s: error %v, want %q", c.name, err, c.reason)
					continue
				}
				// The good record before the damage was delivered; the
				// error names where the bad one starts.
				if len(got) != 1 || !bytes.Equal(got[0].data, frame(60, 0xA1)) || be.Offset != len(good) {
					t.Errorf("%s: %d records delivered, offset %d (want 1, %d)", c.name, len(got), be.Offset, len(good))
				}
			}
		})
	}
}

// A buffer of random bytes never panics or reads outside the buffer.
func FuzzBPFWalk(f *testing.F) {
	f.Add(buildBPF(darwinBPF, []bpfRec{{sec: 1, data: frame(61, 1), pad: true}, {sec: 2, data: frame(3, 2)}}), false)
	f.Add(buildBPF(freebsd64BPF, []bpfRec{{sec: 1, data: frame(61, 1), pad: true}, {sec: 2, data: frame(3, 2)}}), true)
	f.Fuzz(func(t *testing.T, buf []byte, bsd bool) {
		l := darwinBPF
		if bsd {
			l = freebsd64BPF
		}
		n := 0
		_ = l.walk(buf, func(_ time.Time, data []byte, orig int) {
			n++
			if orig < len(data) {
				t.Fatalf("orig %d < caplen %d", orig, len(data))
			}
		})
		if n > len(buf)/l.minHdr() {
			t.Fatalf("%d records from %d bytes", n, len(buf))
		}
	})
}
