//go:build !linux

package source

import "os"

// openNoATime opens a regular file read-only. Anything else (a FIFO, whose
// open would block, or a device) is refused before it is opened.
func openNoATime(p string) (*os.File, error) {
	if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return regularOnly(f, p)
}
