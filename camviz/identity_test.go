package camviz_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestGradCAMEqualsCAMOverArea checks the identity of Selvaraju et al. (2017, Sec. 3.1)
// for a conv → GAP → linear network: ∂y^c/∂A^k_ij = w_k^c/(h·w), so
// Grad-CAM's raw map = CAM/(h·w) and ReLU(GradCAM) = ReLU(CAM)/(h·w). Also checks that the
// CAM map decomposes the logit: mean_xy M_c(x,y) = y^c − b_c.
func TestGradCAMEqualsCAMOverArea(t *testing.T) {
	methods := []camviz.Method{camviz.MethodCAM, camviz.MethodGradCAM}
	res := explainModelA(t, "input_b2_nchw.npy", []string{"relu3"}, methods, camviz.ClassTarget(3, 5))
	cams, err := res.Raw("relu3", camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := res.Raw("relu3", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	bias, err := npy.ReadFile(modela.Dir() + "/weights/fc.bias.npy")
	if err != nil {
		t.Fatal(err)
	}
	for b := range cams {
		area := float32(cams[b].H * cams[b].W)
		scaled := make([]float32, len(cams[b].Data))
		var mean float64
		for i, v := range cams[b].Data {
			scaled[i] = v / area
			mean += float64(v)
		}
		mean /= float64(area)
		if e := maxRelErr(grads[b].Data, scaled); e > 1e-5 {
			t.Errorf("example %d: GradCAM vs CAM/(h·w): max relative error %.3g", b, e)
		}
		cls := res.Classes[b]
		want := float64(res.Logits[b][cls]) - float64(bias.Data[cls])
		if math.Abs(mean-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("example %d: mean CAM %.7g, want logit−bias %.7g", b, mean, want)
		}
	}
}

// TestGradientFiniteDifference checks ∂y^3/∂A at relu2 (through maxpool, conv3, ReLU, GAP
// and the dense layer) against the reference gradient (float32) and against a central
// finite difference along random directions (float64), evaluating the model from the tap
// onward with camviz.ReplaceTap.
func TestGradientFiniteDifference(t *testing.T) {
	a, dims, grad, y0 := headGradient[float32](t, false)
	if want := float64(refLogit(t, 3)); math.Abs(y0-want) > 1e-6 {
		t.Fatalf("logit 3 from relu2 onward = %.7g, want %.7g", y0, want)
	}
	refGrad, err := npy.ReadFile(modela.Dir() + "/grads_relu2_cls3.npy")
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := modela.NCHWToNHWC(refGrad)
	if e := maxRelErr(grad, want); e > 1e-5 {
		t.Errorf("gradient vs pytorch reference: max relative error %.3g", e)
	}

	a64 := make([]float64, len(a))
	for i, v := range a {
		a64[i] = float64(v)
	}
	_, _, grad64, _ := headGradient[float64](t, true)
	eval := headEval(t, dims)
	// Move only positive activations: ReLU left many exact zeros, and a max-pool window of
	// tied zeros has only one-sided derivatives (its max of ±ε·v is not linear in ε). The
	// model is piecewise linear with kinks (ReLU, max-pool) as close as ~1e-5 along these
	// directions, so ε is small; float64 keeps the difference quotient exact to ~1e-9.
	rng := rand.New(rand.NewPCG(1, 2))
	const eps = 1e-7
	for trial := 0; trial < 3; trial++ {
		dir := make([]float64, len(a))
		var dot float64
		for i := range dir {
			if a64[i] > 0 {
				dir[i] = rng.NormFloat64()
			}
			dot += dir[i] * grad64[i]
		}
		plus, minus := make([]float64, len(a)), make([]float64, len(a))
		for i := range a64 {
			plus[i] = a64[i] + eps*dir[i]
			minus[i] = a64[i] - eps*dir[i]
		}
		fd := (eval(plus) - eval(minus)) / (2 * eps)
		if math.Abs(fd-dot) > 1e-5*math.Abs(dot) {
			t.Errorf("direction %d: finite difference %.10g vs ∇y·v %.10g", trial, fd, dot)
		}
	}
}

// headFn evaluates model A from relu2 onward: the score y^3 and its gradient.
func headFn(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
	g := x.Graph()
	images := graph.Zeros(g, shapes.Make(x.DType(), 1, 32, 32, 3))
	logits := camviz.ReplaceTap(g, "relu2", x, func() *graph.Node { return modela.Forward(scope, images) })
	score := graph.ReduceSum(graph.SliceAxis(logits, 1, graph.AxisRange(3, 4)))
	return score, graph.Gradient(score, x)[0]
}

func loadModelA(t *testing.T, float64s bool) *model.Store {
	t.Helper()
	load := modela.Load
	if float64s {
		load = modela.LoadFloat64
	}
	store, _, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// headGradient returns model A's relu2 activations (NHWC), their dims, ∂y^3/∂A and y^3.
func headGradient[T float32 | float64](t *testing.T, float64s bool) ([]float32, []int, []T, float64) {
	t.Helper()
	acts, err := npy.ReadFile(modela.Dir() + "/activations_relu2.npy")
	if err != nil {
		t.Fatal(err)
	}
	a, dims, err := modela.NCHWToNHWC(acts)
	if err != nil {
		t.Fatal(err)
	}
	in := tensors.FromFlatDataAndDimensions(a, dims...)
	if float64s {
		a64 := make([]float64, len(a))
		for i, v := range a {
			a64[i] = float64(v)
		}
		in = tensors.FromFlatDataAndDimensions(a64, dims...)
	}
	out, err := model.CallOnceN(testBackend, loadModelA(t, float64s), headFn, in)
	if err != nil {
		t.Fatal(err)
	}
	return a, dims, tensors.MustCopyFlatData[T](out[1]), float64(tensors.MustCopyFlatData[T](out[0])[0])
}

// headEval returns a function computing y^3 in float64 from relu2 activations.
func headEval(t *testing.T, dims []int) func([]float64) float64 {
	exec, err := model.NewExec(testBackend, loadModelA(t, true), headFn)
	if err != nil {
		t.Fatal(err)
	}
	return func(x []float64) float64 {
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, dims...))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](out[0])[0]
	}
}

func refLogit(t *testing.T, c int) float32 {
	t.Helper()
	l, err := npy.ReadFile(modela.Dir() + "/logits.npy")
	if err != nil {
		t.Fatal(err)
	}
	return l.Data[c]
}
