package metrics

import (
	"image"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// mapFrom builds a map from rows of values (rows[y][x]).
func mapFrom(rows [][]float32) *heatmap.Map {
	h, w := len(rows), len(rows[0])
	m := &heatmap.Map{H: h, W: w, Data: make([]float32, 0, h*w)}
	for _, r := range rows {
		m.Data = append(m.Data, r...)
	}
	return m
}

// fillMap returns an h×w map of zeros with value v on each of the rectangles,
// later rectangles overwriting earlier ones.
func fillMap(h, w int, rects []image.Rectangle, vals []float32) *heatmap.Map {
	m := &heatmap.Map{H: h, W: w, Data: make([]float32, h*w)}
	for i, r := range rects {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.Data[y*w+x] = vals[i]
			}
		}
	}
	return m
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (tol %g)", what, got, want, tol)
	}
}

func sameBoxes(t *testing.T, what string, got, want []image.Rectangle) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
	}
}

// lcg is a tiny deterministic generator for test data.
type lcg uint64

func (l *lcg) next() float64 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return float64(uint64(*l)>>11) / (1 << 53)
}
