// Package gctune sets the process's garbage-collector policy: collect
// rarely (a scan is short-lived) but keep a small heap small, without
// thrashing when what the scan holds is large.
//
// A fixed soft memory limit does the first two: with GOGC 400 and a 48 MiB
// limit a capture of any size is read with a peak RSS of ~60 MB. But when
// the live heap itself passes the limit — the records of a 5 MB AnyDesk
// connection_trace with 57,000 rows are ~100 MB — the runtime collects back
// to back (53 collections, most of the CPU: `ratwatch logs` took 1.1–1.25 s,
// 0.36 s with no limit, peak RSS 210 MB). So after every collection the
// limit is set again to the larger of the floor and Headroom × the live
// heap: a small heap keeps the floor, a large one gets room to grow before
// the next collection. Measured on that log: Headroom 2 → 0.53 s, 165 MB;
// 3 → 0.37 s, 190 MB; 4 → 0.39 s, 248 MB.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Headroom is the limit as a multiple of the live heap (when above the floor).
const Headroom = 3

var (
	mu    sync.Mutex
	floor int64
	armed bool
	// arms counts re-arms (the collections seen), for tests.
	arms int
)

// Start sets GOGC to percent and the soft memory limit to floor, and keeps
// the limit at max(floor, Headroom × live heap) after every collection.
// Calling it again changes the settings (one re-arming chain runs).
func Start(percent int, floorBytes int64) {
	debug.SetGCPercent(percent)
	mu.Lock()
	defer mu.Unlock()
	floor = floorBytes
	debug.SetMemoryLimit(floorBytes)
	if !armed {
		armed = true
		arm()
	}
}

// sentinel is garbage as soon as it is armed: its finalizer runs after the
// next collection. It holds a pointer so it is not a tiny allocation (tiny
// objects share a block, and their finalizers may never run).
type sentinel struct{ p *int }

func arm() {
	runtime.SetFinalizer(&sentinel{p: new(int)}, func(*sentinel) {
		adjust()
		arm()
	})
}

var sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// adjust runs on the finalizer goroutine after a collection.
func adjust() {
	mu.Lock()
	defer mu.Unlock()
	arms++
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return // metric unknown to this runtime: keep the floor
	}
	live := int64(sample[0].Value.Uint64())
	debug.SetMemoryLimit(max(floor, Headroom*live))
}

// Limit is the soft memory limit now in effect.
func Limit() int64 { return debug.SetMemoryLimit(-1) }

// collections is the number of collections adjust has seen.
func collections() int {
	mu.Lock()
	defer mu.Unlock()
	return arms
}
