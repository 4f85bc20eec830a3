//go:build !windows

package portable

import (
	"io/fs"
	"time"
)

// created is unknown off Windows: the Go stat of an image file on Linux has
// no birth time.
func created(fs.FileInfo) (time.Time, bool) { return time.Time{}, false }
