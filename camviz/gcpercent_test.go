package camviz_test

import (
	"runtime/debug"
	"testing"

	"github.com/camviz/camviz/camviz"
)

// TestLowerGCPercentWhileRunning checks the collector setting of chunked runs: GOGC 50
// while any run is in progress (nested runs share it), the program's setting back when
// the last one ends, and a program's own lower setting, or GC off, left alone.
func TestLowerGCPercentWhileRunning(t *testing.T) {
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	saved := debug.SetGCPercent(100)
	defer debug.SetGCPercent(saved)

	outer := camviz.LowerGCPercentWhileRunning()
	if p := current(); p != 50 {
		t.Errorf("during a run: GOGC %d, want 50", p)
	}
	inner := camviz.LowerGCPercentWhileRunning()
	outer()
	outer() // a second call changes nothing
	if p := current(); p != 50 {
		t.Errorf("while a second run is in progress: GOGC %d, want 50", p)
	}
	inner()
	if p := current(); p != 100 {
		t.Errorf("after the runs: GOGC %d, want the program's 100 back", p)
	}
	for _, own := range []int{20, -1} {
		debug.SetGCPercent(own)
		done := camviz.LowerGCPercentWhileRunning()
		if p := current(); p != own {
			t.Errorf("program's GOGC %d: %d during a run, want it kept", own, p)
		}
		done()
		if p := current(); p != own {
			t.Errorf("program's GOGC %d: %d after a run", own, p)
		}
	}
}
