package decode

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ratwatch/ratwatch/internal/shared"
	"github.com/ratwatch/ratwatch/pkg/wire/pcapfile"
)

// same decodes one frame both ways and reports a difference: the error
// class must agree and, on success, every field of the Packet.
func same(t testing.TB, d *Decoder, lt uint32, data []byte) (fastTook bool) {
	t.Helper()
	var pf, pg Packet
	ef, took := fast(lt, data, &pf)
	eg := d.decodeGopacket(lt, data, &pg)
	if !took {
		return false
	}
	switch {
	case ef == nil && eg == nil:
		if !reflect.DeepEqual(pf, pg) {
			t.Fatalf("link %d frame %x:\nfast     %+v\ngopacket %+v", lt, data, pf, pg)
		}
	case ef == nil || eg == nil || !errors.Is(ef, eg):
		t.Fatalf("link %d frame %x: fast error %v, gopacket error %v", lt, data, ef, eg)
	}
	return true
}

// TestFastPathMatchesGopacket decodes every packet of every shared capture
// with the fast path and with gopacket: where the fast path takes a frame it
// must give exactly gopacket's answer. It also checks that the fast path
// takes the bulk of the traffic (else the speed-up is gone).
func TestFastPathMatchesGopacket(t *testing.T) {
	dir := filepath.Dir(shared.Path(t, "pcaps/SOURCES.md"))
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	if len(files) == 0 {
		t.Fatal("no captures in", dir)
	}
	d := NewDecoder()
	var total, took int
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapfile.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatal(name, err)
		}
		for {
			p, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Logf("%s: %v (the readable part was compared)", filepath.Base(name), err)
				}
				break
			}
			total++
			if same(t, d, p.LinkType, p.Data) {
				took++
			}
		}
		f.Close()
	}
	t.Logf("%d packets, %d on the fast path", total, took)
	if took*10 < total*8 {
		t.Fatalf("fast path took %d of %d packets, want at least 80%%", took, total)
	}
}

// FuzzFastPath: on any frame the fast path either defers or agrees with
// gopacket.
func FuzzFastPath(f *testing.F) {
	v4, v6 := ipTCP(f, false), ipTCP(f, true)
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	vlan := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x4d, 0x08, 0x00}
	f.Add(uint8(LinkEthernet), append(append([]byte{}, eth...), v4...))
	f.Add(uint8(LinkEthernet), append(append([]byte{}, vlan...), v4...))
	f.Add(uint8(LinkRaw), v6)
	f.Add(uint8(LinkRaw), v4)
	f.Add(uint8(LinkIPv4), v4[:30])
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint8, data []byte) {
		same(t, d, uint32(lt), data)
	})
}
