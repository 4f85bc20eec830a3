//go:build windows

package execution

import (
	"errors"

	"golang.org/x/sys/windows/registry"

	"github.com/ratwatch/ratwatch/pkg/hive"
)

// bamLive reads BAM/DAM through the registry API. Reading it needs
// administrator rights; a refusal is recorded as a problem.
func (c *collector) bamLive() bool {
	read := false
	for _, bp := range bamPaths {
		full := `SYSTEM\CurrentControlSet\` + bp
		k, err := hive.OpenLive(registry.LOCAL_MACHINE, full, hive.View64, `HKLM\`+full)
		if err != nil {
			if !errors.Is(err, hive.ErrNotFound) {
				c.errorf("%v", err)
			}
			continue
		}
		read = true
		ex, errs := BAM(k)
		k.Close()
		c.ex = append(c.ex, ex...)
		c.errs = append(c.errs, errs...)
	}
	if read {
		c.sources++
	}
	return true
}
