package wine

import (
	"testing"

	"github.com/ratwatch/ratwatch/internal/lab"
)

// holdLab holds the lab's host lock shared while t runs (the lab is Linux
// only; test packages that import this one are also built for Windows).
func holdLab(t testing.TB) { lab.Shared(t) }
