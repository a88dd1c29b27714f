package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// projections runs FirstPrincipalProjection on x [1, 2, 2, K] with both sign conventions.
func projections(t *testing.T, x [][]float64) (maxPositive, raw []float64) {
	t.Helper()
	k := len(x[0])
	flat := make([]float32, 0, 4*k)
	for _, row := range x {
		for _, v := range row {
			flat = append(flat, float32(v))
		}
	}
	in := tensors.FromFlatDataAndDimensions(flat, 1, 2, 2, k)
	out, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, a *graph.Node) []*graph.Node {
		return []*graph.Node{camviz.FirstPrincipalProjection(a, camviz.EigenSignMaxPositive),
			camviz.FirstPrincipalProjection(a, camviz.EigenSignRaw)}
	}, in)
	if err != nil {
		t.Fatal(err)
	}
	conv := func(t *tensors.Tensor) []float64 {
		var r []float64
		for _, v := range tensors.MustCopyFlatData[float32](t) {
			r = append(r, float64(v))
		}
		return r
	}
	return conv(out[0]), conv(out[1])
}

// lineData returns 4 positions x_p = c + t_p·u: centred, they lie on the line of u, so
// the first principal axis is ±u/|u| and the projection is ±|u|·t.
func lineData(c, u, tt []float64) [][]float64 {
	x := make([][]float64, len(tt))
	for p := range tt {
		x[p] = make([]float64, len(u))
		for i := range u {
			x[p][i] = c[i] + tt[p]*u[i]
		}
	}
	return x
}

func checkProj(t *testing.T, name string, got []float64, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 2e-5*(1+math.Abs(want[i])) {
			t.Errorf("%s: projection %v, want %v", name, got, want)
			return
		}
	}
}

// TestFirstPrincipalProjection checks the projection and both sign conventions on data
// whose principal axis is known, for K ≤ h·w (Gram matrix MᵀM) and K > h·w (MMᵀ).
func TestFirstPrincipalProjection(t *testing.T) {
	tt := []float64{2, -1, -3, 2} // mean 0; |min| > |max|
	neg := []float64{-2, 1, 3, -2}

	// K = 2 ≤ 4 positions; u = (0.6, 0.8) has its largest component positive.
	x := lineData([]float64{5, -1}, []float64{0.6, 0.8}, tt)
	maxPos, raw := projections(t, x)
	checkProj(t, "K=2 raw (v = +u)", raw, tt)
	checkProj(t, "K=2 max-positive (flips: |min| > |max|)", maxPos, neg)

	// K = 6 > 4 positions; u's largest component (−0.6) is negative, so the raw convention
	// orients v = −u.
	u := []float64{0.2, 0.4, -0.6, 0.1, 0, 0.3}
	var n float64
	for _, v := range u {
		n += v * v
	}
	n = math.Sqrt(n)
	for i := range u {
		u[i] /= n
	}
	x = lineData([]float64{1, 2, 3, 4, 5, 6}, u, tt)
	maxPos, raw = projections(t, x)
	checkProj(t, "K=6 raw (v = −u)", raw, neg)
	checkProj(t, "K=6 max-positive", maxPos, neg)

	// A constant layer centres to zero: the projection is 0, not NaN.
	x = [][]float64{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}}
	maxPos, raw = projections(t, x)
	checkProj(t, "constant layer", maxPos, []float64{0, 0, 0, 0})
	checkProj(t, "constant layer raw", raw, []float64{0, 0, 0, 0})
}

// TestEigenSignConventions checks on model A that the two conventions agree up to sign
// and that EigenSignMaxPositive makes the largest-magnitude value positive.
func TestEigenSignConventions(t *testing.T) {
	ms := []camviz.Method{camviz.MethodEigenCAM, camviz.MethodEigenGradCAM}
	for _, layer := range []string{"relu2", "relu3"} {
		a := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{layer}, Methods: ms}, camviz.ClassTarget(3, 5))
		b := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{layer}, Methods: ms, EigenSign: camviz.EigenSignRaw},
			camviz.ClassTarget(3, 5))
		for _, m := range ms {
			pos, _ := a.Raw(layer, m)
			raw, _ := b.Raw(layer, m)
			for i := range pos {
				lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
				for _, v := range pos[i].Data {
					lo, hi = min(lo, v), max(hi, v)
				}
				if -lo > hi {
					t.Errorf("%s %s example %d: max-positive map has min %g, max %g", m, layer, i, lo, hi)
				}
				if e := math.Min(maxAbsErr(pos[i].Data, raw[i].Data), maxAbsErr(pos[i].Data, negated(raw[i].Data))); e != 0 {
					t.Errorf("%s %s example %d: conventions differ by more than sign (%g)", m, layer, i, e)
				}
			}
		}
	}
}
