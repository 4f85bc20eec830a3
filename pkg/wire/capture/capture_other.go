//go:build !linux && !windows && !darwin && !freebsd

package capture

import "context"

const notPermittedText = "live capture needs root"

// Handle is not available on this platform.
type Handle struct{ opts Options }

// Open always fails with ErrNotSupported on this platform.
func Open(Options) (*Handle, error) { return nil, ErrNotSupported }

// LinkType is 0 on this platform.
func (h *Handle) LinkType() uint32 { return 0 }

// Run always fails with ErrNotSupported on this platform.
func (h *Handle) Run(context.Context, Handler) (Stats, error) { return Stats{}, ErrNotSupported }

// Close does nothing on this platform.
func (h *Handle) Close() error { return nil }
