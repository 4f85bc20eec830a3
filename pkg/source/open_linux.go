package source

import (
	"os"
	"syscall"
)

// openNoATime opens read-only with O_NOATIME so reading evidence does not
// change its access time. O_NOATIME needs ownership or CAP_FOWNER; without
// them the kernel says EPERM and we fall back to a plain read-only open.
func openNoATime(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOATIME, 0)
	if err == nil {
		return f, nil
	}
	if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.EPERM {
		return os.Open(p)
	}
	return nil, err
}
