package capture

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The BPF read buffer (macOS, FreeBSD). One read(2) from /dev/bpfN returns
// whole records, each a struct bpf_hdr, bh_hdrlen - sizeof fields of padding,
// bh_caplen bytes of packet, then padding up to BPF_WORDALIGN. This file has
// no build tag so the parser is unit-tested on Linux.

// bpfLayout is struct bpf_hdr on one platform.
type bpfLayout struct {
	secSize    int // bytes of tv_sec (4 or 8), at offset 0
	usecOff    int
	usecSize   int // bytes of tv_usec (4 or 8)
	caplenOff  int
	datalenOff int
	hdrlenOff  int
	align      int // BPF_ALIGNMENT
}

// minHdr is the smallest valid bh_hdrlen: the header up to bh_hdrlen.
func (l bpfLayout) minHdr() int { return l.hdrlenOff + 2 }

func (l bpfLayout) wordAlign(n int) int { return (n + l.align - 1) &^ (l.align - 1) }

// darwinBPF: struct bpf_hdr with struct timeval32 (two int32), BPF_ALIGNMENT
// sizeof(int32_t) (golang.org/x/sys/unix BpfHdr for darwin/amd64 and arm64).
var darwinBPF = bpfLayout{secSize: 4, usecOff: 4, usecSize: 4, caplenOff: 8, datalenOff: 12, hdrlenOff: 16, align: 4}

// freebsd64BPF: struct timeval of two 64-bit fields, BPF_ALIGNMENT
// sizeof(long) (FreeBSD amd64 and arm64).
var freebsd64BPF = bpfLayout{secSize: 8, usecOff: 8, usecSize: 8, caplenOff: 16, datalenOff: 20, hdrlenOff: 24, align: 8}

// signed reads a native-endian signed field of 4 or 8 bytes.
func (l bpfLayout) signed(b []byte, off, size int) int64 {
	if size == 8 {
		return int64(binary.NativeEndian.Uint64(b[off:]))
	}
	return int64(int32(binary.NativeEndian.Uint32(b[off:])))
}

// bpfError is a malformed BPF buffer: what is wrong and at which offset.
type bpfError struct {
	Offset int
	Reason string
}

func (e *bpfError) Error() string {
	return fmt.Sprintf("malformed BPF buffer at offset %d: %s", e.Offset, e.Reason)
}

// walk calls fn for each record of one read, in order: the capture time,
// the captured bytes (valid during the call only) and the packet's length on
// the wire. It stops at the first malformed record — a header or packet that
// runs past the buffer, a bh_hdrlen shorter than the header — and returns a
// *bpfError; the records before it have been delivered. Padding after the
// last record may be missing (the kernel does not count it).
func (l bpfLayout) walk(buf []byte, fn func(t time.Time, data []byte, origLen int)) error {
	ne := binary.NativeEndian
	for off := 0; off < len(buf); {
		rest := buf[off:]
		if len(rest) < l.minHdr() {
			return &bpfError{off, fmt.Sprintf("truncated header (%d of %d bytes)", len(rest), l.minHdr())}
		}
		sec, usec := l.signed(rest, 0, l.secSize), l.signed(rest, l.usecOff, l.usecSize)
		caplen := int(ne.Uint32(rest[l.caplenOff:]))
		datalen := int(ne.Uint32(rest[l.datalenOff:]))
		hdrlen := int(ne.Uint16(rest[l.hdrlenOff:]))
		if hdrlen < l.minHdr() {
			return &bpfError{off, fmt.Sprintf("header length %d < %d", hdrlen, l.minHdr())}
		}
		if hdrlen > len(rest) || caplen < 0 || caplen > len(rest)-hdrlen { // caplen < 0: uint32 on a 32-bit int
			return &bpfError{off, fmt.Sprintf("record of %d+%d bytes, %d left in the buffer", hdrlen, caplen, len(rest))}
		}
		if usec < 0 || usec >= 1e6 {
			return &bpfError{off, fmt.Sprintf("timestamp microseconds %d", usec)}
		}
		fn(time.Unix(sec, usec*1000).UTC(), rest[hdrlen:hdrlen+caplen], max(datalen, caplen))
		off += l.wordAlign(hdrlen + caplen)
	}
	return nil
}
