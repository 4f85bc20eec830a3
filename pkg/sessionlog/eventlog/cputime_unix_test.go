//go:build unix

package eventlog

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: with other jobs sharing
// the cores, wall-clock ns/op swings several-fold, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
