package fastconv

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func withConstFold(t *testing.T, on bool) {
	t.Helper()
	saved := ConstFold
	ConstFold = on
	t.Cleanup(func() { ConstFold = saved })
}

// constFoldCases are graphs of ops on constants (and one on a parameter, which
// must not fold), each returning float64 so that float32 and float64 cases
// compare alike; folds is how many ops each folds.
func constFoldCases(rng *rand.Rand, dtype dtypes.DType) []struct {
	name  string
	fn    func(x *graph.Node) *graph.Node
	folds int64
} {
	cnst := func(g *graph.Graph, dims ...int) *graph.Node {
		t := randTensor(rng, dims)
		n := graph.Const(g, t)
		if dtype == dtypes.Float64 {
			// A float64 constant directly (not a converted one).
			v := must(tensors.CopyFlatData[float32](t))
			f64 := make([]float64, len(v))
			for i, x := range v {
				f64[i] = float64(x) * (1 + 1e-9*float64(i%7))
			}
			n = graph.Const(g, tensors.FromFlatDataAndDimensions(f64, dims...))
		}
		return n
	}
	out := func(n *graph.Node) *graph.Node { return graph.ConvertDType(n, dtypes.Float64) }
	return []struct {
		name  string
		fn    func(x *graph.Node) *graph.Node
		folds int64
	}{
		{"transpose", func(x *graph.Node) *graph.Node {
			return out(graph.TransposeAllDims(cnst(x.Graph(), 3, 4, 5, 6), 2, 0, 3, 1))
		}, 1},
		{"reverse", func(x *graph.Node) *graph.Node { return out(graph.Reverse(cnst(x.Graph(), 3, 4, 5), 0, 2)) }, 1},
		{"reshape", func(x *graph.Node) *graph.Node { return out(graph.Reshape(cnst(x.Graph(), 3, 4, 5), 5, 12)) }, 1},
		{"broadcast", func(x *graph.Node) *graph.Node {
			return out(graph.BroadcastToDims(graph.ExpandLeftToRank(cnst(x.Graph(), 3, 1, 5), 4), 2, 3, 4, 5))
		}, 1}, // the reshape to rank 4; the broadcast stays an op (its data recorded lazily)
		{"bn-scale", func(x *graph.Node) *graph.Node {
			g := x.Graph()
			gamma, beta, mean := cnst(g, 7), cnst(g, 7), cnst(g, 7)
			variance := graph.Square(cnst(g, 7)) // Square is Mul(x, x)
			scale := graph.Div(gamma, graph.Sqrt(graph.AddScalar(variance, 1e-5)))
			shift := graph.Sub(beta, graph.Mul(mean, scale))
			w := graph.Mul(cnst(g, 3, 3, 5, 7), graph.ExpandLeftToRank(scale, 4))
			return out(graph.Concatenate([]*graph.Node{graph.Reshape(w, -1), shift}, 0))
		}, 9},
		{"rsqrt", func(x *graph.Node) *graph.Node { // within 1 ulp: see TestConstFoldBitwise
			return out(graph.Neg(graph.Rsqrt(graph.AddScalar(graph.Square(cnst(x.Graph(), 40)), 1))))
		}, 4},
		{"convert", func(x *graph.Node) *graph.Node {
			c := cnst(x.Graph(), 4, 5)
			other := dtypes.Float64
			if dtype == dtypes.Float64 {
				other = dtypes.Float32
			}
			return out(graph.ConvertDType(graph.ConvertDType(c, other), dtype))
		}, 2},
		{"scalar-and-size-1", func(x *graph.Node) *graph.Node {
			g := x.Graph()
			a, b := cnst(g, 4, 1, 6), cnst(g, 1, 5, 6)
			return out(graph.Sub(graph.MulScalar(graph.Add(a, b), 3), graph.DivScalar(b, 7)))
		}, 4},
		{"broadcast-then-mul", func(x *graph.Node) *graph.Node { // the lazily recorded broadcast feeds a fold
			g := x.Graph()
			return out(graph.Mul(cnst(g, 2, 3, 4, 5), graph.BroadcastToDims(graph.ExpandLeftToRank(cnst(g, 3, 1, 5), 4), 2, 3, 4, 5)))
		}, 2},
		{"parameter", func(x *graph.Node) *graph.Node { // x is a parameter: nothing folds
			return out(graph.Mul(graph.ConvertDType(x, dtype), cnst(x.Graph(), 4, 5)))
		}, 0},
	}
}

// TestConstFoldBitwise checks that folding constants gives the same bits as the
// ops the backend runs, for float32 and float64, and counts the folded ops.
func TestConstFoldBitwise(t *testing.T) {
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for i, c := range constFoldCases(rand.New(rand.NewPCG(3, 0)), dtype) {
			x := randTensor(rand.New(rand.NewPCG(4, 4)), []int{4, 5})
			fn := func(in []*graph.Node) []*graph.Node { return []*graph.Node{c.fn(in[0])} }
			results := make([][]float64, 2)
			for j, fold := range []bool{false, true} {
				withConstFold(t, fold)
				// The same constants on both sides: rebuild the cases from the same seed.
				c = constFoldCases(rand.New(rand.NewPCG(3, 0)), dtype)[i]
				b := Wrap(native()).(*Backend)
				res := run(t, b, fn, must(x.LocalClone()))[0]
				results[j] = must(tensors.CopyFlatData[float64](res))
				wantFolds := c.folds
				if !fold {
					wantFolds = 0
				}
				if got := b.Stats().ConstFolded; got < wantFolds || (wantFolds == 0 && got != 0) { // ≥: scalar constants may be converted first
					t.Errorf("%s %s fold=%v: %d ops folded, want %d", dtype, c.name, fold, got, wantFolds)
				}
			}
			// Bit for bit, except Rsqrt: the backend's SIMD kernel
			// (simdmath.RsqrtFloat32/64) is within 1 ulp of the correctly rounded
			// 1/√x that the folding (and the backend's generic kernel) computes.
			maxULPs := 0.0
			if c.name == "rsqrt" {
				maxULPs = 1
			}
			if len(results[0]) == 0 || len(results[0]) != len(results[1]) {
				t.Fatalf("%s %s: %d folded values, %d unfolded", dtype, c.name, len(results[1]), len(results[0]))
			}
			for k, want := range results[0] {
				if d := ulps(results[1][k], want, dtype); d > maxULPs {
					t.Errorf("%s %s: value %d folded %.10g, unfolded %.10g: %g ulp apart, want ≤ %g", dtype, c.name, k, results[1][k], want, d, maxULPs)
					break
				}
			}
		}
	}
}

// ulps returns |a−b| in units in the last place of want in dtype.
func ulps(a, want float64, dtype dtypes.DType) float64 {
	if a == want {
		return 0
	}
	if dtype == dtypes.Float32 {
		w := float32(want)
		return math.Abs(a-want) / float64(math.Nextafter32(w, float32(math.Inf(1)))-w)
	}
	return math.Abs(a-want) / (math.Nextafter(want, math.Inf(1)) - want)
}

// TestConstFoldConvGradients checks a convolution with a constant kernel and its
// input gradient (whose kernel GoMLX builds as Reverse/Transpose of the forward
// one) against the native backend with and without folding, and that folding
// turns the gradient's kernel into a constant (Winograd's build-time transform).
func TestConstFoldConvGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	withWinograd(t, WinogradOn)
	same := [][2]int{{1, 1}, {1, 1}}
	c := convCase{name: "3×3 const kernel", inDims: []int{1, 6, 6, 8}, kDims: []int{3, 3, 8, 8}, axes: channelsLast(2), pads: same}
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	fn := func(in []*graph.Node) []*graph.Node {
		kc := graph.Const(in[0].Graph(), k)
		y := c.conv(in[0], kc)
		loss := graph.ReduceAllSum(graph.Mul(y, y))
		return []*graph.Node{y, graph.Gradient(loss, in[0])[0]}
	}
	want := run(t, native(), fn, must(x.LocalClone()))
	var folded []int64
	for _, fold := range []bool{false, true} {
		withConstFold(t, fold)
		b := Wrap(native()).(*Backend)
		got := run(t, b, fn, must(x.LocalClone()))
		for i := range want {
			if e := relErr(flat32(t, got[i]), flat32(t, want[i])); e > 1e-5 {
				t.Errorf("fold=%v output %d: relative error %.3g > 1e-5", fold, i, e)
			}
		}
		folded = append(folded, b.Stats().ConstFolded)
		if s := b.Stats(); s.Winograd != 2 {
			t.Errorf("fold=%v: stats %+v, want both convolutions on Winograd", fold, s)
		}
	}
	if folded[0] != 0 || folded[1] == 0 {
		t.Errorf("ops folded without/with ConstFold: %v, want 0 and > 0", folded)
	}
}

// TestConstFoldCap checks that a result larger than ConstFoldMaxElements stays an op.
func TestConstFoldCap(t *testing.T) {
	withConstFold(t, true)
	saved := ConstFoldMaxElements
	ConstFoldMaxElements = 10
	t.Cleanup(func() { ConstFoldMaxElements = saved })
	b := Wrap(native()).(*Backend)
	x := randTensor(rand.New(rand.NewPCG(1, 1)), []int{2})
	fn := func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		small := graph.Neg(graph.Const(g, []float32{1, 2, 3}))
		large := graph.BroadcastToShape(graph.Const(g, float32(2)), shapes.Make(dtypes.Float32, 4, 5))
		return []*graph.Node{small, large}
	}
	out := run(t, b, fn, must(x.LocalClone()))
	if got := b.Stats().ConstFolded; got != 1 {
		t.Errorf("%d ops folded, want 1 (the Neg; the 20-element broadcast is over the cap)", got)
	}
	if v := flat32(t, out[1]); len(v) != 20 || v[19] != 2 {
		t.Errorf("broadcast = %v", v)
	}
}
