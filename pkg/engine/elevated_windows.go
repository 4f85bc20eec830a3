package engine

import "golang.org/x/sys/windows"

// isElevated reports whether the process token is elevated (administrator).
func isElevated() bool { return windows.GetCurrentProcessToken().IsElevated() }
