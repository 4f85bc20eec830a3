//go:build !windows

package execution

func (c *collector) bamLive() bool { return false }
