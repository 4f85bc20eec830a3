// Package capture takes packets from a live interface and feeds them to the
// wire analyzer (`ratwatch capture`).
//
// Linux uses a raw AF_PACKET socket (golang.org/x/sys/unix, no cgo). It needs
// root or CAP_NET_RAW. gopacket's afpacket and pcapgo.EthernetHandle are not
// used: both import golang.org/x/net/bpf, which is not in this module's
// go.sum. Windows (Npcap) and macOS (BPF) are not supported in this build yet.
package capture

import (
	"bufio"
	"context"
	"errors"
	"os"
	"time"

	"github.com/ratwatch/ratwatch/pkg/wire"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// ErrNotPermitted is returned when the process may not open a packet socket.
var ErrNotPermitted = errors.New("live capture needs root or CAP_NET_RAW")

// ErrNotSupported is returned on platforms without live capture in this build.
var ErrNotSupported = errors.New("live capture is not supported in this build (Linux only; Npcap/BPF support is a later step)")

// Options configure a live capture.
type Options struct {
	Interface   string        // e.g. "eth0", "lo"
	Duration    time.Duration // stop after this long (0: until the context ends)
	SnapLen     int           // bytes kept per packet (0: 262144)
	Promiscuous bool
	// WritePath, when set, also writes every packet to a pcap file there.
	WritePath string
}

// Stats counts what a capture saw.
type Stats struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	Dropped uint64 `json:"dropped"` // by the kernel (ring full)
}

// Handler receives each packet; data is only valid during the call.
type Handler func(linkType uint32, t time.Time, data []byte)

// Analyze captures per opts and returns the wire report of what was seen.
// Packets have no file offset (PacketRef.Offset -1, omitted in evidence);
// with WritePath set, packet numbers and offsets match the written file.
func Analyze(ctx context.Context, opts Options, wopts wire.Options) (*wire.Report, Stats, error) {
	h, err := Open(opts)
	if err != nil {
		return nil, Stats{}, err
	}
	defer h.Close()
	return h.Analyze(ctx, wopts)
}

// Analyze runs the capture on an open handle (see Analyze). The handle is
// not closed.
func (h *Handle) Analyze(ctx context.Context, wopts wire.Options) (*wire.Report, Stats, error) {
	name := "live:" + h.opts.Interface
	if h.opts.WritePath != "" {
		name = h.opts.WritePath
	}
	a := wire.NewAnalyzer(name, wopts)
	var n uint64
	var off int64 = 24 // pcap file header
	st, err := h.Run(ctx, func(lt uint32, t time.Time, data []byte) {
		n++
		pi := wire.PacketInfo{Time: t, Index: n, Offset: -1}
		if h.opts.WritePath != "" {
			pi.Offset = off
			off += 16 + int64(len(data))
		}
		a.Packet(lt, pi, data)
	})
	rep := a.Finish()
	if err != nil {
		rep.Error = err.Error()
	}
	return rep, st, err
}

// writer wraps the optional pcap output.
type writer struct {
	f  *os.File
	bw *bufio.Writer
	w  *pcapfile.Writer
}

func openWriter(path string, linkType uint32, snap int) (*writer, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	w, err := pcapfile.NewWriter(bw, linkType, uint32(snap), true)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &writer{f: f, bw: bw, w: w}, nil
}

func (w *writer) close() error {
	if w == nil {
		return nil
	}
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
