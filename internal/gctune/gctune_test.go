package gctune

import (
	"runtime"
	"testing"
)

// gcAndAdjust collects until adjust has run after a collection (bounded).
func gcAndAdjust(t *testing.T) {
	t.Helper()
	n := collections()
	for i := 0; i < 200; i++ {
		runtime.GC()
		runtime.Gosched()
		if collections() > n {
			// One more: the first may have seen a heap from before.
			n = collections()
			for j := 0; j < 200 && collections() == n; j++ {
				runtime.GC()
				runtime.Gosched()
			}
			return
		}
	}
	t.Fatal("the finalizer never ran after 200 collections")
}

func TestLimitFollowsLiveHeap(t *testing.T) {
	const floor = 48 << 20
	Start(400, floor)
	gcAndAdjust(t)
	if l := Limit(); l != floor {
		t.Fatalf("small heap: limit %d MiB, want the floor 48 MiB", l>>20)
	}

	// 160 MiB held live, in pointerful blocks as parsed records are.
	held := make([][]*int, 160)
	for i := range held {
		held[i] = make([]*int, (1<<20)/8)
	}
	gcAndAdjust(t)
	if l := Limit(); l < Headroom*160<<20 {
		t.Errorf("160 MiB live: limit %d MiB, want at least %d MiB", l>>20, Headroom*160)
	}
	runtime.KeepAlive(held)

	held = nil
	gcAndAdjust(t)
	if l := Limit(); l != floor {
		t.Errorf("after the heap shrank: limit %d MiB, want the floor again", l>>20)
	}
}
