//go:build darwin || freebsd

package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const notPermittedText = "live capture needs root or read access to /dev/bpf* (macOS: sudo, or Wireshark's ChmodBPF)"

// bpfBufLen is the buffer size asked for (BIOCSBLEN); the kernel caps it
// (BIOCGBLEN tells what was granted) and every read must use that size.
const bpfBufLen = 1 << 20

// hostBPF is struct bpf_hdr of this build, taken from golang.org/x/sys/unix
// (cgo-generated from the system headers). BPF_ALIGNMENT is sizeof(int32_t)
// on macOS and sizeof(long) on FreeBSD.
var hostBPF = func() bpfLayout {
	var h unix.BpfHdr
	l := bpfLayout{
		secSize:    int(unsafe.Sizeof(h.Tstamp.Sec)),
		usecOff:    int(unsafe.Offsetof(h.Tstamp.Usec)),
		usecSize:   int(unsafe.Sizeof(h.Tstamp.Usec)),
		caplenOff:  int(unsafe.Offsetof(h.Caplen)),
		datalenOff: int(unsafe.Offsetof(h.Datalen)),
		hdrlenOff:  int(unsafe.Offsetof(h.Hdrlen)),
		align:      int(unsafe.Sizeof(uintptr(0))),
	}
	if runtime.GOOS == "darwin" {
		l.align = 4
	}
	return l
}()

// Handle is an open BPF device attached to one interface.
type Handle struct {
	fd       int
	path     string
	bufLen   int
	linkType uint32
	snapLen  int
	opts     Options
	out      *writer
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

func ioctlU32(fd int, req uint, v uint32) (uint32, error) {
	err := ioctlPtr(fd, req, unsafe.Pointer(&v))
	return v, err
}

// openBPF opens the first free BPF device: /dev/bpf (FreeBSD's cloning
// device), else /dev/bpf0, /dev/bpf1, … (macOS).
func openBPF() (int, string, error) {
	try := func(path string) (int, error) {
		return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if fd, err := try("/dev/bpf"); err == nil {
		return fd, "/dev/bpf", nil
	} else if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return -1, "", fmt.Errorf("/dev/bpf: %w (%v)", ErrNotPermitted, err)
	}
	busy := 0
	for i := 0; i < 256; i++ {
		path := fmt.Sprintf("/dev/bpf%d", i)
		fd, err := try(path)
		switch {
		case err == nil:
			return fd, path, nil
		case errors.Is(err, unix.EBUSY):
			busy++
			continue
		case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
			return -1, "", fmt.Errorf("%s: %w (%v)", path, ErrNotPermitted, err)
		case errors.Is(err, unix.ENOENT):
			if busy > 0 {
				return -1, "", fmt.Errorf("all %d BPF devices are busy", busy)
			}
			return -1, "", fmt.Errorf("no BPF device (%s: %v)", path, err)
		default:
			return -1, "", fmt.Errorf("%s: %v", path, err)
		}
	}
	return -1, "", fmt.Errorf("all %d BPF devices are busy", busy)
}

// Open attaches a BPF device to the interface. It fails with
// ErrNotPermitted (wrapped) without access to /dev/bpf*, and with
// ErrUnknownInterface (wrapped, listing the interfaces) for a name that is
// not an interface ("loopback" finds lo0).
func Open(opts Options) (*Handle, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	devs := make([]device, len(ifs))
	for i, ifc := range ifs {
		devs[i] = device{Name: ifc.Name, Loopback: ifc.Flags&net.FlagLoopback != 0}
	}
	dev, err := pickDevice(opts.Interface, devs)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	opts.Interface = dev.Name // the one chosen (none given: the default route's)
	fd, path, err := openBPF()
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", dev.Name, err)
	}
	h := &Handle{fd: fd, path: path, opts: opts, snapLen: opts.SnapLen}
	fail := func(what string, err error) (*Handle, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("capture on %s: %s (%s): %w", dev.Name, what, path, err)
	}
	if h.snapLen <= 0 {
		h.snapLen = 262144
	}
	// The buffer size must be set before the interface.
	if _, err := ioctlU32(fd, unix.BIOCSBLEN, bpfBufLen); err != nil {
		return fail("BIOCSBLEN", err)
	}
	var ifr [32]byte // struct ifreq: name[IFNAMSIZ] and a 16-byte union
	if len(dev.Name) >= unix.IFNAMSIZ {
		return fail("interface name", fmt.Errorf("%q longer than %d bytes", dev.Name, unix.IFNAMSIZ-1))
	}
	copy(ifr[:], dev.Name)
	if err := ioctlPtr(fd, unix.BIOCSETIF, unsafe.Pointer(&ifr)); err != nil {
		return fail("BIOCSETIF", err)
	}
	n, err := ioctlU32(fd, unix.BIOCGBLEN, 0)
	if err != nil {
		return fail("BIOCGBLEN", err)
	}
	h.bufLen = int(n)
	if _, err := ioctlU32(fd, unix.BIOCIMMEDIATE, 1); err != nil {
		return fail("BIOCIMMEDIATE", err)
	}
	tv := unix.NsecToTimeval(readTimeout.Nanoseconds())
	if err := ioctlPtr(fd, unix.BIOCSRTIMEOUT, unsafe.Pointer(&tv)); err != nil {
		return fail("BIOCSRTIMEOUT", err)
	}
	dlt, err := ioctlU32(fd, unix.BIOCGDLT, 0)
	if err != nil {
		return fail("BIOCGDLT", err)
	}
	h.linkType = linkTypeOfDLT(int(dlt))
	if opts.Promiscuous {
		if err := ioctlPtr(fd, unix.BIOCPROMISC, nil); err != nil {
			return fail("promiscuous mode", err)
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
	buf := make([]byte, h.bufLen)
	var werr error
	deliver := func(t time.Time, data []byte, origLen int) {
		if werr != nil {
			return
		}
		data = data[:min(len(data), h.snapLen)]
		st.Packets++
		st.Bytes += uint64(origLen)
		if h.out != nil {
			if err := h.out.w.WritePacket(t, data, origLen); err != nil {
				werr = fmt.Errorf("capture: write %s: %w", h.opts.WritePath, err)
				return
			}
		}
		fn(h.linkType, t, data)
	}
	for {
		if ctx.Err() != nil || !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		n, err := unix.Read(h.fd, buf)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return st, fmt.Errorf("capture: read %s: %w", h.path, err)
		}
		if err := hostBPF.walk(buf[:n], deliver); err != nil {
			return st, fmt.Errorf("capture: %s: %w", h.path, err)
		}
		if werr != nil {
			return st, werr
		}
	}
	var s unix.BpfStat
	if ioctlPtr(h.fd, unix.BIOCGSTATS, unsafe.Pointer(&s)) == nil {
		st.Dropped = uint64(s.Drop)
	}
	return st, nil
}

// Close releases the BPF device and flushes the output file.
func (h *Handle) Close() error {
	err := h.out.close()
	if cerr := unix.Close(h.fd); err == nil {
		err = cerr
	}
	return err
}
