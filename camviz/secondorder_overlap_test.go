package camviz_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// A Hessian-vector product through max pooling with overlapping windows (3×3 stride 2,
// without and with padding 1), checked against loops written here: for
// f(x) = Σ_w c_w · m_w², m_w the window's maximum at its first arg-max p_w (row-major;
// padding never chosen), ∇f = Σ_w 2 c_w m_w e_{p_w} and H·v = Σ_w 2 c_w v[p_w] e_{p_w}.
// The input has ties (a position that is the maximum of several windows, and equal values
// inside a window) and negative values (padding must not win).
func TestHessianVectorThroughOverlappingMaxPool(t *testing.T) {
	const n = 5
	x := []float32{
		1, 3, 3, 0, -2,
		2, 9, 1, 9, -1,
		-5, 4, 9, 2, -3,
		0, 4, 1, -7, -4,
		-1, -2, -6, -8, -9,
	}
	v := make([]float32, n*n)
	for i := range v {
		v[i] = float32(i%7) - 2.5
	}
	for _, pad := range []int{0, 1} {
		out := (n+2*pad-3)/2 + 1
		c := make([]float32, out*out)
		for i := range c {
			c[i] = float32(i) + 0.5
		}
		hv := func(g *graph.Graph) *graph.Node {
			xs := graph.Reshape(graph.Const(g, x), 1, n, n, 1)
			pool := graph.MaxPool(xs).Window(3).Strides(2).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
			f := graph.ReduceAllSum(graph.Mul(graph.Reshape(graph.Const(g, c), 1, out, out, 1), graph.Mul(pool, pool)))
			grad := graph.Gradient(f, xs)[0]
			return graph.Gradient(graph.ReduceAllSum(graph.Mul(grad, graph.Reshape(graph.Const(g, v), 1, n, n, 1))), xs)[0]
		}
		res, err := graph.ExecOnce(testBackend, hv)
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](res)
		want := make([]float64, n*n)
		for wi := range out {
			for wj := range out {
				best := -1
				for di := range 3 {
					for dj := range 3 {
						i, j := 2*wi-pad+di, 2*wj-pad+dj
						if i < 0 || j < 0 || i >= n || j >= n {
							continue
						}
						if best < 0 || x[i*n+j] > x[best] {
							best = i*n + j
						}
					}
				}
				want[best] += 2 * float64(c[wi*out+wj]) * float64(v[best])
			}
		}
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5 {
				t.Errorf("padding %d: H·v[%d] = %g, want %g", pad, i, got[i], want[i])
			}
		}
	}
}
