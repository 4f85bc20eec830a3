//go:build freebsd && (amd64 || arm64)

package capture

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// freebsd64BPF, the layout the BPF buffer tests use on Linux, must be this
// platform's struct bpf_hdr (see capture_darwin.go).
const freebsd64BPFDiff = (unsafe.Sizeof(unix.BpfHdr{}.Tstamp.Sec) ^ 8) |
	(unsafe.Offsetof(unix.BpfHdr{}.Tstamp.Usec) ^ 8) | (unsafe.Sizeof(unix.BpfHdr{}.Tstamp.Usec) ^ 8) |
	(unsafe.Offsetof(unix.BpfHdr{}.Caplen) ^ 16) | (unsafe.Offsetof(unix.BpfHdr{}.Datalen) ^ 20) |
	(unsafe.Offsetof(unix.BpfHdr{}.Hdrlen) ^ 24)

var _ [0]struct{} = [freebsd64BPFDiff]struct{}{}
