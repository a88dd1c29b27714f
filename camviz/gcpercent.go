package camviz

import (
	"runtime/debug"
	"sync"
)

// chunkedGCPercent is the garbage collector's target percentage (GOGC) while graphs with
// chunked passes run: the heap may grow to 1 + chunkedGCPercent/100 times what was live
// after the last collection (GOGC's default, 100, lets it double).
const chunkedGCPercent = 50

// gcPercent is the collector setting camviz changes while chunked passes run.
var gcPercent struct {
	mu sync.Mutex
	// runs is the number of chunked runs in progress; saved the setting before the first.
	runs  int
	saved int
}

// lowerGCPercentWhileRunning sets the collector's target percentage to chunkedGCPercent
// for a run with chunked passes (Score-CAM, Ablation-CAM) and returns the function that
// restores it when the run is over; concurrent runs share the change, and the last one
// to end restores the setting. A program whose setting is already at or below it, or
// off (GOGC=off), keeps its own.
//
// Why: the backend's buffers are on the Go heap, and chunked passes allocate and free
// one chunk's buffers after the other, so with the default setting the heap, and the
// resident set with it, rose to about twice what the passes held (ResNet-18, Score-CAM
// at layer4.1 with a 256 MiB budget: 254-256 MB live after each collection, 474-494 MB
// before the next, peak RSS 548-562 MiB; docs/performance.md). The buffers hold no
// pointers, so the extra collections cost little.
func lowerGCPercentWhileRunning() (restore func()) {
	g := &gcPercent
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.runs == 0 {
		g.saved = debug.SetGCPercent(chunkedGCPercent)
		if g.saved <= chunkedGCPercent { // negative: off
			debug.SetGCPercent(g.saved) // the program's own, lower (or off): keep it
		}
	}
	g.runs++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.runs--; g.runs == 0 {
				debug.SetGCPercent(g.saved)
			}
		})
	}
}
