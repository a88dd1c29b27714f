package fastconv

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestPhaseAxisByHand: the input gradient of a 3-tap, stride-2, pad-1 conv is
// a conv with input dilation 2 and padding 1. Output y = 2q + r reads
// dilated position y + k - 1: phase 0 only tap k=1 (input q), phase 1 taps
// k=0 (input q) and k=2 (input q+1). So 2 sub-kernel taps, offsets 0 and 1.
func TestPhaseAxisByHand(t *testing.T) {
	pa := newPhaseAxis(2, 1, 1, 3, 8)
	if pa.eMin != 0 || pa.step != 1 || pa.taps != 2 || pa.q != 4 {
		t.Fatalf("phaseAxis = %+v, want eMin 0, step 1, 2 taps, q 4", pa)
	}
	want := [][]int{{1, 0}, {-1, 2}}
	for j := range want {
		if !slices.Equal(pa.tap[j], want[j]) {
			t.Errorf("tap[%d] = %v, want %v", j, pa.tap[j], want[j])
		}
	}
}

// polyphaseCases are input-dilated, stride-1 convolutions (the input
// gradients of strided convolutions) that must take the polyphase path.
func polyphaseCases() []convCase {
	cl := channelsLast(2)
	return []convCase{
		{name: "grad of 3x3 s2 p1", inDims: []int{2, 4, 4, 5}, kDims: []int{3, 3, 5, 3}, axes: cl, inDil: []int{2, 2}, pads: [][2]int{{1, 2}, {1, 2}}},
		{name: "grad of 7x7 s2 p3 NCHW", inDims: []int{1, 4, 5, 6}, kDims: []int{3, 4, 7, 7}, axes: channelsFirst(2), inDil: []int{2, 2}, pads: [][2]int{{3, 4}, {3, 4}}},
		{name: "dilation 3, kernel dilation 2, groups", inDims: []int{1, 5, 4, 4}, kDims: []int{4, 3, 2, 6}, axes: cl, inDil: []int{3, 2}, kDil: []int{2, 1}, pads: [][2]int{{2, 1}, {0, 3}}, channelGroups: 2},
		{name: "one dilated axis, negative pad", inDims: []int{2, 6, 5, 2}, kDims: []int{4, 2, 2, 2}, axes: cl, inDil: []int{1, 2}, pads: [][2]int{{-1, 2}, {1, 1}}},
		{name: "1-D batch groups", inDims: []int{4, 7, 2}, kDims: []int{5, 2, 6}, axes: channelsLast(1), inDil: []int{3}, pads: [][2]int{{4, 4}}, batchGroups: 2},
	}
}

func TestPolyphase(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	for _, c := range polyphaseCases() {
		p, err := newPlan(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...),
			c.axes, c.strides, c.pads, c.inDil, c.kDil, max(c.channelGroups, 1), max(c.batchGroups, 1))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if _, ok := p.polyphase(); !ok {
			t.Errorf("%s: polyphase lowering not selected", c)
		}
		if s := compareConv(t, rng, c, false, 1e-5); s.Lowered != 1 {
			t.Errorf("%s: stats %+v", c, s)
		}
	}
}

// TestPolyphaseRandom draws stride-1, input-dilated convolutions (random
// sizes, dilations, paddings, groups and layouts) and compares them with the
// native op.
func TestPolyphaseRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	for n := 0; n < 60; {
		c := randomCase(rng, false)
		c.strides = nil
		for a := range c.inDil {
			if rng.IntN(2) == 0 {
				c.inDil[a] = 2 + rng.IntN(3)
			}
		}
		if out, err := c.outShape(); err != nil || out.Size() == 0 {
			continue
		}
		n++
		compareConv(t, rng, c, false, 1e-5)
	}
}
