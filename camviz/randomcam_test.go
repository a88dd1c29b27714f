package camviz_test

import (
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
)

// TestRandomCAM checks the random baseline: weights in [−1, 1), spread over the range,
// reproducible for a seed and different for another, and raw = Σ_k w_k·A_k with model A's
// relu3 activations (the reference activation file).
func TestRandomCAM(t *testing.T) {
	run := func(seed int64) *camviz.Result {
		return explainWith(t, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"},
			Methods: []camviz.Method{camviz.MethodRandomCAM}, RandomSeed: seed}, camviz.ClassTarget(3))
	}
	r1, r1b, r2 := run(1), run(1), run(2)
	w1, _ := r1.Weights("relu3", camviz.MethodRandomCAM)
	w1b, _ := r1b.Weights("relu3", camviz.MethodRandomCAM)
	w2, _ := r2.Weights("relu3", camviz.MethodRandomCAM)
	lo, hi := float32(1), float32(-1)
	for _, v := range w1[0] {
		lo, hi = min(lo, v), max(hi, v)
		if v < -1 || v >= 1 {
			t.Fatalf("weight %g outside [-1, 1)", v)
		}
	}
	if lo > -0.5 || hi < 0.5 {
		t.Errorf("64 uniform weights span only [%g, %g]", lo, hi)
	}
	if maxAbsErr(w1[0], w1b[0]) != 0 {
		t.Error("the same seed gave different weights")
	}
	if maxAbsErr(w1[0], w2[0]) == 0 {
		t.Error("different seeds gave the same weights")
	}
	acts, err := npy.ReadFile(modela.Dir() + "/activations_relu3.npy")
	if err != nil {
		t.Fatal(err)
	}
	a, dims, err := modela.NCHWToNHWC(acts)
	if err != nil {
		t.Fatal(err)
	}
	k := dims[3]
	want := make([]float32, dims[1]*dims[2])
	for p := range want {
		var s float64
		for c := 0; c < k; c++ {
			s += float64(w1[0][c]) * float64(a[p*k+c])
		}
		want[p] = float32(s)
	}
	raw, _ := r1.Raw("relu3", camviz.MethodRandomCAM)
	if e := maxRelErr(raw[0].Data, want); e > 1e-5 {
		t.Errorf("raw differs from Σ w·A by %.3g (relative)", e)
	}
}
