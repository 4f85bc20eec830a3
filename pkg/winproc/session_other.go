//go:build !windows

package winproc

// SessionID returns ErrUnsupported off Windows.
func SessionID(pid uint32) (uint32, error) { return 0, ErrUnsupported }
