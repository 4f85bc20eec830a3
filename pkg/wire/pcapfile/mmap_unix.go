//go:build linux || darwin || freebsd || netbsd || openbsd

package pcapfile

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

var pageSize = os.Getpagesize()

// newMapped returns a mapped source for a regular file, or nil when the
// file cannot be mapped (pipe, device, empty, or mmap refused): the caller
// then reads it through a buffer.
func newMapped(f *os.File) *mapped {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return nil
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil || pos >= st.Size() {
		return nil
	}
	m := &mapped{f: f, size: st.Size(), base: pos}
	// Probe: a file system without mmap support falls back to reads.
	start := pos &^ int64(pageSize-1)
	if err := m.remap(start, int(min(int64(mapWindow), m.size-start))); err != nil {
		return nil
	}
	m.pos = int(pos - start)
	return m
}

func (m *mapped) remap(start int64, length int) error {
	if m.win != nil {
		if m.pinned {
			// Packets handed out may still be in use: unmap the window
			// once they are released.
			m.old = append(m.old, oldWindow{m.win, m.base + int64(len(m.win))})
		} else {
			_ = unix.Munmap(m.win[:cap(m.win)])
		}
		m.win = nil
	}
	m.unmapReleased()
	// A file that shrank since it was opened would fault on access to the
	// missing pages: check before mapping.
	if st, err := m.f.Stat(); err != nil || st.Size() < start+int64(length) {
		return fmt.Errorf("the capture file changed while it was read (now shorter than offset %d: truncated after it was opened?)", start+int64(length))
	}
	b, err := unix.Mmap(int(m.f.Fd()), start, length, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap at offset %d: %w", start, err)
	}
	_ = unix.Madvise(b, unix.MADV_SEQUENTIAL)
	m.win, m.base, m.ahead = b, start, 0
	return nil
}

// unmapReleased unmaps the retained windows whose packets are all released.
func (m *mapped) unmapReleased() {
	done := m.released.Load()
	keep := m.old[:0]
	for _, w := range m.old {
		if w.end <= done {
			_ = unix.Munmap(w.b[:cap(w.b)])
		} else {
			keep = append(keep, w)
		}
	}
	clear(m.old[len(keep):])
	m.old = keep
}

func (m *mapped) close() error {
	m.err = errClosed
	for _, w := range m.old {
		_ = unix.Munmap(w.b[:cap(w.b)])
	}
	m.old = nil
	if m.win == nil {
		return nil
	}
	err := unix.Munmap(m.win[:cap(m.win)])
	m.win, m.pos = nil, 0
	return err
}
