package fastconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// poolCase is one ReduceWindow configuration (graph.BackendReduceWindow).
type poolCase struct {
	name                        string
	op                          compute.ReduceOpType
	dims, window, strides, wDil []int
	pads                        [][2]int
}

func (c poolCase) String() string {
	return fmt.Sprintf("%s %s dims=%v window=%v strides=%v wDil=%v pads=%v", c.name, c.op, c.dims, c.window,
		c.strides, c.wDil, c.pads)
}

func (c poolCase) outDims() []int {
	s, err := shapeinference.ReduceWindow(shapes.Make(dtypes.Float32, c.dims...), c.window, c.strides, nil, c.wDil, c.pads)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", c, err))
	}
	return s.Dimensions
}

// graphFn pools in[0] and, with grads, also returns ∂(Σ pool(x)·w)/∂x for
// w = in[1] (SelectAndScatter for max and min, a sum ReduceWindow for sum).
func (c poolCase) graphFn(grads bool) func([]*graph.Node) []*graph.Node {
	return func(in []*graph.Node) []*graph.Node {
		y := graph.BackendReduceWindow(in[0], c.op, c.window, c.strides, nil, c.wDil, c.pads)
		if !grads {
			return []*graph.Node{y}
		}
		loss := graph.ReduceAllSum(graph.Mul(y, in[1]))
		return []*graph.Node{y, graph.Gradient(loss, in[0])[0]}
	}
}

// tieTensor draws values from a small set, so that windows hold ties (as
// ReLU outputs do: many zeros), plus a few ±Inf and NaN when special.
func tieTensor(rng *rand.Rand, dims []int, special bool) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	flat := make([]float32, n)
	for i := range flat {
		flat[i] = float32(rng.IntN(5) - 2)
		if special && rng.IntN(12) == 0 {
			flat[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[rng.IntN(3)]
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

// comparePool runs c on the native and the wrapped backend and requires the
// same values: bit for bit for max and min (NaN matching NaN), to 1e-6 for
// sums (the summation order may differ). It returns the wrapped Stats.
func comparePool(t *testing.T, rng *rand.Rand, c poolCase, grads, special bool) Stats {
	t.Helper()
	x, w := tieTensor(rng, c.dims, special), randTensor(rng, c.outDims())
	wrapped := Wrap(native()).(*Backend)
	want := run(t, native(), c.graphFn(grads), must(x.LocalClone()), must(w.LocalClone()))
	got := run(t, wrapped, c.graphFn(grads), must(x.LocalClone()), must(w.LocalClone()))
	for i, name := range []string{"pooled", "gradient"}[:len(want)] {
		g, wv := flat32(t, got[i]), flat32(t, want[i])
		if !slices.Equal(got[i].Shape().Dimensions, want[i].Shape().Dimensions) {
			t.Fatalf("%s: %s shape %s, native %s", c, name, got[i].Shape(), want[i].Shape())
		}
		exact := c.op != compute.ReduceOpSum && name == "pooled"
		for j := range g {
			same := g[j] == wv[j] || (g[j] != g[j] && wv[j] != wv[j])
			if !same && (exact || !(math.Abs(float64(g[j]-wv[j])) <= 1e-6*max(1, math.Abs(float64(wv[j]))))) {
				t.Errorf("%s: %s[%d] = %v, native %v", c, name, j, g[j], wv[j])
				break
			}
		}
	}
	return wrapped.Stats()
}

// TestPoolHandComputed checks a 1-D case by hand: x = [1 3 2 3 0], window 3,
// stride 2, padding 1, so the windows are {pad,1,3}, {3,2,3} and {3,0,pad}.
//
//	max: [3 3 3]; the first maximum of each window is x[1], x[1], x[3], so
//	     the gradient for w = [10 20 30] is [0 10+20 0 30 0]
//	min: [1 2 0] (padding never wins), gradient [10 0 20 0 30]
//	sum: [1+3, 3+2+3, 3+0] = [4 8 3], gradient Σ over the windows holding each
//	     element: [10, 10+20, 20, 20+30, 30]
func TestPoolHandComputed(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{1, 3, 2, 3, 0}, 1, 5, 1)
	w := tensors.FromFlatDataAndDimensions([]float32{10, 20, 30}, 1, 3, 1)
	for _, tc := range []struct {
		op           compute.ReduceOpType
		pooled, grad []float32
	}{
		{compute.ReduceOpMax, []float32{3, 3, 3}, []float32{0, 30, 0, 30, 0}},
		{compute.ReduceOpMin, []float32{1, 2, 0}, []float32{10, 0, 20, 0, 30}},
		{compute.ReduceOpSum, []float32{4, 8, 3}, []float32{10, 30, 20, 50, 30}},
	} {
		c := poolCase{name: "hand", op: tc.op, dims: []int{1, 5, 1}, window: []int{1, 3, 1}, strides: []int{1, 2, 1},
			pads: [][2]int{{0, 0}, {1, 1}, {0, 0}}}
		b := Wrap(native()).(*Backend)
		for _, be := range []compute.Backend{native(), b} { // the native op agrees
			out := run(t, be, c.graphFn(true), must(x.LocalClone()), must(w.LocalClone()))
			if got := flat32(t, out[0]); !slices.Equal(got, tc.pooled) {
				t.Errorf("%s on %s: pooled = %v, want %v", tc.op, be.Description(), got, tc.pooled)
			}
			if got := flat32(t, out[1]); !slices.Equal(got, tc.grad) {
				t.Errorf("%s on %s: gradient = %v, want %v", tc.op, be.Description(), got, tc.grad)
			}
		}
		if s := b.Stats(); s.PoolLowered < 2 || s.PoolFallback != 0 {
			t.Errorf("%s: stats %+v, want the pooling and its gradient lowered", tc.op, s)
		}
	}
}

// TestPoolGradientPaddingNeverSelected: padding reads −∞ for max, so a window
// whose operand values are all −∞ ties with its padding, and only operand
// positions may be selected. x = [−∞ −∞ 5], window 2, stride 1, padding
// (2, 0): the windows are {pad,pad}, {pad,x0}, {x0,x1}, {x1,x2}, pooled
// [−∞ −∞ −∞ 5]; the first selects nothing, the next two x0 and the last x2,
// so w = [1 2 4 8] gives the gradient [2+4, 0, 8]. Min mirrors it with +∞.
func TestPoolGradientPaddingNeverSelected(t *testing.T) {
	for _, tc := range []struct {
		op  compute.ReduceOpType
		inf float64
	}{{compute.ReduceOpMax, -1}, {compute.ReduceOpMin, 1}} {
		inf := float32(math.Inf(int(tc.inf)))
		x := tensors.FromFlatDataAndDimensions([]float32{inf, inf, 5}, 3)
		w := tensors.FromFlatDataAndDimensions([]float32{1, 2, 4, 8}, 4)
		c := poolCase{name: "inf", op: tc.op, dims: []int{3}, window: []int{2}, strides: []int{1}, pads: [][2]int{{2, 0}}}
		for _, b := range []compute.Backend{native(), Wrap(native())} { // the native op agrees
			out := run(t, b, c.graphFn(true), must(x.LocalClone()), must(w.LocalClone()))
			if got, want := flat32(t, out[0]), []float32{inf, inf, inf, 5}; !slices.Equal(got, want) {
				t.Errorf("%s on %s: pooled = %v, want %v", tc.op, b.Description(), got, want)
			}
			if got, want := flat32(t, out[1]), []float32{6, 0, 8}; !slices.Equal(got, want) {
				t.Errorf("%s on %s: gradient = %v, want %v", tc.op, b.Description(), got, want)
			}
		}
	}
}

// namedPoolCases are the pools of camviz's models and the corners of the lowering.
func namedPoolCases() []poolCase {
	p := func(lo, hi int) [2]int { return [2]int{lo, hi} }
	return []poolCase{
		{name: "resnet-stem-3x3s2p1", dims: []int{2, 12, 12, 5}, window: []int{1, 3, 3, 1}, strides: []int{1, 2, 2, 1},
			pads: [][2]int{p(0, 0), p(1, 1), p(1, 1), p(0, 0)}},
		{name: "gapcnn-2x2", dims: []int{2, 8, 6, 3}, window: []int{1, 2, 2, 1}, strides: []int{1, 2, 2, 1}},
		{name: "odd-size-no-pad", dims: []int{1, 7, 9, 2}, window: []int{1, 3, 2, 1}, strides: []int{1, 2, 3, 1}},
		{name: "asymmetric-pad", dims: []int{1, 6, 5, 2}, window: []int{1, 2, 3, 1}, strides: []int{1, 1, 2, 1},
			pads: [][2]int{p(0, 0), p(0, 2), p(2, 1), p(0, 0)}},
		{name: "overlapping-s1", dims: []int{2, 5, 5, 3}, window: []int{1, 3, 3, 1}, strides: []int{1, 1, 1, 1},
			pads: [][2]int{p(0, 0), p(1, 1), p(1, 1), p(0, 0)}},
		{name: "window-over-channels-and-batch", dims: []int{4, 5, 3}, window: []int{2, 2, 3}, strides: []int{2, 1, 1}},
		{name: "1d", dims: []int{3, 11}, window: []int{1, 4}, strides: []int{1, 3}, pads: [][2]int{p(0, 0), p(2, 3)}},
		{name: "3d", dims: []int{1, 4, 5, 6, 2}, window: []int{1, 2, 2, 3, 1}, strides: []int{1, 2, 1, 2, 1},
			pads: [][2]int{p(0, 0), p(0, 1), p(1, 0), p(1, 1), p(0, 0)}},
		{name: "channels-last-16", dims: []int{2, 9, 9, 16}, window: []int{1, 3, 3, 1}, strides: []int{1, 2, 2, 1},
			pads: [][2]int{p(0, 0), p(1, 1), p(1, 1), p(0, 0)}},
		{name: "run-of-two-axes", dims: []int{1, 6, 7, 3, 4}, window: []int{1, 2, 3, 1, 1}, strides: []int{1, 2, 1, 1, 1},
			pads: [][2]int{p(0, 0), p(1, 0), p(0, 2), p(0, 0), p(0, 0)}},
		{name: "window-larger-than-input", dims: []int{1, 2, 2, 1}, window: []int{1, 3, 3, 1}, strides: []int{1, 1, 1, 1},
			pads: [][2]int{p(0, 0), p(1, 1), p(1, 1), p(0, 0)}},
	}
}

var poolOps = []compute.ReduceOpType{compute.ReduceOpMax, compute.ReduceOpMin, compute.ReduceOpSum}

// TestPoolNamed compares the pooling and its gradient with the native ops on
// values with many ties, and then with NaN and ±Inf mixed in.
func TestPoolNamed(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range namedPoolCases() {
		for _, op := range poolOps {
			c.op = op
			for _, special := range []bool{false, true} {
				s := comparePool(t, rng, c, true, special)
				if s.PoolLowered != 2 || s.PoolFallback != 0 {
					t.Errorf("%s: stats %+v, want the pooling and its gradient lowered", c, s)
				}
			}
		}
	}
}

// TestPoolWindowDilation covers window dilations (forward only: GoMLX has no
// gradient for them).
func TestPoolWindowDilation(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, op := range poolOps {
		for _, ch := range []int{2, 16} { // strided slices, and gathers of 16-value runs
			c := poolCase{name: "dilated", op: op, dims: []int{2, 9, 8, ch}, window: []int{1, 3, 2, 1},
				strides: []int{1, 2, 1, 1}, wDil: []int{1, 2, 3, 1}, pads: [][2]int{{0, 0}, {1, 2}, {0, 1}, {0, 0}}}
			for _, special := range []bool{false, true} {
				if s := comparePool(t, rng, c, false, special); s.PoolLowered != 1 {
					t.Errorf("%s: stats %+v, want 1 lowered", c, s)
				}
			}
		}
	}
}

// TestPoolRandom draws random ranks, windows, strides and paddings.
func TestPoolRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for i := range 60 {
		rank := 1 + rng.IntN(4)
		c := poolCase{name: fmt.Sprintf("random%d", i), op: poolOps[rng.IntN(3)], dims: make([]int, rank),
			window: make([]int, rank), strides: make([]int, rank), pads: make([][2]int, rank)}
		for a := range rank {
			c.dims[a] = 1 + rng.IntN(6)
			c.window[a] = 1 + rng.IntN(3)
			c.strides[a] = 1 + rng.IntN(3)
			c.pads[a] = [2]int{rng.IntN(3), rng.IntN(3)}
			if c.dims[a]+c.pads[a][0]+c.pads[a][1] < c.window[a] {
				c.pads[a][1] += c.window[a]
			}
		}
		if rng.IntN(2) == 0 { // a trailing run of channels: the Gather paths
			c.dims = append(c.dims, 8+rng.IntN(5))
			c.window, c.strides = append(c.window, 1), append(c.strides, 1)
			c.pads = append(c.pads, [2]int{})
		}
		taps := 1
		for _, w := range c.window {
			taps *= w
		}
		s := comparePool(t, rng, c, true, i%2 == 0)
		if lowered := taps <= MaxPoolTaps; lowered && (s.PoolLowered != 2 || s.PoolFallback != 0) ||
			!lowered && (s.PoolLowered != 0 || s.PoolFallback != 2) {
			t.Errorf("%s: stats %+v, want both ops lowered iff the window has at most %d taps", c, s, MaxPoolTaps)
		}
	}
}

// TestPoolFloat64 checks the float64 path on the ResNet stem pool.
func TestPoolFloat64(t *testing.T) {
	c := namedPoolCases()[0]
	x := make([]float64, 2*12*12*5)
	for i := range x {
		x[i] = float64(i%7) - 3
	}
	for _, op := range poolOps {
		c.op = op
		fn := c.graphFn(false)
		want := run(t, native(), fn, tensors.FromFlatDataAndDimensions(x, c.dims...))
		got := run(t, Wrap(native()), fn, tensors.FromFlatDataAndDimensions(x, c.dims...))
		wv, gv := must(tensors.CopyFlatData[float64](want[0])), must(tensors.CopyFlatData[float64](got[0]))
		for i := range wv {
			if wv[i] != gv[i] {
				t.Fatalf("%s float64: [%d] = %v, native %v", c, i, gv[i], wv[i])
			}
		}
	}
}

// TestPoolFallback lists what is left to the native op, and checks that the
// results are still right.
func TestPoolFallback(t *testing.T) {
	f32 := shapes.Make(dtypes.Float32, 1, 8, 8, 1)
	w3 := []int{1, 3, 3, 1}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"int32", PoolCovered(shapes.Make(dtypes.Int32, 1, 8, 8, 1), compute.ReduceOpMax, w3, nil, nil, nil, nil)},
		{"product", PoolCovered(f32, compute.ReduceOpProduct, w3, nil, nil, nil, nil)},
		{"input dilation", PoolCovered(f32, compute.ReduceOpMax, w3, nil, []int{1, 2, 2, 1}, nil, nil)},
		{"large window", PoolCovered(shapes.Make(dtypes.Float32, 1, 10, 10, 1), compute.ReduceOpMax, []int{1, 9, 9, 1},
			nil, nil, nil, nil)},
		{"negative padding", PoolCovered(f32, compute.ReduceOpMax, w3, nil, nil, nil,
			[][2]int{{0, 0}, {-1, 0}, {0, 0}, {0, 0}})},
		{"source mismatch", SelectAndScatterCovered(compute.ReduceOpMax, f32, shapes.Make(dtypes.Float32, 1, 3, 3, 1),
			w3, []int{1, 1, 1, 1}, nil)},
	} {
		if tc.err == nil {
			t.Errorf("%s: covered, want left to the native op", tc.name)
		}
	}
	if err := PoolCovered(f32, compute.ReduceOpMax, w3, []int{1, 2, 2, 1}, nil, nil, nil); err != nil {
		t.Errorf("3x3/2 max pool: %v, want covered", err)
	}
	// A window of 64 taps is covered, 81 is not; both give the native values.
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range []int{8, 9} {
		c := poolCase{name: "big", op: compute.ReduceOpMax, dims: []int{1, 10, 10, 2}, window: []int{1, k, k, 1},
			strides: []int{1, 1, 1, 1}}
		s := comparePool(t, rng, c, true, false)
		if k == 8 && (s.PoolLowered != 2 || s.PoolFallback != 0) || k == 9 && (s.PoolLowered != 0 || s.PoolFallback != 2) {
			t.Errorf("window %dx%d: stats %+v", k, k, s)
		}
	}
}

// TestPoolLoweringPaths checks each way of reading the windows against the
// native op: whole windows gathered at once (patchable), in one piece or in
// chunks of ChunkPatchBytes, one Gather of runs per tap (dilated windows), and
// strided slices (runs shorter than minGatherRun).
func TestPoolLoweringPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	base := poolCase{name: "paths", dims: []int{2, 9, 9, 16}, window: []int{1, 3, 3, 1}, strides: []int{1, 2, 2, 1},
		pads: [][2]int{{0, 0}, {1, 1}, {1, 1}, {0, 0}}}
	plan := func(c poolCase) *poolPlan {
		p, err := newPoolPlan(shapes.Make(dtypes.Float32, c.dims...), c.op, c.window, c.strides, nil, c.wDil, c.pads)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	narrow := base
	narrow.dims = []int{2, 9, 9, 4}
	dilated := base
	dilated.wDil = []int{1, 2, 1, 1}
	for _, tc := range []struct {
		name       string
		c          poolCase
		chunkBytes int64
		patch      bool
		run        int
	}{
		{"whole windows", base, ChunkPatchBytes, true, 16},
		{"whole windows in chunks of 2 positions", base, 2 * 9 * 16 * 4, true, 16},
		{"gather per tap: dilated", dilated, ChunkPatchBytes, false, 16},
		{"strided slices", narrow, ChunkPatchBytes, false, 4},
	} {
		saved := ChunkPatchBytes
		ChunkPatchBytes = tc.chunkBytes
		for _, op := range poolOps {
			c := tc.c
			c.op = op
			p := plan(c)
			if got := p.patchable(); got != tc.patch || p.runLength(p.runAxes()) != tc.run {
				t.Errorf("%s: patchable %v, run of %d values; want %v, %d", tc.name, got, p.runLength(p.runAxes()),
					tc.patch, tc.run)
			}
			comparePool(t, rng, c, c.wDil == nil, true) // GoMLX has no gradient for dilated windows
		}
		ChunkPatchBytes = saved
	}
}
