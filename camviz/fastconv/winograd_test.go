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

// withWinograd sets the Winograd mode for the rest of the test.
func withWinograd(t *testing.T, m WinogradMode) {
	saved := Winograd
	Winograd = m
	t.Cleanup(func() { Winograd = saved })
}

// TestWinogradMatricesHand checks the one-dimensional F(2, 3) written out in
// winogradBT's comment and the 2-D matrices (Kronecker products) against the
// direct correlation, in float64, on a hand-picked tile and random ones.
func TestWinogradMatricesHand(t *testing.T) {
	// d = [1, 2, 3, 4], g = [1, 10, 100]: y0 = 1 + 20 + 300 = 321, y1 = 2 + 30 + 400 = 432.
	d, g := []float64{1, 2, 3, 4}, []float64{1, 10, 100}
	m1 := (d[0] - d[2]) * g[0]
	m2 := (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2
	m3 := (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2
	m4 := (d[1] - d[3]) * g[2]
	if y0, y1 := m1+m2+m3, m2-m3-m4; y0 != 321 || y1 != 432 {
		t.Errorf("1-D F(2,3) on d=%v g=%v: got %g, %g, want 321, 432", d, g, y0, y1)
	}

	rng := rand.New(rand.NewPCG(21, 21))
	for _, w := range []*winogradAlgo{winogradF2, winogradF4} {
		bt, gg, at := w.inputMatrix(), w.kernelMatrix(), w.outputMatrix()
		al, a2 := w.alpha(), w.alpha()*w.alpha()
		for range 20 {
			tile := make([]float64, a2)
			var filter [9]float64
			for i := range tile {
				tile[i] = rng.NormFloat64()
			}
			for i := range filter {
				filter[i] = rng.NormFloat64()
			}
			prod := make([]float64, a2)
			for xi := range a2 {
				var v, u float64
				for ij := range a2 {
					v += bt[xi*a2+ij] * tile[ij]
				}
				for ij := range 9 {
					u += gg[xi*9+ij] * filter[ij]
				}
				prod[xi] = v * u
			}
			for a := range w.m {
				for b := range w.m {
					var got, want float64
					for xi := range a2 {
						got += at[(a*w.m+b)*a2+xi] * prod[xi]
					}
					for i := range 3 {
						for j := range 3 {
							want += tile[(a+i)*al+b+j] * filter[i*3+j]
						}
					}
					if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
						t.Fatalf("F(%d,3) output (%d,%d): Winograd %g, direct %g", w.m, a, b, got, want)
					}
				}
			}
		}
	}
}

// winogradModes are the algorithms the tests run every case with.
var winogradModes = []WinogradMode{WinogradF2, WinogradF4}

// winogradCases are the eligible configurations tested: odd and even output
// sizes (a padded last tile), no, symmetric, asymmetric and negative padding,
// both layouts, batches and channel counts that are not multiples of anything.
func winogradCases() []convCase {
	cl, cf := channelsLast(2), channelsFirst(2)
	same := [][2]int{{1, 1}, {1, 1}}
	return []convCase{
		{name: "same 7x7 NHWC (ResNet layer4 shape, small)", inDims: []int{1, 7, 7, 5}, kDims: []int{3, 3, 5, 6}, axes: cl, pads: same},
		{name: "same 8x6 batch 3 NHWC", inDims: []int{3, 8, 6, 4}, kDims: []int{3, 3, 4, 3}, axes: cl, pads: same},
		{name: "valid 9x5 NCHW", inDims: []int{2, 3, 9, 5}, kDims: []int{4, 3, 3, 3}, axes: cf},
		{name: "asymmetric 6x7 NCHW", inDims: []int{1, 2, 6, 7}, kDims: []int{5, 2, 3, 3}, axes: cf, pads: [][2]int{{0, 2}, {2, 1}}},
		{name: "negative padding", inDims: []int{2, 9, 8, 3}, kDims: []int{3, 3, 3, 2}, axes: cl, pads: [][2]int{{-1, 1}, {2, -1}}},
		{name: "1x1 output", inDims: []int{1, 3, 3, 7}, kDims: []int{3, 3, 7, 2}, axes: cl},
		{name: "same 14x14 32 channels NCHW", inDims: []int{2, 32, 14, 14}, kDims: []int{16, 32, 3, 3}, axes: cf, pads: same},
	}
}

// TestWinogradForward compares F(2×2, 3×3) (kernel transformed in the graph)
// with the native ConvGeneral, and checks Stats counts it.
func TestWinogradForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	for _, mode := range winogradModes {
		withWinograd(t, mode)
		for _, c := range winogradCases() {
			s := compareConv(t, rng, c, false, 1e-5)
			if s.Lowered != 1 || s.Winograd != 1 || s.Fallback != 0 {
				t.Errorf("mode %d, %s: stats = %+v, want one Winograd convolution", mode, c.name, s)
			}
		}
	}
}

// TestWinogradGradients: the gradient w.r.t. the input of a 3×3 stride-1
// convolution is another one (reversed kernel), so it takes Winograd too.
func TestWinogradGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 23))
	for _, mode := range winogradModes {
		withWinograd(t, mode)
		for _, c := range winogradCases() {
			if !gradBuildable(c) {
				continue
			}
			s := compareConv(t, rng, c, true, 1e-4)
			if s.Winograd < 2 || s.Fallback != 0 {
				t.Errorf("mode %d, %s: stats = %+v, want the forward and input-gradient convolutions on Winograd", mode, c.name, s)
			}
		}
	}
}

// TestWinogradConstKernel: a constant kernel (how camviz compiles a model's
// weights) is transformed when the graph is built, in both layouts and in
// float32 and float64.
func TestWinogradConstKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 24))
	for _, mode := range winogradModes {
		withWinograd(t, mode)
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			for _, c := range winogradCases() {
				x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
				kv := flat32(t, k)
				fn := func(in []*graph.Node) []*graph.Node {
					g := in[0].Graph()
					var kc *graph.Node
					if dtype == dtypes.Float64 {
						k64 := make([]float64, len(kv))
						for i, v := range kv {
							k64[i] = float64(v)
						}
						kc = graph.Const(g, tensors.FromFlatDataAndDimensions(k64, c.kDims...))
					} else {
						kc = graph.Const(g, tensors.FromFlatDataAndDimensions(kv, c.kDims...))
					}
					return []*graph.Node{graph.ConvertDType(c.conv(graph.ConvertDType(in[0], dtype), kc), dtypes.Float64)}
				}
				wrapped := Wrap(native()).(*Backend)
				want := run(t, native(), fn, must(x.LocalClone()))[0]
				got := run(t, wrapped, fn, must(x.LocalClone()))[0]
				g, w := must(tensors.CopyFlatData[float64](got)), must(tensors.CopyFlatData[float64](want))
				var maxDiff, maxRef float64
				for i := range w {
					maxDiff = max(maxDiff, math.Abs(g[i]-w[i]))
					maxRef = max(maxRef, math.Abs(w[i]))
				}
				tol := 1e-5
				if dtype == dtypes.Float64 {
					tol = 1e-13
				}
				if maxDiff > tol*maxRef {
					t.Errorf("%s %s: relative error %.3g > %.1g", dtype, c.name, maxDiff/maxRef, tol)
				}
				if s := wrapped.Stats(); s.Winograd != 1 {
					t.Errorf("%s %s: stats = %+v, want the constant-kernel convolution on Winograd", dtype, c.name, s)
				}
			}
		}
	}
}

// TestWinogradAutoChoice checks which algorithm WinogradAuto picks by tile
// count and kernel kind (see WinogradMinTiles), and that Off never uses one.
func TestWinogradAutoChoice(t *testing.T) {
	same := [][2]int{{1, 1}, {1, 1}}
	conv := func(batch, size, channels int) *plan {
		p, err := newPlan(shapes.Make(dtypes.Float32, batch, size, size, channels), shapes.Make(dtypes.Float32, 3, 3, channels, channels),
			channelsLast(2), nil, same, nil, nil, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		mode                  WinogradMode
		batch, size, channels int
		constKernel           bool
		want                  *winogradAlgo
	}{
		{WinogradAuto, 1, 28, 128, false, winogradF2}, // 196 tiles of 2×2
		{WinogradAuto, 1, 14, 256, false, nil},        // 49 tiles
		{WinogradAuto, 1, 14, 256, true, winogradF2},
		{WinogradAuto, 1, 7, 512, true, winogradF2}, // 16 tiles
		{WinogradAuto, 16, 7, 512, false, winogradF2},
		{WinogradAuto, 1, 5, 512, true, nil},     // 9 tiles
		{WinogradAuto, 16, 56, 64, true, nil},    // too few channels
		{WinogradOn, 1, 4, 8, false, winogradF2}, // forced
		{WinogradF4, 1, 4, 8, false, winogradF4}, // forced
		{WinogradOff, 16, 28, 128, true, nil},
	} {
		withWinograd(t, tc.mode)
		if got := conv(tc.batch, tc.size, tc.channels).winogradChoice(tc.constKernel); got != tc.want {
			t.Errorf("mode %d, batch %d, %d²×%d, const kernel %v: got %v, want %v", tc.mode, tc.batch, tc.size, tc.channels, tc.constKernel, got, tc.want)
		}
	}
	// Inside a ScoreRegion, F(4×4) wherever F(2×2) would be taken (thresholds in F(2×2)'s tiles).
	withWinograd(t, WinogradAuto)
	for _, tc := range []struct {
		batch, size, channels int
		constKernel           bool
		want                  *winogradAlgo
	}{
		{8, 7, 512, false, winogradF4},  // 128 tiles of 2×2 (32 of 4×4: counted in its own tiles, F(2×2) was taken)
		{1, 7, 512, true, winogradF4},   // 16 tiles of 2×2
		{1, 14, 256, false, nil},        // 49 tiles of 2×2
		{16, 56, 64, false, nil},        // too few channels
		{1, 28, 128, false, winogradF4}, // 196 tiles of 2×2
	} {
		p := conv(tc.batch, tc.size, tc.channels)
		p.scoreRegion = true
		if got := p.winogradChoice(tc.constKernel); got != tc.want {
			t.Errorf("score region, batch %d, %d²×%d, const kernel %v: got %v, want %v", tc.batch, tc.size, tc.channels, tc.constKernel, got, tc.want)
		}
	}
}

// TestWinogradAccuracyResNet bounds the round-off in float32 at the size of
// ResNet-18's last stage (4608 terms per output), against the native op in
// float64: measured 3.0e-7 (patches), 4.6e-7 (F(2×2)), 8.6e-6 (F(4×4)) of the
// largest output.
func TestWinogradAccuracyResNet(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 27))
	c := convCase{inDims: []int{1, 8, 8, 512}, kDims: []int{3, 3, 512, 512}, axes: channelsLast(2), pads: [][2]int{{1, 1}, {1, 1}}}
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	ref := run(t, native(), func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{c.conv(graph.ConvertDType(in[0], dtypes.Float64), graph.ConvertDType(in[1], dtypes.Float64))}
	}, must(x.LocalClone()), must(k.LocalClone()))[0]
	want := must(tensors.CopyFlatData[float64](ref))
	for mode, tol := range map[WinogradMode]float64{WinogradOff: 1e-6, WinogradF2: 1e-6, WinogradF4: 2e-5} {
		withWinograd(t, mode)
		got := run(t, Wrap(native()), func(in []*graph.Node) []*graph.Node {
			return []*graph.Node{graph.ConvertDType(c.conv(in[0], in[1]), dtypes.Float64)}
		}, must(x.LocalClone()), must(k.LocalClone()))[0]
		g := must(tensors.CopyFlatData[float64](got))
		var maxDiff, maxRef float64
		for i := range want {
			maxDiff = max(maxDiff, math.Abs(g[i]-want[i]))
			maxRef = max(maxRef, math.Abs(want[i]))
		}
		t.Logf("mode %d: max error %.3g of max %.3g (relative %.3g)", mode, maxDiff, maxRef, maxDiff/maxRef)
		if maxDiff > tol*maxRef {
			t.Errorf("mode %d: relative error %.3g > %.1g", mode, maxDiff/maxRef, tol)
		}
	}
}

// TestWinogradChunks forces one tile row per chunk.
func TestWinogradChunks(t *testing.T) {
	savedBytes, savedRows := ChunkPatchBytes, ChunkMinRows
	defer func() { ChunkPatchBytes, ChunkMinRows = savedBytes, savedRows }()
	ChunkPatchBytes, ChunkMinRows = 1, 0
	rng := rand.New(rand.NewPCG(26, 26))
	for _, mode := range winogradModes {
		withWinograd(t, mode)
		for _, c := range winogradCases() {
			if s := compareConv(t, rng, c, false, 1e-5); s.Winograd != 1 {
				t.Errorf("mode %d, %s: stats = %+v", mode, c.name, s)
			}
		}
	}
}
