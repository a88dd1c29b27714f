package fastconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// convCase is one ConvGeneral configuration, as passed to graph.ConvGeneral.
type convCase struct {
	name                       string
	inDims, kDims              []int
	axes                       compute.ConvolveAxesConfig
	strides                    []int
	pads                       [][2]int
	inDil, kDil                []int
	channelGroups, batchGroups int
}

func (c convCase) String() string {
	return fmt.Sprintf("%s in=%v k=%v axes=%+v strides=%v pads=%v inDil=%v kDil=%v groups=%d/%d",
		c.name, c.inDims, c.kDims, c.axes, c.strides, c.pads, c.inDil, c.kDil, c.channelGroups, c.batchGroups)
}

func (c convCase) outShape() (shapes.Shape, error) {
	return shapeinference.ConvGeneral(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...),
		c.axes, c.strides, c.pads, c.inDil, c.kDil, max(c.channelGroups, 1), max(c.batchGroups, 1))
}

func (c convCase) conv(x, k *graph.Node) *graph.Node {
	return graph.ConvGeneral(x, k, c.axes, c.strides, c.pads, c.inDil, c.kDil,
		max(c.channelGroups, 1), max(c.batchGroups, 1))
}

// channelsLast returns the NHWC/HWIO axes configuration for s spatial axes.
func channelsLast(s int) compute.ConvolveAxesConfig {
	return compute.ConvolveAxesConfig{
		InputBatch: 0, InputSpatial: iota(1, s), InputChannels: s + 1,
		KernelSpatial: iota(0, s), KernelInputChannels: s, KernelOutputChannels: s + 1,
		OutputBatch: 0, OutputSpatial: iota(1, s), OutputChannels: s + 1,
	}
}

// channelsFirst returns the NCHW/OIHW axes configuration (ONNX) for s spatial axes.
func channelsFirst(s int) compute.ConvolveAxesConfig {
	return compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: iota(2, s),
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: iota(2, s),
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: iota(2, s),
	}
}

func randTensor(rng *rand.Rand, dims []int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	flat := make([]float32, n)
	for i := range flat {
		flat[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

func flat32(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatalf("reading tensor %s: %v", x.Shape(), err)
	}
	return v
}

// relErr returns max|got-want| / max(|want|), the float32 comparison used by
// every test here (1e-4 is float32 round-off over a few hundred terms).
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var maxDiff, maxRef float64
	for i := range got {
		maxDiff = max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxRef = max(maxRef, math.Abs(float64(want[i])))
	}
	if maxRef == 0 {
		return maxDiff
	}
	return maxDiff / maxRef
}

// native is the plain Go backend, shared by all tests.
var native = gobackend.GetBackend

// run builds and runs fn on backend b, failing the test on error.
func run(t *testing.T, b compute.Backend, fn func([]*graph.Node) []*graph.Node, args ...any) []*tensors.Tensor {
	t.Helper()
	e, err := graph.NewExec(b, fn)
	if err != nil {
		t.Fatalf("NewExec: %v", err)
	}
	defer e.Finalize()
	out, err := e.Call(args...)
	if err != nil {
		t.Fatalf("Exec on %s: %v", b.Description(), err)
	}
	return out
}

// compareConv runs the forward convolution (and, if grads, the gradients of
// Σ y·w w.r.t. input and kernel) on the native and the wrapped backend, checks
// they agree to tol and returns the wrapped backend's Stats delta.
func compareConv(t *testing.T, rng *rand.Rand, c convCase, grads bool, tol float64) Stats {
	t.Helper()
	outShape, err := c.outShape()
	if err != nil {
		t.Fatalf("%s: invalid test case: %v", c, err)
	}
	x, k, w := randTensor(rng, c.inDims), randTensor(rng, c.kDims), randTensor(rng, outShape.Dimensions)
	clone := func(ts ...*tensors.Tensor) []any { // a tensor is bound to the backend it first runs on.
		out := make([]any, len(ts))
		for i, t := range ts {
			out[i] = must(t.LocalClone())
		}
		return out
	}
	fn := func(in []*graph.Node) []*graph.Node {
		y := c.conv(in[0], in[1])
		if !grads {
			return []*graph.Node{y}
		}
		loss := graph.ReduceAllSum(graph.Mul(y, in[2]))
		g := graph.Gradient(loss, in[0], in[1])
		return []*graph.Node{y, g[0], g[1]}
	}
	wrapped := Wrap(native()).(*Backend)
	t.Logf("case: %s", c)
	want := run(t, native(), fn, clone(x, k, w)...)
	got := run(t, wrapped, fn, clone(x, k, w)...)
	names := []string{"output", "grad wrt input", "grad wrt kernel"}
	for i := range want {
		if !slices.Equal(got[i].Shape().Dimensions, want[i].Shape().Dimensions) {
			t.Fatalf("%s: %s shape %s, native %s", c, names[i], got[i].Shape(), want[i].Shape())
		}
		if e := relErr(flat32(t, got[i]), flat32(t, want[i])); e > tol {
			t.Errorf("%s: %s relative error %.3g > %.1g", c, names[i], e, tol)
		}
	}
	return wrapped.Stats()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
