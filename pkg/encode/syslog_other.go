//go:build plan9 || js || wasip1

package encode

import "errors"

// OpenSyslog is not available on this platform.
func OpenSyslog() (Sink, error) { return nil, errors.New("--syslog is not supported on this platform") }

// DialSyslog is not available on this platform.
func DialSyslog(network, addr string) (Sink, error) {
	return nil, errors.New("--syslog-server is not supported on this platform")
}
