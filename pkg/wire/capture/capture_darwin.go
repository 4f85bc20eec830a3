//go:build darwin

package capture

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// darwinBPF, the layout the BPF buffer tests use on Linux, must be this
// platform's struct bpf_hdr (golang.org/x/sys/unix BpfHdr, generated from
// the macOS headers), which hostBPF reads at run time: the build fails here
// when they differ.
const darwinBPFDiff = (unsafe.Sizeof(unix.BpfHdr{}.Tstamp.Sec) ^ 4) |
	(unsafe.Offsetof(unix.BpfHdr{}.Tstamp.Usec) ^ 4) | (unsafe.Sizeof(unix.BpfHdr{}.Tstamp.Usec) ^ 4) |
	(unsafe.Offsetof(unix.BpfHdr{}.Caplen) ^ 8) | (unsafe.Offsetof(unix.BpfHdr{}.Datalen) ^ 12) |
	(unsafe.Offsetof(unix.BpfHdr{}.Hdrlen) ^ 16)

var _ [0]struct{} = [darwinBPFDiff]struct{}{}
