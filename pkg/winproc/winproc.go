// Package winproc has Windows process helpers the cross-platform process
// scanner cannot get from gopsutil.
package winproc

import "errors"

// ErrUnsupported is returned off Windows.
var ErrUnsupported = errors.New("only on Windows")
