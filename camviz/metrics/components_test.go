package metrics

import (
	"image"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

func TestBoxesFromMapComponents(t *testing.T) {
	// Two blobs: A (3 pixels, top-left, joined only diagonally) and B (4 pixels).
	m := mapFrom([][]float32{
		{1, 0, 0, 0, 0, 0},
		{0, 1, 0, 0, 0, 0},
		{0, 0, 1, 0, 0, 0},
		{0, 0, 0, 0, 1, 1},
		{0, 0, 0, 0, 1, 1},
	})
	// 8-connectivity: the diagonal chain is one component with box x 0..2, y 0..2.
	sameBoxes(t, "V2", BoxesFromMap(m, 0.5, true), []image.Rectangle{image.Rect(0, 0, 3, 3), image.Rect(4, 3, 6, 5)})
	sameBoxes(t, "V1 largest", BoxesFromMap(m, 0.5, false), []image.Rectangle{image.Rect(4, 3, 6, 5)})
	// At τ = 1 nothing is strictly above the normalised maximum.
	sameBoxes(t, "tau 1", BoxesFromMap(m, 1, false), nil)
}

func TestBoxesFromMapTiesAndNormalisation(t *testing.T) {
	// Two equal 2-pixel components: the first in raster order wins.
	m := mapFrom([][]float32{
		{0, 0, 0, 0, 0},
		{0, 0, 0, 7, 7},
		{0, 0, 0, 0, 0},
		{7, 7, 0, 0, 0},
	})
	sameBoxes(t, "tie", BoxesFromMap(m, 0, false), []image.Rectangle{image.Rect(3, 1, 5, 2)})
	// The map is min-max normalised first: values in [2, 4] threshold at 2+τ·2.
	g := mapFrom([][]float32{{2, 3, 4}, {2, 2, 3.5}})
	sameBoxes(t, "tau .5", BoxesFromMap(g, 0.5, true), []image.Rectangle{image.Rect(2, 0, 3, 2)})
	sameBoxes(t, "tau .4", BoxesFromMap(g, 0.4, true), []image.Rectangle{image.Rect(1, 0, 3, 2)})
	// Constant and all-zero maps have no foreground at τ ≥ 0.
	sameBoxes(t, "zeros", BoxesFromMap(heatmap.NewMap(3, 3), 0, false), nil)
	sameBoxes(t, "nil", BoxesFromMap(nil, 0, false), nil)
	// NaN pixels are never foreground.
	n := mapFrom([][]float32{{float32(math.NaN()), 1}, {0, 0}})
	sameBoxes(t, "nan", BoxesFromMap(n, 0.5, true), []image.Rectangle{image.Rect(1, 0, 2, 1)})
}

// A ring is one component (its hole is not a component); the V1 box is the
// ring's box.
func TestBoxesFromMapRing(t *testing.T) {
	m := fillMap(7, 7, []image.Rectangle{image.Rect(1, 1, 6, 6), image.Rect(2, 2, 5, 5)}, []float32{1, 0})
	sameBoxes(t, "ring", BoxesFromMap(m, 0.5, true), []image.Rectangle{image.Rect(1, 1, 6, 6)})
}

// wsolevaluation's own unit tests (evaluation_test.py), thresholds
// np.arange(0, 1, 0.2); their inclusive boxes are converted with InclusiveBox.
func TestBoxesFromMapWSOLMatchesReferenceTests(t *testing.T) {
	taus := []float32{0, 0.2, 0.4, 0.6, 0.8}
	uni := mapFrom([][]float32{
		{0.0, 0.0, 0.0, 0.0, 0.0},
		{0.0, 0.4, 0.4, 0.4, 0.6},
		{0.0, 0.4, 1.0, 0.8, 0.6},
		{0.0, 0.4, 0.4, 0.4, 0.6},
	})
	uniWant := [][4]int{{1, 1, 4, 3}, {1, 1, 4, 3}, {2, 1, 4, 3}, {2, 2, 4, 3}, {2, 2, 3, 3}}
	multi := mapFrom([][]float32{
		{0.4, 0.0, 0.2, 0.2, 0.2},
		{0.4, 0.4, 0.0, 0.4, 0.0},
		{0.0, 0.0, 0.0, 0.4, 0.0},
		{1.0, 0.6, 0.8, 0.2, 0.2},
	})
	// At τ = 0.2 the chosen contour is the 3-pixel one (contour area 0.5) over
	// the 5-pixel one-pixel-wide chain (area 0); at 0.6 two single pixels tie.
	multiWant := [][4]int{{0, 0, 4, 3}, {0, 0, 2, 2}, {0, 3, 3, 3}, {2, 3, 3, 3}, {0, 3, 1, 3}}
	zeroWant := [][4]int{{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}
	for _, c := range []struct {
		name string
		m    *heatmap.Map
		want [][4]int
	}{{"unimodal", uni, uniWant}, {"multimodal", multi, multiWant}, {"degenerate", heatmap.NewMap(3, 3), zeroWant}} {
		for k, tau := range taus {
			got, err := BoxesFromMapWSOL(c.m, tau, false)
			if err != nil {
				t.Fatal(err)
			}
			w := c.want[k]
			sameBoxes(t, c.name, got, []image.Rectangle{InclusiveBox(w[0], w[1], w[2], w[3])})
		}
	}
	// The default extraction ranks by pixel count: at τ = 0.2 the 5-pixel chain
	// (x 0..3, y 1..3) wins, with a tight box.
	sameBoxes(t, "default", BoxesFromMap(multi, 0.2, false), []image.Rectangle{image.Rect(0, 1, 4, 4)})
	if _, err := BoxesFromMapWSOL(mapFrom([][]float32{{0, 2}}), 0, false); err == nil {
		t.Error("BoxesFromMapWSOL accepted a value above 1")
	}
}

func TestContourAreaAndHoles(t *testing.T) {
	// A filled 3×3 square: polygon through the 8 border centres is 2×2 = 4.
	sq := make([]bool, 25)
	for y := 1; y < 4; y++ {
		for x := 1; x < 4; x++ {
			sq[y*5+x] = true
		}
	}
	near(t, "square area", outerContourArea(sq, 5, 5, 1, 1), 4, 0)
	// A one-pixel-wide line and an isolated pixel have area 0.
	line := []bool{true, true, true, false}
	near(t, "line area", outerContourArea(line, 1, 4, 0, 0), 0, 0)
	near(t, "pixel area", outerContourArea([]bool{true}, 1, 1, 0, 0), 0, 0)
	// Removing the centre makes a ring with a one-pixel hole at (2,2): the hole
	// contour's box is the hole grown by one pixel; V2 in WSOL mode scores it.
	sq[2*5+2] = false
	sameBoxes(t, "hole", holeBoxes(sq, 5, 5), []image.Rectangle{image.Rect(1, 1, 4, 4)})
	near(t, "ring area", outerContourArea(sq, 5, 5, 1, 1), 4, 0)
}

// The incremental sweep used by BoxAccumulator must give exactly the boxes of
// BoxesFromMap at every threshold, ties included.
func TestSweepMatchesBoxesFromMap(t *testing.T) {
	r := lcg(7)
	for trial := 0; trial < 20; trial++ {
		h, w := 3+int(r.next()*9), 3+int(r.next()*9)
		m := heatmap.NewMap(h, w)
		for i := range m.Data {
			m.Data[i] = float32(math.Floor(r.next()*6)) / 5 // many ties
		}
		taus := thresholdGrid(0.05)
		for _, all := range []bool{false, true} {
			lv := normalizedLevels(m)
			sweepBoxes(lv, h, w, taus, all, func(k int, boxes []image.Rectangle) {
				want := boxesFromLevels(lv, h, w, taus[k], all)
				if !sameSet(boxes, want) {
					t.Fatalf("trial %d all=%v τ=%v: sweep %v, BoxesFromMap %v", trial, all, taus[k], boxes, want)
				}
			})
		}
	}
}

func sameSet(a, b []image.Rectangle) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[image.Rectangle]int{}
	for _, r := range a {
		count[r]++
	}
	for _, r := range b {
		count[r]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
