package pcapfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/internal/shared"
)

// onlyReader hides *os.File so NewReader takes the buffered path.
type onlyReader struct{ io.Reader }

// readAll lists every packet (copied) and the final error of a reader.
func readAll(t *testing.T, r io.Reader) (out []string, end string) {
	t.Helper()
	pr, err := NewReader(r)
	if err != nil {
		return nil, err.Error()
	}
	defer pr.Close()
	for {
		p, err := pr.Next()
		if err != nil {
			return out, err.Error()
		}
		out = append(out, fmt.Sprintf("%d@%d %s lt%d if%d cap%d orig%d %x", p.Index, p.Offset, p.Time.Format("2006-01-02T15:04:05.999999999"),
			p.LinkType, p.Interface, p.CapLen, p.OrigLen, p.Data))
	}
}

func compareMapped(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if runtime.GOOS == "linux" {
		if src, closeSrc := newSource(f); true {
			if _, ok := src.(*mapped); !ok {
				t.Fatalf("%s: a regular file is not memory-mapped", path)
			}
			closeSrc()
		}
	}
	wantPkts, wantEnd := readAll(t, onlyReader{f})
	def := mapWindow
	defer func() { mapWindow = def }()
	for _, win := range []int{def, 4096, 3 * 4096} {
		mapWindow = win
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, end := readAll(t, f)
		if end != wantEnd || len(got) != len(wantPkts) {
			t.Fatalf("%s window %d: %d packets ending %q, buffered read %d ending %q", filepath.Base(path), win, len(got), end, len(wantPkts), wantEnd)
		}
		for i := range got {
			if got[i] != wantPkts[i] {
				t.Fatalf("%s window %d packet %d:\nmapped   %.200s\nbuffered %.200s", filepath.Base(path), win, i+1, got[i], wantPkts[i])
			}
		}
	}
}

// TestMappedMatchesBuffered reads every shared capture through the memory
// map (with the normal window and with windows small enough that records
// straddle them) and through a plain buffer: packets, offsets, times and
// the final error must be identical.
func TestMappedMatchesBuffered(t *testing.T) {
	dir := filepath.Dir(shared.Path(t, "pcaps/SOURCES.md"))
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	if len(files) == 0 {
		t.Fatal("no captures in", dir)
	}
	for _, p := range files {
		compareMapped(t, p)
	}
}

// TestMappedTruncated: a file cut mid-record gives the same error, at the
// same offset, mapped or buffered; so does every corrupt case.
func TestMappedTruncated(t *testing.T) {
	dir := t.TempDir()
	good := ng(binary.LittleEndian, 6, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
	var pc bytes.Buffer
	w, _ := NewWriter(&pc, 1, 0, false)
	for i := range 50 {
		_ = w.WritePacket(time.Unix(int64(1700000000+i), int64(i)*1000), bytes.Repeat([]byte{byte(i)}, 100+i), 0)
	}
	cases := map[string][]byte{
		"ng-cut":   good[:len(good)-6],
		"pcap-cut": pc.Bytes()[:pc.Len()-37],
		"pcap-hdr": pc.Bytes()[:pc.Len()-(16+149)+5],
		"pcap":     pc.Bytes(),
		"garbage":  []byte("hello world, this is not a capture file at all"),
	}
	for name, data := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		compareMapped(t, p)
	}
	// The buffered result itself is right: 50 packets, then the cut one.
	pk, end := readAll(t, bytes.NewReader(cases["pcap-cut"]))
	if len(pk) != 49 || end != "offset 6884 (packet 50): truncated packet data (112 of 149 bytes)" {
		t.Fatalf("%d packets, end %q", len(pk), end)
	}
}

// TestMappedNotWritten: reading never changes the file.
func TestMappedNotWritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.pcap")
	data := ng(binary.BigEndian, 0x89, []byte{9, 9, 9}, 7)
	if err := os.WriteFile(p, data, 0o444); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, f)
	f.Close()
	after, _ := os.ReadFile(p)
	if !bytes.Equal(after, data) {
		t.Fatal("file changed")
	}
}

// TestPinnedKeepsData: a pinned reader keeps every packet's bytes mapped
// until they are released, across many window changes; released windows
// are unmapped at the next change.
// pageWindowCapture writes a pcap of n packets (packet i: size(i) bytes of
// i) and opens it through one-page map windows, so records straddle and
// remaps come early; everything is undone in cleanup.
func pageWindowCapture(t *testing.T, n int, size func(i int) int) (*Reader, string) {
	t.Helper()
	def := mapWindow
	t.Cleanup(func() { mapWindow = def })
	mapWindow = 4096
	var pc bytes.Buffer
	w, _ := NewWriter(&pc, 1, 0, false)
	for i := range n {
		_ = w.WritePacket(time.Unix(int64(1700000000+i), 0), bytes.Repeat([]byte{byte(i)}, size(i)), 0)
	}
	p := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(p, pc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, p
}

func TestPinnedKeepsData(t *testing.T) {
	r, _ := pageWindowCapture(t, 300, func(i int) int { return 200 + i%50 })
	if !r.Pin() {
		if runtime.GOOS == "linux" {
			t.Fatal("a regular file could not be pinned")
		}
		t.Skip("no memory map on", runtime.GOOS)
	}
	var held [][]byte
	for {
		pk, err := r.Next()
		if err != nil {
			break
		}
		held = append(held, pk.Data)
	}
	if len(held) != 300 || len(r.mm.old) < 10 {
		t.Fatalf("%d packets, %d windows kept", len(held), len(r.mm.old))
	}
	for i, d := range held { // still mapped: reading them must not fault
		if len(d) != 200+i%50 || d[0] != byte(i) || d[len(d)-1] != byte(i) {
			t.Fatalf("packet %d changed", i+1)
		}
	}
	r.Release(r.Offset())
	r.mm.unmapReleased()
	if len(r.mm.old) != 0 {
		t.Fatalf("%d windows still kept after release", len(r.mm.old))
	}
}

// TestMappedShrunkBeforeRemap: a file truncated by someone else while it is
// read, noticed when the next window is mapped (not by a memory fault in
// the current one), ends the read with an error naming the offset; the
// packets before it are read, nothing panics. Windows of one page make the
// remap come early.
func TestMappedShrunkBeforeRemap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory-mapped reading is checked on Linux")
	}
	pr, p := pageWindowCapture(t, 200, func(int) int { return 200 })
	n := 0
	for ; n < 10; n++ { // 10 × 216 bytes: inside the first 4 KB window
		if _, err := pr.Next(); err != nil {
			t.Fatalf("packet %d: %v", n+1, err)
		}
	}
	if err := os.Truncate(p, 4096); err != nil {
		t.Fatal(err)
	}
	var last error
	for range 400 {
		if _, last = pr.Next(); last != nil {
			break
		}
		n++
	}
	if last == nil || !strings.Contains(last.Error(), "changed while it was read") || !strings.Contains(last.Error(), "offset ") {
		t.Fatalf("after %d packets: %v", n, last)
	}
	if n < 10 || n > 4096/216 {
		t.Errorf("%d packets read before the error, want the ones in the first 4 KB", n)
	}
	for range 3 { // the error stays, no panic
		if _, err := pr.Next(); err == nil {
			t.Fatal("a read after the error succeeded")
		}
	}
}
