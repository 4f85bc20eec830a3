package pcapfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for i := 0; i < 3; i++ {
		if err := w.WritePacket(t0.Add(time.Duration(i)*time.Second), bytes.Repeat([]byte{byte(i)}, 10+i), 0); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	off := int64(24)
	for i := 0; i < 3; i++ {
		p, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if p.Index != uint64(i+1) || p.Offset != off || p.CapLen != 10+i || !p.Time.Equal(t0.Add(time.Duration(i)*time.Second)) || p.LinkType != 1 {
			t.Fatalf("packet %d: %+v", i, p)
		}
		off += 16 + int64(p.CapLen)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// ng builds a pcapng file: SHB, IDB (with if_tsresol), EPB.
func ng(order binary.ByteOrder, tsresol byte, data []byte, ts uint64) []byte {
	var b bytes.Buffer
	put32 := func(v uint32) { _ = binary.Write(&b, order, v) }
	put16 := func(v uint16) { _ = binary.Write(&b, order, v) }
	put32(0x0a0d0d0a)
	put32(28)
	put32(0x1a2b3c4d)
	put16(1)
	put16(0)
	_ = binary.Write(&b, order, int64(-1))
	put32(28)
	// IDB with if_tsresol option
	put32(1)
	put32(32)
	put16(101) // raw IP
	put16(0)
	put32(0)
	put16(9)
	put16(1)
	b.Write([]byte{tsresol, 0, 0, 0})
	put16(0)
	put16(0)
	put32(32)
	// EPB
	pad := (4 - len(data)%4) % 4
	total := uint32(32 + len(data) + pad)
	put32(6)
	put32(total)
	put32(0)
	put32(uint32(ts >> 32))
	put32(uint32(ts))
	put32(uint32(len(data)))
	put32(uint32(len(data)))
	b.Write(data)
	b.Write(make([]byte, pad))
	put32(total)
	return b.Bytes()
}

func TestPcapNG(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		file := ng(order, 9, []byte{0x45, 1, 2}, 1_700_000_000_123_456_789)
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		want := time.Unix(1_700_000_000, 123_456_789).UTC()
		if r.Format() != FormatPcapNG || p.LinkType != 101 || !p.Time.Equal(want) || p.Offset != 60 || p.Index != 1 || len(p.Data) != 3 {
			t.Fatalf("%v: %+v", order, p)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatal(err)
		}
	}
}

func TestCorrupt(t *testing.T) {
	good := ng(binary.LittleEndian, 6, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
	for _, c := range []struct {
		name string
		data []byte
		off  int64
	}{
		{"cut mid-packet", good[:len(good)-6], 60},
		{"bogus block length", append(append([]byte{}, good[:60]...), 6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f), 60},
		{"not a capture", []byte("hello world, this is not a capture file at all"), 0},
		{"pcap header cut", []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(c.data))
			for err == nil {
				_, err = r.Next()
			}
			var e *Error
			if !errors.As(err, &e) || e.Offset != c.off {
				t.Fatalf("err %v, want an *Error at offset %d", err, c.off)
			}
		})
	}
}

// FuzzReader: any input ends in io.EOF or an *Error, never a panic, and
// offsets only grow.
func FuzzReader(f *testing.F) {
	f.Add(ng(binary.LittleEndian, 6, []byte{1, 2, 3}, 5))
	f.Add(ng(binary.BigEndian, 0x89, []byte{1, 2, 3, 4, 5}, 5))
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 1, 0, false)
	_ = w.WritePacket(time.Unix(1, 0), []byte{1, 2, 3}, 0)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("header error %T %v", err, err)
			}
			return
		}
		last := int64(-1)
		for {
			p, err := r.Next()
			if err != nil {
				var e *Error
				if err != io.EOF && !errors.As(err, &e) {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			if p.Offset <= last || p.Offset+int64(len(p.Data)) > int64(len(data)) {
				t.Fatalf("offset %d after %d, %d bytes of %d", p.Offset, last, len(p.Data), len(data))
			}
			last = p.Offset
		}
	})
}
