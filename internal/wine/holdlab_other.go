//go:build !linux

package wine

import "testing"

func holdLab(testing.TB) {}
