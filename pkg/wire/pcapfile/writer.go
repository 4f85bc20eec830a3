package pcapfile

import (
	"encoding/binary"
	"errors"
	"io"
	"time"
)

// Writer writes a classic little-endian pcap file with microsecond or
// nanosecond timestamps.
type Writer struct {
	w        io.Writer
	nanos    bool
	snapLen  uint32
	linkType uint32
	hdr      [24]byte
}

// NewWriter writes the file header and returns a Writer. snapLen 0 means
// MaxPacket.
func NewWriter(w io.Writer, linkType uint32, snapLen uint32, nanos bool) (*Writer, error) {
	if snapLen == 0 {
		snapLen = MaxPacket
	}
	pw := &Writer{w: w, nanos: nanos, snapLen: snapLen, linkType: linkType}
	h := pw.hdr[:24]
	magic := uint32(magicMicroseconds)
	if nanos {
		magic = magicNanoseconds
	}
	binary.LittleEndian.PutUint32(h[0:], magic)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[8:], 0)
	binary.LittleEndian.PutUint32(h[12:], 0)
	binary.LittleEndian.PutUint32(h[16:], snapLen)
	binary.LittleEndian.PutUint32(h[20:], linkType)
	if _, err := w.Write(h); err != nil {
		return nil, err
	}
	return pw, nil
}

// WritePacket writes one record. data longer than the snap length is cut;
// origLen 0 means len(data).
func (w *Writer) WritePacket(t time.Time, data []byte, origLen int) error {
	if origLen == 0 {
		origLen = len(data)
	}
	if uint32(len(data)) > w.snapLen {
		data = data[:w.snapLen]
	}
	if origLen < len(data) {
		return errors.New("pcapfile: original length shorter than data")
	}
	h := w.hdr[:16]
	binary.LittleEndian.PutUint32(h[0:], uint32(t.Unix()))
	if w.nanos {
		binary.LittleEndian.PutUint32(h[4:], uint32(t.Nanosecond()))
	} else {
		binary.LittleEndian.PutUint32(h[4:], uint32(t.Nanosecond()/1000))
	}
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[12:], uint32(origLen))
	if _, err := w.w.Write(h); err != nil {
		return err
	}
	_, err := w.w.Write(data)
	return err
}
