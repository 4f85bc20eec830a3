// Package pcapfile reads classic pcap and pcapng captures and writes classic
// pcap, in pure Go and in constant memory.
//
// It exists because gopacket's pcapgo package cannot be built on Linux with
// this module's go.sum (pcapgo/capture.go imports golang.org/x/net/bpf, which
// is not a dependency of ratwatch). It also gives what pcapgo does not: the
// byte offset of every packet record in the file, and errors that name the
// offset of a truncated or corrupt record.
//
// The format is sniffed from the magic number, never from the file name
// (several public ".pcap" files are pcapng).
package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Format names the container format.
type Format string

const (
	FormatPcap   Format = "pcap"
	FormatPcapNG Format = "pcapng"
)

// Limits that protect against bogus length fields.
const (
	// MaxPacket bounds a packet record's captured length. libpcap's
	// MAXIMUM_SNAPLEN is 262144; anything larger is a corrupt length.
	MaxPacket = 262144
	// MaxBlock bounds a pcapng block (headers, packet and options).
	MaxBlock = MaxPacket + 64*1024
	// MaxInterfaces bounds the interface descriptions of one pcapng section.
	MaxInterfaces = 1024
	// readBufferSize is the bufio buffer in front of a stream that cannot be
	// mapped: ≥ any record, so every packet can be read in place.
	readBufferSize = MaxBlock
)

// Magic numbers.
const (
	magicMicroseconds = 0xa1b2c3d4
	magicNanoseconds  = 0xa1b23c4d
	magicNG           = 0x0a0d0d0a
	ngByteOrderMagic  = 0x1a2b3c4d
)

// pcapng block types.
const (
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
	blockSHB = magicNG
)

// Packet is one packet record. Data is only valid until the next call to Next.
type Packet struct {
	Data     []byte
	Time     time.Time
	CapLen   int
	OrigLen  int
	LinkType uint32 // LINKTYPE_* value of the packet's interface
	// Offset is the byte offset of the packet record (pcap record header or
	// pcapng block) from the start of the file.
	Offset int64
	// Index is the 1-based packet number, as Wireshark numbers frames.
	Index uint64
	// Interface is the pcapng interface id (0 for classic pcap).
	Interface int
}

// Error is a read error located at a byte offset of the file.
type Error struct {
	Offset int64
	Packet uint64 // the packet number being read (0 = file header)
	Msg    string
	Err    error // underlying error, e.g. io.ErrUnexpectedEOF
}

func (e *Error) Error() string {
	if e.Packet > 0 {
		return fmt.Sprintf("offset %d (packet %d): %s", e.Offset, e.Packet, e.Msg)
	}
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

type ngInterface struct {
	linkType uint32
	snapLen  uint32
	// ticks per second and how to scale to nanoseconds
	unitsPerSec uint64
	tsOffset    int64
}

// Reader reads packets from a pcap or pcapng stream.
type Reader struct {
	r      source
	mm     *mapped // r when the file is memory-mapped (fast path)
	close  func() error
	off    int64 // bytes consumed so far
	format Format
	buf    []byte
	hdr    [32]byte
	index  uint64

	// classic pcap
	order    byteOrder
	nanos    bool
	linkType uint32
	snapLen  uint32

	// pcapng
	ifaces []ngInterface

	pktStore Packet
}

// NewReader reads the file header and returns a reader positioned on the
// first packet.
//
// A regular *os.File is memory-mapped a window at a time instead of read
// through a buffer; Close releases the mapping (it does not close the file).
func NewReader(r io.Reader) (*Reader, error) {
	src, closeSrc := newSource(r)
	pr := &Reader{r: src, close: closeSrc, buf: make([]byte, 0, 4096)}
	pr.mm, _ = src.(*mapped)
	pr, err := pr.start()
	if err != nil {
		_ = closeSrc()
	}
	return pr, err
}

// Pin makes packet data outlive the next call to Next, so that packets can
// be handed to another goroutine: a memory-mapped reader then keeps each
// window mapped until Release has been called with an offset past it. It
// reports false, and changes nothing, when the reader is not mapped (data is
// then only valid until the next call, as always). Call before the first
// Next.
func (r *Reader) Pin() bool {
	if r.mm == nil {
		return false
	}
	r.mm.pinned = true
	return true
}

// Release tells a pinned reader that every packet record ending at or before
// file offset off is no longer used. It may be called from another
// goroutine than Next.
func (r *Reader) Release(off int64) {
	if r.mm != nil {
		r.mm.released.Store(off)
	}
}

// Close releases the reader's memory map, if any. The underlying file is
// left open (it belongs to the caller). The reader cannot be used after.
func (r *Reader) Close() error { return r.close() }

func (pr *Reader) start() (*Reader, error) {
	m, err := pr.r.Peek(4)
	if err != nil {
		if len(m) == 0 && errors.Is(err, io.EOF) {
			return nil, &Error{Msg: "empty file", Err: io.ErrUnexpectedEOF}
		}
		return nil, &Error{Msg: "file too short for a capture header", Err: io.ErrUnexpectedEOF}
	}
	switch {
	case binary.LittleEndian.Uint32(m) == magicNG:
		pr.format = FormatPcapNG
		if err := pr.readSHB(); err != nil {
			return nil, err
		}
		return pr, nil
	default:
		pr.format = FormatPcap
		if err := pr.readPcapHeader(); err != nil {
			return nil, err
		}
		return pr, nil
	}
}

// Format returns the container format.
func (r *Reader) Format() Format { return r.format }

// LinkType returns the link type of a classic pcap file, or of the first
// interface of a pcapng file (0 when there is none yet).
func (r *Reader) LinkType() uint32 {
	if r.format == FormatPcap {
		return r.linkType
	}
	if len(r.ifaces) > 0 {
		return r.ifaces[0].linkType
	}
	return 0
}

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) errf(at int64, err error, format string, a ...any) error {
	return &Error{Offset: at, Packet: r.index, Msg: fmt.Sprintf(format, a...), Err: err}
}

// readFull reads exactly len(p) bytes; a short read is io.ErrUnexpectedEOF
// (or io.EOF when nothing at all was read).
// cut reports a record the input ended inside: a truncated file (EOF), or
// the input's own failure, reported as it is (a mapped file that changed
// while it was read).
func (r *Reader) cut(at int64, err error, format string, a ...any) error {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return r.errf(at, err, "%v", err)
	}
	return r.errf(at, io.ErrUnexpectedEOF, format, a...)
}

func (r *Reader) readFull(p []byte) (int, error) {
	n, err := io.ReadFull(r.r, p)
	r.off += int64(n)
	return n, err
}

func (r *Reader) readPcapHeader() error {
	h := r.hdr[:24]
	if n, err := r.readFull(h); err != nil {
		return r.errf(int64(n), io.ErrUnexpectedEOF, "truncated pcap file header (%d of 24 bytes)", n)
	}
	switch {
	case binary.LittleEndian.Uint32(h) == magicMicroseconds:
		r.order = byteOrder{}
	case binary.BigEndian.Uint32(h) == magicMicroseconds:
		r.order = byteOrder{big: true}
	case binary.LittleEndian.Uint32(h) == magicNanoseconds:
		r.order, r.nanos = byteOrder{}, true
	case binary.BigEndian.Uint32(h) == magicNanoseconds:
		r.order, r.nanos = byteOrder{big: true}, true
	default:
		return r.errf(0, nil, "not a pcap or pcapng file (magic %x)", h[:4])
	}
	if major := r.order.Uint16(h[4:]); major != 2 {
		return r.errf(4, nil, "unsupported pcap version %d", major)
	}
	r.snapLen = r.order.Uint32(h[16:])
	// The upper bits of the link-type field carry FCS information.
	r.linkType = r.order.Uint32(h[20:]) & 0x0FFFFFFF
	return nil
}

// Next returns the next packet, io.EOF at the clean end of the file, or an
// *Error naming the offset of a truncated or corrupt record.
func (r *Reader) Next() (*Packet, error) {
	if r.format == FormatPcap {
		return r.nextPcap()
	}
	return r.nextNG()
}

// pkt is reused between calls so the read loop does not allocate.
func (r *Reader) packet() *Packet { return &r.pktStore }

func (r *Reader) nextPcap() (*Packet, error) {
	start := r.off
	// Fast path: a whole record inside the current map window.
	if m := r.mm; m != nil && m.pos+16 <= len(m.win) {
		h := m.win[m.pos : m.pos+16 : m.pos+16]
		if capLen := r.order.Uint32(h[8:]); capLen <= MaxPacket && m.pos+16+int(capLen) <= len(m.win) {
			data := m.win[m.pos+16 : m.pos+16+int(capLen) : m.pos+16+int(capLen)]
			m.pos += 16 + int(capLen)
			r.off += 16 + int64(capLen)
			r.index++
			m.readAhead()
			return r.pcapPacket(start, h, data), nil
		}
	}
	h, err := r.r.Peek(16)
	if err != nil {
		n := len(h)
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		_, _ = r.r.Discard(n)
		r.off += int64(n)
		r.index++
		return nil, r.cut(start, err, "truncated packet record header (%d of 16 bytes)", n)
	}
	r.index++
	capLen := r.order.Uint32(h[8:])
	if capLen > MaxPacket {
		return nil, r.errf(start, nil, "bogus captured length %d (max %d)", capLen, MaxPacket)
	}
	// Zero copy: the record is read in place from the map or buffer (it
	// stays valid until the next call).
	rec, err := r.r.Peek(16 + int(capLen))
	if err != nil {
		_, _ = r.r.Discard(len(rec))
		r.off += int64(len(rec))
		return nil, r.cut(start, err, "truncated packet data (%d of %d bytes)", max(len(rec)-16, 0), capLen)
	}
	data := rec[16:]
	_, _ = r.r.Discard(len(rec))
	r.off += int64(len(rec))
	// rec[:16], not h: the second Peek may have moved the window.
	return r.pcapPacket(start, rec[:16], data), nil
}

// pcapPacket fills the packet of a classic pcap record: h is its 16-byte
// header.
func (r *Reader) pcapPacket(start int64, h, data []byte) *Packet {
	sec := r.order.Uint32(h[0:])
	frac := r.order.Uint32(h[4:])
	if !r.nanos {
		frac *= 1000
	}
	p := r.packet()
	*p = Packet{Data: data, Time: time.Unix(int64(sec), int64(frac)).UTC(), CapLen: len(data), OrigLen: int(r.order.Uint32(h[12:])),
		LinkType: r.linkType, Offset: start, Index: r.index}
	return p
}

func (r *Reader) grow(n int) []byte {
	if cap(r.buf) < n {
		r.buf = make([]byte, n, n+n/4)
	}
	return r.buf[:n]
}

// readSHB reads a Section Header Block (the reader is positioned on it).
func (r *Reader) readSHB() error {
	start := r.off
	h := r.hdr[:12]
	if n, err := r.readFull(h); err != nil {
		return r.errf(start, io.ErrUnexpectedEOF, "truncated pcapng section header (%d of 12 bytes)", n)
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case ngByteOrderMagic:
		r.order = byteOrder{}
	case 0x4d3c2b1a:
		r.order = byteOrder{big: true}
	default:
		return r.errf(start+8, nil, "bad pcapng byte-order magic %x", h[8:12])
	}
	total := r.order.Uint32(h[4:])
	if total < 28 || total%4 != 0 || total > MaxBlock {
		return r.errf(start, nil, "bogus pcapng section header length %d", total)
	}
	rest := r.grow(int(total) - 12)
	if n, err := r.readFull(rest); err != nil {
		return r.errf(start, io.ErrUnexpectedEOF, "truncated pcapng section header (%d of %d bytes)", 12+n, total)
	}
	if major := r.order.Uint16(rest[0:]); major != 1 {
		return r.errf(start+12, nil, "unsupported pcapng version %d", major)
	}
	if r.order.Uint32(rest[len(rest)-4:]) != total {
		return r.errf(start, nil, "pcapng section header trailer length mismatch")
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

func (r *Reader) nextNG() (*Packet, error) {
	for {
		start := r.off
		h := r.hdr[:8]
		if m, err := r.r.Peek(8); err == nil && binary.LittleEndian.Uint32(m) == magicNG {
			if err := r.readSHB(); err != nil {
				return nil, err
			}
			continue
		}
		n, err := r.readFull(h)
		if err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, r.cut(start, err, "truncated pcapng block header (%d of 8 bytes)", n)
		}
		typ := r.order.Uint32(h[0:])
		total := r.order.Uint32(h[4:])
		if total < 12 || total%4 != 0 || total > MaxBlock {
			return nil, r.errf(start, nil, "bogus pcapng block length %d (block type %#x)", total, typ)
		}
		isPacket := typ == blockEPB || typ == blockSPB || typ == blockPB
		if isPacket {
			r.index++
		}
		var body []byte
		if int(total)-8 <= readBufferSize { // in place, as for classic pcap
			b, err := r.r.Peek(int(total) - 8)
			if err != nil {
				r.off += int64(len(b))
				return nil, r.cut(start, err, "truncated pcapng block (type %#x, %d of %d bytes)", typ, 8+len(b), total)
			}
			body = b
			_, _ = r.r.Discard(len(b))
			r.off += int64(len(b))
		} else {
			body = r.grow(int(total) - 8)
			if n, err := r.readFull(body); err != nil {
				return nil, r.cut(start, err, "truncated pcapng block (type %#x, %d of %d bytes)", typ, 8+n, total)
			}
		}
		if r.order.Uint32(body[len(body)-4:]) != total {
			return nil, r.errf(start, nil, "pcapng block trailer length mismatch (type %#x)", typ)
		}
		body = body[:len(body)-4]
		switch typ {
		case blockIDB:
			if err := r.readIDB(start, body); err != nil {
				return nil, err
			}
		case blockEPB, blockPB:
			return r.ngPacket(start, typ, body)
		case blockSPB:
			return r.ngSimple(start, body)
		}
		// Other blocks (name resolution, statistics, secrets…) are skipped.
	}
}

func (r *Reader) readIDB(start int64, b []byte) error {
	if len(b) < 8 {
		return r.errf(start, nil, "short pcapng interface block")
	}
	if len(r.ifaces) >= MaxInterfaces {
		return r.errf(start, nil, "more than %d pcapng interfaces", MaxInterfaces)
	}
	ifc := ngInterface{linkType: uint32(r.order.Uint16(b[0:])), snapLen: r.order.Uint32(b[4:]), unitsPerSec: 1e6}
	opts := b[8:]
	for len(opts) >= 4 {
		code := r.order.Uint16(opts[0:])
		l := int(r.order.Uint16(opts[2:]))
		if code == 0 {
			break
		}
		if 4+l > len(opts) {
			return r.errf(start, nil, "pcapng interface option overruns block")
		}
		v := opts[4 : 4+l]
		switch code {
		case 9: // if_tsresol
			if l >= 1 {
				res := v[0]
				exp := uint(res & 0x7f)
				if res&0x80 != 0 {
					if exp > 63 {
						return r.errf(start, nil, "bogus if_tsresol 2^-%d", exp)
					}
					ifc.unitsPerSec = 1 << exp
				} else {
					if exp > 19 {
						return r.errf(start, nil, "bogus if_tsresol 10^-%d", exp)
					}
					u := uint64(1)
					for range exp {
						u *= 10
					}
					ifc.unitsPerSec = u
				}
			}
		case 14: // if_tsoffset
			if l >= 8 {
				ifc.tsOffset = int64(r.order.Uint64(v))
			}
		}
		opts = opts[4+(l+3)&^3:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

func (r *Reader) ngTime(ifc *ngInterface, hi, lo uint32) time.Time {
	ts := uint64(hi)<<32 | uint64(lo)
	u := ifc.unitsPerSec
	sec := ts / u
	rem := ts % u
	var nsec uint64
	if u <= 1e9 {
		nsec = rem * (1e9 / u)
	} else {
		nsec = uint64(float64(rem) * 1e9 / float64(u))
	}
	if sec > math.MaxInt64/2 {
		sec = math.MaxInt64 / 2
	}
	return time.Unix(int64(sec)+ifc.tsOffset, int64(nsec)).UTC()
}

func (r *Reader) ngPacket(start int64, typ uint32, b []byte) (*Packet, error) {
	if len(b) < 20 {
		return nil, r.errf(start, nil, "short pcapng packet block")
	}
	var id uint32
	if typ == blockPB {
		id = uint32(r.order.Uint16(b[0:]))
	} else {
		id = r.order.Uint32(b[0:])
	}
	if int(id) >= len(r.ifaces) {
		return nil, r.errf(start, nil, "packet block names interface %d, but %d are defined", id, len(r.ifaces))
	}
	ifc := &r.ifaces[id]
	capLen := r.order.Uint32(b[12:])
	origLen := r.order.Uint32(b[16:])
	if capLen > MaxPacket || int(capLen) > len(b)-20 {
		return nil, r.errf(start, nil, "bogus captured length %d in a %d-byte block", capLen, len(b)+12)
	}
	p := r.packet()
	*p = Packet{
		Data:      b[20 : 20+capLen],
		Time:      r.ngTime(ifc, r.order.Uint32(b[4:]), r.order.Uint32(b[8:])),
		CapLen:    int(capLen),
		OrigLen:   int(origLen),
		LinkType:  ifc.linkType,
		Offset:    start,
		Index:     r.index,
		Interface: int(id),
	}
	return p, nil
}

func (r *Reader) ngSimple(start int64, b []byte) (*Packet, error) {
	if len(b) < 4 {
		return nil, r.errf(start, nil, "short pcapng simple packet block")
	}
	if len(r.ifaces) == 0 {
		return nil, r.errf(start, nil, "simple packet block before any interface block")
	}
	ifc := &r.ifaces[0]
	origLen := r.order.Uint32(b[0:])
	capLen := uint32(len(b) - 4)
	if origLen < capLen {
		capLen = origLen
	}
	if ifc.snapLen > 0 && capLen > ifc.snapLen {
		capLen = ifc.snapLen
	}
	p := r.packet()
	*p = Packet{Data: b[4 : 4+capLen], CapLen: int(capLen), OrigLen: int(origLen), LinkType: ifc.linkType, Offset: start, Index: r.index}
	return p, nil
}

// byteOrder is the file's byte order as a concrete type: binary.ByteOrder
// is an interface, and four dynamic calls per packet showed in profiles.
type byteOrder struct{ big bool }

func (o byteOrder) Uint16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o byteOrder) Uint32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o byteOrder) Uint64(b []byte) uint64 {
	if o.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
