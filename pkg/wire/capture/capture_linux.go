//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

const notPermittedText = "live capture needs root or CAP_NET_RAW"

// Handle is an open AF_PACKET socket bound to one interface.
type Handle struct {
	fd       int
	ifindex  int
	loopback bool
	linkType uint32
	snapLen  int
	opts     Options
	out      *writer
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Open opens and binds the packet socket. It fails with ErrNotPermitted
// (wrapped) when the process lacks root / CAP_NET_RAW.
func Open(opts Options) (*Handle, error) {
	ifc, err := net.InterfaceByName(opts.Interface)
	if err != nil {
		// Unknown or empty: say which interfaces exist ("loopback" is lo).
		ifs, lerr := net.Interfaces()
		if lerr != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
		devs := make([]device, len(ifs))
		for i, x := range ifs {
			devs[i] = device{Name: x.Name, Loopback: x.Flags&net.FlagLoopback != 0}
		}
		d, perr := pickDevice(opts.Interface, devs)
		if perr != nil {
			return nil, fmt.Errorf("capture: %w", perr)
		}
		if ifc, err = net.InterfaceByName(d.Name); err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
		opts.Interface = ifc.Name // the one chosen ("loopback", or none: the default route's)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("capture on %s: %w", opts.Interface, ErrNotPermitted)
		}
		return nil, fmt.Errorf("capture: packet socket: %w", err)
	}
	h := &Handle{fd: fd, ifindex: ifc.Index, loopback: ifc.Flags&net.FlagLoopback != 0, opts: opts, snapLen: opts.SnapLen}
	if h.snapLen <= 0 {
		h.snapLen = 262144
	}
	// Loopback frames carry a zeroed Ethernet header; devices without a
	// hardware address (tun, wireguard) deliver raw IP.
	h.linkType = decode.LinkEthernet
	if !h.loopback && len(ifc.HardwareAddr) == 0 {
		h.linkType = decode.LinkRaw
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture: bind %s: %w", opts.Interface, err)
	}
	tv := unix.NsecToTimeval(readTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture: %w", err)
	}
	if opts.Promiscuous {
		mr := unix.PacketMreq{Ifindex: int32(ifc.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("capture: promiscuous mode: %w", err)
		}
	}
	if h.out, err = openWriter(opts.WritePath, h.linkType, h.snapLen); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture: %w", err)
	}
	return h, nil
}

// LinkType is the pcap link type of the packets delivered.
func (h *Handle) LinkType() uint32 { return h.linkType }

// Run reads packets until the context ends or Options.Duration elapses.
func (h *Handle) Run(ctx context.Context, fn Handler) (Stats, error) {
	var st Stats
	var deadline time.Time
	if h.opts.Duration > 0 {
		deadline = time.Now().Add(h.opts.Duration)
	}
	buf := make([]byte, h.snapLen)
	for {
		if ctx.Err() != nil || !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		n, from, err := unix.Recvfrom(h.fd, buf, unix.MSG_TRUNC)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return st, fmt.Errorf("capture: read: %w", err)
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && h.loopback && ll.Pkttype == unix.PACKET_OUTGOING {
			continue // loopback shows every packet twice; keep the incoming copy (as libpcap does)
		}
		t := time.Now().UTC()
		data := buf[:min(n, len(buf))]
		st.Packets++
		st.Bytes += uint64(n)
		if h.out != nil {
			if err := h.out.w.WritePacket(t, data, n); err != nil {
				return st, fmt.Errorf("capture: write %s: %w", h.opts.WritePath, err)
			}
		}
		fn(h.linkType, t, data)
	}
	if s, err := unix.GetsockoptTpacketStats(h.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		st.Dropped = uint64(s.Drops)
	}
	return st, nil
}

// Close releases the socket and flushes the output file.
func (h *Handle) Close() error {
	err := h.out.close()
	if cerr := unix.Close(h.fd); err == nil {
		err = cerr
	}
	return err
}
