package metrics

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

func causalRun(t *testing.T, cfg CausalConfig, b Batch, maps []*heatmap.Map) CausalResult {
	t.Helper()
	acc, err := NewCausalAccumulator(linearScore(0, []float32{0.25, 0.25, 0.25, 0.25}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Update(b, maps); err != nil {
		t.Fatal(err)
	}
	res, err := acc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Score = mean pixel of a 2×2 image x = 4 3 2 1, map = x (so pixels go in
// raster order). Deletion to zeros, 4 steps: s = 2.5, 1.5, 0.75, 0.25, 0 and
// AUC = ¼·(2 + 1.125 + 0.5 + 0.125) = 0.9375. Insertion from zeros:
// s = 0, 1, 1.75, 2.25, 2.5, AUC = 1.5625; for a linear score the two sum to
// s(image) + s(baseline) = 2.5.
func TestDeletionInsertionKnownCurves(t *testing.T) {
	b := Batch{Pixels: []float32{4, 3, 2, 1}, N: 1, H: 2, W: 2, C: 1}
	maps := []*heatmap.Map{{H: 2, W: 2, Data: []float32{4, 3, 2, 1}}}
	del := causalRun(t, CausalConfig{Mode: Deletion, Steps: 4}, b, maps)
	near(t, "deletion AUC", del.AUC, 0.9375, 1e-12)
	for i, want := range []float64{2.5, 1.5, 0.75, 0.25, 0} {
		near(t, "deletion curve", del.Curve[i], want, 1e-12)
		near(t, "x", del.X[i], float64(i)/4, 0)
	}
	ins := causalRun(t, CausalConfig{Mode: Insertion, Steps: 4, Baseline: BaselineZero}, b, maps)
	near(t, "insertion AUC", ins.AUC, 1.5625, 1e-12)
	near(t, "deletion + insertion", del.AUC+ins.AUC, 2.5, 1e-12)
	// 2 steps (k = 0, 2, 4): ½·((2.5+0.75)/2 + (0.75+0)/2) = 1.
	near(t, "2 steps", causalRun(t, CausalConfig{Steps: 2}, b, maps).AUC, 1, 1e-12)
	// 3 steps do not divide 4 pixels: k = 0, 1, 2, 4, x = 0, ¼, ½, 1:
	// ¼·2 + ¼·1.125 + ½·0.375 = 0.96875.
	near(t, "3 steps", causalRun(t, CausalConfig{Steps: 3}, b, maps).AUC, 0.96875, 1e-12)
	// Ties keep raster order: a constant map deletes 4, 3, 2, 1 in that order too.
	flat := causalRun(t, CausalConfig{Steps: 4}, b, []*heatmap.Map{{H: 2, W: 2, Data: []float32{0, 0, 0, 0}}})
	near(t, "constant map", flat.AUC, 0.9375, 1e-12)
}

// RISE's kernel: k[p] = Σ_{j: reflect(p+j) = 5} g_j / Σ_{|j|≤20} g_j,
// g_j = exp(−j²/50). By hand, k[5] takes j = 0, ±11 and k[0] takes j = 5, −6,
// 16, −17.
func TestRISEKernel(t *testing.T) {
	g := func(j float64) float64 { return math.Exp(-j * j / 50) }
	sum := 0.0
	for j := -20.0; j <= 20; j++ {
		sum += g(j)
	}
	k := riseKernel1D()
	near(t, "k[5]", k[5], (g(0)+2*g(11))/sum, 1e-15)
	near(t, "k[0]", k[0], (g(5)+g(6)+g(16)+g(17))/sum, 1e-15)
	for p := range k {
		near(t, "symmetry", k[p], k[10-p], 1e-16)
	}
	// A constant image keeps c·(Σk)² at least 5 pixels from the border (the
	// zero padding darkens the rest).
	ks := 0.0
	for _, v := range k {
		ks += v
	}
	img := make([]float32, 13*13*2)
	for i := range img {
		img[i] = 2
	}
	out := riseBlur(img, 13, 13, 2)
	near(t, "interior", float64(out[(6*13+6)*2+1]), 2*ks*ks, 1e-6)
	if out[0] >= out[(6*13+6)*2] {
		t.Errorf("corner %v not darker than centre %v", out[0], out[(6*13+6)*2])
	}
}

func TestCausalBadInput(t *testing.T) {
	score := linearScore(0, []float32{1, 1, 1, 1})
	for _, cfg := range []CausalConfig{{Steps: -1}, {Mode: 7}, {Baseline: 9}, {BatchSize: -2}} {
		if _, err := NewCausalAccumulator(score, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	acc, _ := NewCausalAccumulator(score, CausalConfig{Steps: 5})
	b := Batch{Pixels: []float32{4, 3, 2, 1}, N: 1, H: 2, W: 2, C: 1}
	if err := acc.Update(b, []*heatmap.Map{{H: 2, W: 2, Data: []float32{1, 2, 3, 4}}}); err == nil {
		t.Error("5 steps on 4 pixels accepted")
	}
	if _, err := acc.Summary(); err == nil {
		t.Error("Summary with zero images returned no error")
	}
}
