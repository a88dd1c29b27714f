package fastconv

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestHandComputed checks the lowered conv on values computed by hand:
// a 1-D difference filter and a 2-D sum over 2x2 windows with stride 2 and padding.
func TestHandComputed(t *testing.T) {
	b := Wrap(native())
	// 1-D, NWC: x = [1, 4, 9, 16, 25], k = [-1, 1] → y[i] = x[i+1] - x[i].
	x := tensors.FromFlatDataAndDimensions([]float32{1, 4, 9, 16, 25}, 1, 5, 1)
	k := tensors.FromFlatDataAndDimensions([]float32{-1, 1}, 2, 1, 1)
	c := convCase{axes: channelsLast(1)}
	got := flat32(t, run(t, b, func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{c.conv(in[0], in[1])}
	}, x, k)[0])
	want := []float32{3, 5, 7, 9}
	if relErr(got, want) != 0 {
		t.Errorf("1-D difference: got %v, want %v", got, want)
	}

	// 2-D, NHWC: x = 3x3 of 1..9, all-ones 2x2 kernel, stride 2, padding (0,1) on both axes:
	// windows {1,2,4,5}=12, {3,0,6,0}=9, {7,8,0,0}=15, {9,0,0,0}=9.
	x2 := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3, 1)
	k2 := tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1}, 2, 2, 1, 1)
	c2 := convCase{axes: channelsLast(2), strides: []int{2, 2}, pads: [][2]int{{0, 1}, {0, 1}}}
	got2 := flat32(t, run(t, b, func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{c2.conv(in[0], in[1])}
	}, x2, k2)[0])
	want2 := []float32{12, 9, 15, 9}
	if relErr(got2, want2) != 0 {
		t.Errorf("2-D window sums: got %v, want %v", got2, want2)
	}
	if s := b.(*Backend).Stats(); s.Lowered != 2 || s.Fallback != 0 {
		t.Errorf("stats = %+v, want 2 lowered and 0 fallbacks", s)
	}
}

// namedCases are hand-picked configurations: ResNet-like layers in both
// layouts, and each feature of ConvGeneral on its own.
func namedCases() []convCase {
	cl, cf := channelsLast(2), channelsFirst(2)
	return []convCase{
		{name: "3x3 s1 p1 NHWC", inDims: []int{2, 7, 6, 5}, kDims: []int{3, 3, 5, 4}, axes: cl, pads: [][2]int{{1, 1}, {1, 1}}},
		{name: "3x3 s2 p1 NHWC", inDims: []int{2, 8, 7, 3}, kDims: []int{3, 3, 3, 4}, axes: cl, strides: []int{2, 2}, pads: [][2]int{{1, 1}, {1, 1}}},
		{name: "7x7 s2 p3 stem NCHW", inDims: []int{1, 3, 15, 13}, kDims: []int{4, 3, 7, 7}, axes: cf, strides: []int{2, 2}, pads: [][2]int{{3, 3}, {3, 3}}},
		{name: "1x1 s2 downsample NHWC", inDims: []int{3, 7, 7, 4}, kDims: []int{1, 1, 4, 6}, axes: cl, strides: []int{2, 2}},
		{name: "1x1 s1 NCHW", inDims: []int{2, 4, 5, 5}, kDims: []int{3, 4, 1, 1}, axes: cf},
		{name: "1x1 input dilation", inDims: []int{2, 4, 4, 3}, kDims: []int{1, 1, 3, 2}, axes: cl, inDil: []int{2, 3}, pads: [][2]int{{1, 0}, {0, 2}}},
		{name: "asymmetric padding", inDims: []int{1, 6, 5, 2}, kDims: []int{2, 3, 2, 3}, axes: cl, pads: [][2]int{{0, 2}, {3, 1}}},
		{name: "even kernel, same padding", inDims: []int{2, 6, 7, 3}, kDims: []int{2, 4, 3, 2}, axes: cl, pads: [][2]int{{0, 1}, {1, 2}}},
		{name: "negative padding", inDims: []int{1, 8, 8, 2}, kDims: []int{3, 3, 2, 2}, axes: cl, pads: [][2]int{{-1, 1}, {2, -2}}},
		{name: "kernel dilation", inDims: []int{2, 9, 10, 3}, kDims: []int{3, 2, 3, 2}, axes: cl, kDil: []int{2, 3}, pads: [][2]int{{2, 2}, {1, 1}}},
		{name: "input dilation", inDims: []int{1, 5, 4, 3}, kDims: []int{3, 3, 3, 2}, axes: cl, inDil: []int{2, 2}, pads: [][2]int{{2, 2}, {1, 2}}},
		{name: "stride and kernel dilation", inDims: []int{1, 11, 9, 2}, kDims: []int{3, 2, 2, 2}, axes: cl, strides: []int{2, 3}, kDil: []int{2, 2}},
		{name: "channel groups NHWC", inDims: []int{2, 6, 6, 6}, kDims: []int{3, 3, 2, 9}, axes: cl, channelGroups: 3, pads: [][2]int{{1, 1}, {1, 1}}},
		{name: "depthwise NCHW", inDims: []int{1, 4, 7, 7}, kDims: []int{4, 1, 3, 3}, axes: cf, channelGroups: 4, strides: []int{2, 2}, pads: [][2]int{{1, 1}, {1, 1}}},
		{name: "batch groups", inDims: []int{6, 5, 5, 3}, kDims: []int{3, 3, 3, 4}, axes: cl, batchGroups: 2},
		{name: "batch groups NCHW", inDims: []int{6, 3, 5, 6}, kDims: []int{6, 3, 2, 2}, axes: cf, batchGroups: 3, pads: [][2]int{{1, 0}, {0, 1}}},
		{name: "odd layout", inDims: []int{5, 3, 2, 6}, kDims: []int{4, 3, 2, 3},
			axes: compute.ConvolveAxesConfig{InputSpatial: []int{0, 3}, InputChannels: 1, InputBatch: 2,
				KernelSpatial: []int{2, 1}, KernelInputChannels: 3, KernelOutputChannels: 0,
				OutputChannels: 3, OutputSpatial: []int{1, 0}, OutputBatch: 2}, pads: [][2]int{{1, 0}, {0, 1}}},
		{name: "1-D NWC", inDims: []int{2, 11, 3}, kDims: []int{4, 3, 2}, axes: channelsLast(1), strides: []int{3}, pads: [][2]int{{2, 1}}},
		{name: "3-D NCDHW", inDims: []int{1, 2, 4, 5, 4}, kDims: []int{3, 2, 2, 3, 2}, axes: channelsFirst(3), pads: [][2]int{{1, 0}, {1, 1}, {0, 1}}},
	}
}

func TestForwardNamed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range namedCases() {
		s := compareConv(t, rng, c, false, 1e-5)
		if s.Lowered != 1 || s.Fallback != 0 {
			t.Errorf("%s: stats = %+v, want the conv lowered", c, s)
		}
	}
}

func TestForwardRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		c := randomCase(rng, false)
		s := compareConv(t, rng, c, false, 1e-5)
		if s.Lowered != 1 || s.Fallback != 0 {
			t.Errorf("%s: stats = %+v, want the conv lowered", c, s)
		}
	}
}

// TestChunkedPatches forces one output row per patch chunk (ChunkPatchBytes
// of 1 byte, no ChunkMinRows), for plain, dilated, grouped and polyphase
// convolutions.
func TestChunkedPatches(t *testing.T) {
	savedBytes, savedRows := ChunkPatchBytes, ChunkMinRows
	defer func() { ChunkPatchBytes, ChunkMinRows = savedBytes, savedRows }()
	ChunkPatchBytes, ChunkMinRows = 1, 0
	rng := rand.New(rand.NewPCG(13, 13))
	for _, c := range append(namedCases(), polyphaseCases()...) {
		if s := compareConv(t, rng, c, false, 1e-5); s.Lowered != 1 {
			t.Errorf("%s: stats %+v", c, s)
		}
	}
	for range 20 {
		compareConv(t, rng, randomCase(rng, false), false, 1e-5)
	}
}

// TestFloat64 lowers float64 convolutions (forward and gradients) and
// compares them with the native op to float64 precision.
func TestFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	for _, c := range namedCases()[:4] {
		out, _ := c.outShape()
		x, k, w := randTensor(rng, c.inDims), randTensor(rng, c.kDims), randTensor(rng, out.Dimensions)
		fn := func(in []*graph.Node) []*graph.Node {
			x64, k64 := graph.ConvertDType(in[0], dtypes.Float64), graph.ConvertDType(in[1], dtypes.Float64)
			y := c.conv(x64, k64)
			loss := graph.ReduceAllSum(graph.Mul(y, graph.ConvertDType(in[2], dtypes.Float64)))
			return append([]*graph.Node{y}, graph.Gradient(loss, x64, k64)...)
		}
		wrapped := Wrap(native()).(*Backend)
		want := run(t, native(), fn, must(x.LocalClone()), must(k.LocalClone()), must(w.LocalClone()))
		got := run(t, wrapped, fn, must(x.LocalClone()), must(k.LocalClone()), must(w.LocalClone()))
		for i := range want {
			g, err1 := tensors.CopyFlatData[float64](got[i])
			wv, err2 := tensors.CopyFlatData[float64](want[i])
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: reading float64 results: %v %v", c, err1, err2)
			}
			var maxDiff, maxRef float64
			for j := range wv {
				maxDiff = max(maxDiff, math.Abs(g[j]-wv[j]))
				maxRef = max(maxRef, math.Abs(wv[j]))
			}
			if maxDiff > 1e-12*maxRef {
				t.Errorf("%s: output %d relative error %.3g", c, i, maxDiff/maxRef)
			}
		}
		if s := wrapped.Stats(); s.Lowered != 3 || s.Fallback != 0 {
			t.Errorf("%s: stats %+v, want 3 lowered", c, s)
		}
	}
}
