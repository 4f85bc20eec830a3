//go:build plan9 || js || wasip1

package encode

import "errors"

// OpenSyslog is not available on this platform.
func OpenSyslog() (Sink, error) { return nil, errors.New("--syslog is not supported on this platform") }
