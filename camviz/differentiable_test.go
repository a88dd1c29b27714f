package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// gradCAMLoss builds L = Σ_{b,y,x} GradCAM(relu3, y³)² + Σ FinalMaps(GradCAM)·mask on model
// A and returns L with ∂L/∂(conv3 kernel) and ∂L/∂(fc kernel): a loss built from
// explanations, differentiated with respect to the model's parameters (through the
// gradient inside Grad-CAM, a second-order derivative).
func gradCAMLoss(scope *model.Scope, images *graph.Node) []*graph.Node {
	g := images.Graph()
	logits := modela.Forward(scope, images)
	acts := g.GetNodeByAlias("/relu3")
	score := graph.SliceAxis(logits, 1, graph.AxisRange(3, 4))
	raw := camviz.GradCAM(acts, graph.Reshape(score, -1))
	final, err := camviz.FinalMaps(raw, 32, 32)
	if err != nil {
		panic(err)
	}
	mask := graph.Iota(g, final.Shape(), 2) // weights the map towards the right-hand side
	loss := graph.Add(graph.ReduceAllSum(graph.Mul(raw, raw)), graph.ReduceAllSum(graph.Mul(final, mask)))
	wConv := scope.At("conv3").GetVariable("weights").NodeValue(g)
	wFC := scope.At("fc").GetVariable("weights").NodeValue(g)
	grads := graph.Gradient(loss, wConv, wFC)
	return []*graph.Node{loss, grads[0], grads[1]}
}

// TestGradCAMIsDifferentiable checks ∂L/∂θ of a loss built from Grad-CAM maps (raw and
// post-processed) against central finite differences in float64, for entries of the
// conv3 and fc kernels of model A.
func TestGradCAMIsDifferentiable(t *testing.T) {
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	img64 := make([]float64, len(images))
	for i, v := range images {
		img64[i] = float64(v)
	}
	in := tensors.FromFlatDataAndDimensions(img64, dims...)
	store, _, err := modela.LoadFloat64()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnceN(testBackend, store, gradCAMLoss, in)
	if err != nil {
		t.Fatal(err)
	}
	gradConv := tensors.MustCopyFlatData[float64](out[1])
	gradFC := tensors.MustCopyFlatData[float64](out[2])
	var nonZero int
	for _, v := range append(append([]float64(nil), gradConv...), gradFC...) {
		if v != 0 {
			nonZero++
		}
	}
	if nonZero < len(gradFC) {
		t.Fatalf("only %d non-zero gradient entries: the loss does not reach the parameters", nonZero)
	}
	lossAt := func(varPath []string, idx int, delta float64) float64 {
		v := store.RootScope().At("%s", varPath[0]).GetVariable(varPath[1])
		orig, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		vals := tensors.MustCopyFlatData[float64](orig)
		vals[idx] += delta
		if err := v.SetValuePreservingOld(tensors.FromFlatDataAndDimensions(vals, orig.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = v.SetValuePreservingOld(orig) }()
		res, err := model.CallOnceN(testBackend, store, gradCAMLoss, in)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](res[0])[0]
	}
	const eps = 1e-6
	for _, c := range []struct {
		path []string
		idx  int
		grad []float64
	}{
		{[]string{"fc", "weights"}, 0*10 + 3, gradFC},  // kernel [64, 10]: channel 0, class 3
		{[]string{"fc", "weights"}, 10*17 + 3, gradFC}, // channel 17, class 3
		{[]string{"conv3", "weights"}, 5000, gradConv}, // [3, 3, 32, 64]
		{[]string{"conv3", "weights"}, 12345, gradConv},
	} {
		fd := (lossAt(c.path, c.idx, eps) - lossAt(c.path, c.idx, -eps)) / (2 * eps)
		t.Logf("%v[%d]: analytic %.9g fd %.9g", c.path, c.idx, c.grad[c.idx], fd)
		if got := c.grad[c.idx]; math.Abs(fd-got) > 1e-5*math.Max(math.Abs(fd), 1e-3) {
			t.Errorf("∂L/∂%v[%d] = %.9g, finite difference %.9g", c.path, c.idx, got, fd)
		}
	}
}
