//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package pcapfile

import "os"

var pageSize = os.Getpagesize()

// newMapped: files are read through a buffer on this platform.
func newMapped(*os.File) *mapped { return nil }

func (m *mapped) remap(int64, int) error { return nil }

func (m *mapped) close() error { return nil }

func (m *mapped) unmapReleased() {}
