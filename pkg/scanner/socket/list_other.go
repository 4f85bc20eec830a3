//go:build !linux

package socket

import (
	"context"

	"github.com/ratwatch/ratwatch/pkg/inventory"
)

func list(ctx context.Context) ([]inventory.Socket, error) { return listPortable(ctx) }
