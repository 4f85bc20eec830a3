// Package capture takes packets from a live interface and feeds them to the
// wire analyzer (`ratwatch capture`, `ratwatch scan --capture`). Every
// platform is pure Go (CGO_ENABLED=0):
//
//   - Linux: a raw AF_PACKET socket (golang.org/x/sys/unix). Needs root or
//     CAP_NET_RAW. gopacket's afpacket and pcapgo.EthernetHandle are not used:
//     both import golang.org/x/net/bpf, which is not in this module's go.sum.
//   - Windows: Npcap's wpcap.dll, loaded at run time (golang.org/x/sys/windows,
//     SyscallN): %SystemRoot%\System32\Npcap\wpcap.dll first, then a
//     WinPcap-compatible System32\wpcap.dll. Without it Open fails with
//     ErrNoDriver (pointing to https://npcap.com). Interfaces are named as
//     Npcap lists them (\Device\NPF_{GUID}, \Device\NPF_Loopback), by GUID,
//     by connection name ("Ethernet", "Wi-Fi") or by description.
//   - macOS (and FreeBSD): a /dev/bpf* device (golang.org/x/sys/unix, ioctls).
//     Needs root or read access to the bpf devices.
//   - elsewhere: ErrNotSupported.
//
// A process that may not capture gets ErrNotPermitted (wrapped, with the
// platform's own words), so callers can say so plainly.
package capture

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/ratwatch/ratwatch/pkg/wire"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// ErrNotPermitted is returned (wrapped) when the process may not capture:
// not root / CAP_NET_RAW on Linux, not administrator on Windows (Npcap
// installed for administrators only), no access to /dev/bpf* on macOS.
var ErrNotPermitted = errors.New(notPermittedText)

// ErrNoDriver is returned (wrapped) when the platform's capture driver is
// missing: on Windows, Npcap (wpcap.dll) is not installed.
var ErrNoDriver = errors.New("live capture needs a packet capture driver")

// ErrNotSupported is returned on platforms without live capture in this build.
var ErrNotSupported = errors.New("live capture is not supported on this platform (Linux, Windows with Npcap, macOS and FreeBSD only)")

// readTimeout bounds one blocking read so the context and the duration are
// checked at least this often.
const readTimeout = 200 * time.Millisecond

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
	if len(wopts.LocalIPs) == 0 {
		// A live capture is taken on the host under investigation: its own
		// addresses are known, not inferred (a loopback session has two
		// local ends; with an IPv6 flow beside it, inference would tie).
		wopts.LocalIPs, wopts.LocalBy = HostAddrs(), wire.LocalByCaptureHost
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

// HostAddrs lists the addresses of this host's interfaces, loopback
// included (IPv4-mapped IPv6 unmapped); nil when they cannot be read.
func HostAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if x, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, x.Unmap())
		}
	}
	return out
}
