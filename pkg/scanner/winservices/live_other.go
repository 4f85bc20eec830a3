//go:build !windows

package winservices

import (
	"context"

	"github.com/ratwatch/ratwatch/pkg/inventory"
)

func scanLive(context.Context) (inventory.Inventory, bool) { return inventory.Inventory{}, false }
