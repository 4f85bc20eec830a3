// Package benchgen builds large benchmark captures by concatenating real
// captures over and over, each copy with shifted IPv4 addresses (so every
// copy makes new flows) and shifted timestamps.
package benchgen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

type packet struct {
	at   time.Duration // since the source capture's first packet
	data []byte        // Ethernet frame
}

// load reads a capture and converts its frames to Ethernet (Ethernet and
// BSD NULL/LOOP are kept; other link types are skipped).
func load(path string) ([]packet, time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r, err := pcapfile.NewReader(f)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	var out []packet
	var first time.Time
	var span time.Duration
	for {
		p, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return out, span, nil // keep what was read
		}
		if first.IsZero() {
			first = p.Time
		}
		var frame []byte
		switch p.LinkType {
		case decode.LinkEthernet:
			frame = append([]byte(nil), p.Data...)
		case decode.LinkNull, decode.LinkLoop:
			if len(p.Data) < 4 {
				continue
			}
			et := []byte{0x08, 0x00}
			fam := binary.LittleEndian.Uint32(p.Data)
			if p.Data[0] == 0 && p.Data[1] == 0 {
				fam = binary.BigEndian.Uint32(p.Data)
			}
			if fam != 2 {
				et = []byte{0x86, 0xdd}
			}
			frame = append(make([]byte, 12, 14+len(p.Data)), et...)
			frame = append(frame, p.Data[4:]...)
		default:
			continue
		}
		at := p.Time.Sub(first)
		if at > span {
			span = at
		}
		out = append(out, packet{at: at, data: frame})
	}
	return out, span, nil
}

// shift rewrites the IPv4 addresses of an Ethernet frame for copy n.
func shift(frame []byte, n int) {
	off := 12
	for off+2 <= len(frame) && (frame[off] == 0x81 && frame[off+1] == 0x00 || frame[off] == 0x88 && frame[off+1] == 0xa8) {
		off += 4
	}
	if off+2 > len(frame) || frame[off] != 0x08 || frame[off+1] != 0x00 {
		return
	}
	ip := off + 2
	if ip+20 > len(frame) {
		return
	}
	for _, a := range []int{ip + 12, ip + 16} {
		frame[a+1] ^= byte(n)
		frame[a+2] ^= byte(n >> 8)
	}
}

// Build writes a classic pcap of at least target bytes to w from the given
// captures, and returns the bytes and packets written.
func Build(w io.Writer, sources []string, target int64) (int64, int64, error) {
	var all [][]packet
	var spans []time.Duration
	for _, s := range sources {
		p, span, err := load(s)
		if err != nil {
			return 0, 0, err
		}
		if len(p) > 0 {
			all = append(all, p)
			spans = append(spans, span)
		}
	}
	if len(all) == 0 {
		return 0, 0, errors.New("benchgen: no usable packets in the sources")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	pw, err := pcapfile.NewWriter(bw, decode.LinkEthernet, 0, false)
	if err != nil {
		return 0, 0, err
	}
	written, pkts := int64(24), int64(0)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 65536)
	for n := 0; written < target; n++ {
		for i, src := range all {
			for _, p := range src {
				buf = append(buf[:0], p.data...)
				shift(buf, n+1)
				if err := pw.WritePacket(base.Add(p.at), buf, 0); err != nil {
					return written, pkts, err
				}
				written += 16 + int64(len(buf))
				pkts++
			}
			base = base.Add(spans[i] + time.Second)
		}
	}
	return written, pkts, bw.Flush()
}
