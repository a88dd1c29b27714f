package fastconv

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// convNet is a small CNN (conv 3x3 same → ReLU → conv 3x3 stride 2 →
// ReLU → depthwise 3x3 → global mean → dense) whose weights are store
// variables; it returns the class scores and the gradients of score 0 w.r.t.
// the input and the two first kernels.
func convNet(scope *model.Scope, x *graph.Node) []*graph.Node {
	g := x.Graph()
	k1 := scope.In("conv1").VariableWithValue("kernel", weights(1, 3, 3, 3, 4)).ValueGraph(g)
	k2 := scope.In("conv2").VariableWithValue("kernel", weights(2, 3, 3, 4, 6)).ValueGraph(g)
	k3 := scope.In("dw").VariableWithValue("kernel", weights(3, 3, 3, 1, 6)).ValueGraph(g)
	w := scope.In("dense").VariableWithValue("weights", weights(4, 6, 5)).ValueGraph(g)
	h := activation.Relu(graph.Convolve(x, k1).PadSame().Done())
	h = activation.Relu(graph.Convolve(h, k2).Strides(2).PadSame().Done())
	h = graph.Convolve(h, k3).ChannelGroupCount(6).PadSame().Done()
	logits := graph.MatMul(graph.ReduceMean(h, 1, 2), w)
	score := graph.ReduceAllSum(graph.Slice(logits, graph.AxisRange(), graph.AxisElem(0)))
	grads := graph.Gradient(score, x, k1, k2)
	return append([]*graph.Node{logits}, grads...)
}

// weights returns a deterministic random tensor, the same for every store.
func weights(seed uint64, dims ...int) *tensors.Tensor {
	return randTensor(rand.New(rand.NewPCG(seed, 99)), dims)
}

// TestModelExec runs convNet through model.Exec on the wrapped and the plain
// Go backend, twice (the second call reuses the compiled graph).
func TestModelExec(t *testing.T) {
	x := weights(5, 2, 9, 9, 3)
	results := make([][]*tensors.Tensor, 2)
	wrapped := Wrap(native()).(*Backend)
	for i, b := range []compute.Backend{native(), wrapped} {
		e, err := model.NewExec(b, model.NewStore(), convNet)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			results[i], err = e.Call(must(x.LocalClone()))
			if err != nil {
				t.Fatalf("model.Exec on %s: %v", b.Description(), err)
			}
		}
		e.Finalize()
	}
	names := []string{"logits", "grad wrt x", "grad wrt conv1", "grad wrt conv2"}
	for i, name := range names {
		if e := relErr(flat32(t, results[1][i]), flat32(t, results[0][i])); e > 1e-4 {
			t.Errorf("%s: relative error %.3g between fastconv and native", name, e)
		}
	}
	// 3 forward convs; gradients w.r.t. input and kernel of conv1 and conv2
	// (2 each); GoMLX splits both gradients of the depthwise conv into its 6
	// groups (6+6).
	if s := wrapped.Stats(); s.Lowered != 3+2+2+12 || s.Fallback != 0 {
		t.Errorf("stats = %+v, want 19 lowered convolutions and no fallback", s)
	}
}

// TestConvInClosures runs a conv inside While and If closures: the wrapper
// must hand the inner backend its own closures, and lower the convs in them.
func TestConvInClosures(t *testing.T) {
	x, k := weights(6, 1, 6, 6, 2), weights(7, 3, 3, 2, 2)
	fn := func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		kk := in[1]
		loop := repeatInWhile(in[0], 3, func(x *graph.Node) *graph.Node {
			return graph.Tanh(graph.Convolve(x, kk).PadSame().Done())
		})
		pos := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			return []*graph.Node{graph.Convolve(loop, kk).Done()}
		})
		neg := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			return []*graph.Node{graph.Neg(graph.Convolve(loop, kk).Done())}
		})
		pred := graph.GreaterThan(graph.ReduceAllSum(in[0]), graph.ScalarZero(g, dtypes.Float32))
		return graph.If(pred, pos, neg)
	}
	want := run(t, native(), fn, must(x.LocalClone()), must(k.LocalClone()))
	wrapped := Wrap(native()).(*Backend)
	got := run(t, wrapped, fn, must(x.LocalClone()), must(k.LocalClone()))
	if e := relErr(flat32(t, got[0]), flat32(t, want[0])); e > 1e-5 {
		t.Errorf("While/If result: relative error %.3g", e)
	}
	if s := wrapped.Stats(); s.Lowered != 3 || s.Fallback != 0 {
		t.Errorf("stats = %+v, want the 3 convolutions (loop body, both branches) lowered", s)
	}
}

// TestCapturedConstantKernel runs a 3×3 convolution with 128 channels inside a While
// body (one iteration) whose kernel is a constant of the main function. The closure
// captures it and looks it up among its ancestors' constants, so the kernel is transformed when the graph
// is built and Winograd's F(2×2) takes it at 16 output tiles (WinogradMinConstTiles; a
// kernel computed in the graph needs WinogradMinTiles = 64, so without the lookup the
// patch product would be used); the result matches the native op.
func TestCapturedConstantKernel(t *testing.T) {
	if WinogradMinConstTiles > 16 || WinogradMinTiles <= 16 || WinogradMinChannels > 128 {
		t.Fatalf("thresholds changed (%d, %d, %d): update the shapes below", WinogradMinConstTiles, WinogradMinTiles, WinogradMinChannels)
	}
	withWinograd(t, WinogradAuto)
	x, k := weights(8, 1, 8, 8, 128), weights(9, 3, 3, 128, 128)
	kFlat := flat32(t, k)
	fn := func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		kk := graph.Const(g, tensors.FromFlatDataAndDimensions(kFlat, 3, 3, 128, 128))
		return []*graph.Node{repeatInWhile(in[0], 1, func(x *graph.Node) *graph.Node {
			return graph.Convolve(x, kk).PadSame().Done()
		})}
	}
	// camviz's configuration of the Go backend (camviz/backends.GoConfig): with the
	// default 8 op executors, the While body's executors take every worker slot and the
	// native convolution, which waits for one, never starts.
	inner := func() compute.Backend {
		b, err := gobackend.New("num_executors=2")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := run(t, inner(), fn, must(x.LocalClone()))
	wrapped := Wrap(inner()).(*Backend)
	got := run(t, wrapped, fn, must(x.LocalClone()))
	if e := relErr(flat32(t, got[0]), flat32(t, want[0])); e > 1e-5 {
		t.Errorf("While result: relative error %.3g", e)
	}
	if s := wrapped.Stats(); s.Lowered != 1 || s.Winograd != 1 {
		t.Errorf("stats = %+v, want the loop's convolution on Winograd's algorithm with its captured kernel transformed at build time", s)
	}
}

// repeatInWhile applies step to x times times as the body of a graph.While, with an
// int32 counter as the loop's other state, and returns the result.
func repeatInWhile(x *graph.Node, times int, step func(x *graph.Node) *graph.Node) *graph.Node {
	g := x.Graph()
	scalar := shapes.Make(dtypes.Int32)
	cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		i := graph.Parameter(g, "i", scalar)
		_ = graph.Parameter(g, "x", x.Shape())
		return []*graph.Node{graph.LessThan(i, graph.Const(g, int32(times)))}
	})
	body := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		i := graph.Parameter(g, "i", scalar)
		y := graph.Parameter(g, "x", x.Shape())
		return []*graph.Node{graph.AddScalar(i, 1), step(y)}
	})
	return graph.While(cond, body, graph.Const(g, int32(0)), x)[1]
}
