//go:build windows

package portable

import (
	"io/fs"
	"syscall"
	"time"
)

func created(fi fs.FileInfo) (time.Time, bool) {
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok && d.CreationTime.Nanoseconds() > 0 {
		return time.Unix(0, d.CreationTime.Nanoseconds()).UTC(), true
	}
	return time.Time{}, false
}
