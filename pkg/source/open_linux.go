package source

import (
	"os"
	"syscall"
)

// openNoATime opens a regular file read-only with O_NOATIME so reading
// evidence does not change its access time. O_NOATIME needs ownership or
// CAP_FOWNER; without them the kernel says EPERM and we fall back to a plain
// read-only open. O_NONBLOCK keeps a FIFO from blocking the open; anything
// but a regular file (a FIFO, a device such as /dev/zero named like a log) is
// refused: reading it would never end.
func openNoATime(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOATIME|syscall.O_NONBLOCK, 0)
	if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.EPERM {
		f, err = os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, err
	}
	return regularOnly(f, p)
}
