package camviz_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// A Hessian-vector product through a fused ReLU (activation.Relu, as onnx-gomlx builds
// ONNX Relu nodes), checked by hand: for f(x) = Σ_i c_i · relu(x_i)², ∇f = 2 c ⊙ relu(x) ⊙
// 1[x > 0] and H·v = 2 c ⊙ 1[x > 0] ⊙ v (relu″ = 0), so d/dx (∇f · v) is that vector.
func TestHessianVectorThroughFusedRelu(t *testing.T) {
	x := []float32{-1.5, -0.25, 0.5, 2, 3, -4}
	c := []float32{1, 2, 3, -1, 0.5, 7}
	v := []float32{0.5, -1, 2, 3, -2, 1}
	hv := func(g *graph.Graph) *graph.Node {
		xs := graph.Const(g, x)
		cs, vs := graph.Const(g, c), graph.Const(g, v)
		r := activation.Relu(xs)
		f := graph.ReduceAllSum(graph.Mul(cs, graph.Mul(r, r)))
		grad := graph.Gradient(f, xs)[0]
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(grad, vs)), xs)[0]
	}
	out, err := graph.ExecOnce(testBackend, hv)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	for i := range x {
		want := 0.0
		if x[i] > 0 {
			want = 2 * float64(c[i]) * float64(v[i])
		}
		if math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("H·v[%d] = %g, want %g (x %g, c %g, v %g)", i, got[i], want, x[i], c[i], v[i])
		}
	}
}
