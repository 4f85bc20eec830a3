//go:build !windows

package winsoftware

import (
	"context"

	"github.com/ratwatch/ratwatch/pkg/scanner"
)

func scanLive(context.Context, *scanner.Env, *collector) bool { return false }
