//go:build !windows

package engine

func isElevated() bool { return false }
