package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// A tiny model with per-pixel dense layers (1×1 convolutions), small enough to
// backpropagate by hand: x → W1 → ReLU → W2 → ReLU (tap "a2") → mean over pixels → Wfc.
var (
	tinyX   = []float32{0.5, -1, 1, 0.2, -0.3, 0.8, 0.7, 0.7} // [1, 2, 2, 2]
	tinyW1  = [][]float32{{1, -1, 0.5}, {0.5, 1, -1}}
	tinyB1  = []float32{0.1, -0.2, 0}
	tinyW2  = [][]float32{{1, -0.5, 0.3}, {-1, 1, 0.2}, {0.4, 0.6, -1}}
	tinyB2  = []float32{0, 0.1, -0.1}
	tinyWfc = [][]float32{{1, -1}, {-0.5, 2}, {0.8, 0.3}}
)

func tinyModel(_ *model.Scope, x *graph.Node) *graph.Node {
	g := x.Graph()
	dense := func(x *graph.Node, w [][]float32, b []float32) *graph.Node {
		y := graph.Einsum("bhwc,cd->bhwd", x, graph.Const(g, w))
		return graph.Add(y, graph.ExpandLeftToRank(graph.Const(g, b), 4))
	}
	a1 := camviz.ReLU(dense(x, tinyW1, tinyB1))
	a2 := camviz.Tap(camviz.ReLU(dense(a1, tinyW2, tinyB2)), "a2")
	return graph.MatMul(graph.ReduceMean(a2, 1, 2), graph.Const(g, tinyWfc))
}

// tinyGradient backpropagates class c's logit to the input by hand, with the guided
// rule (keep only positive gradients at positive inputs) or the plain chain rule.
func tinyGradient(c int, guided bool) []float64 {
	out := make([]float64, len(tinyX))
	for p := 0; p < 4; p++ {
		x := []float64{float64(tinyX[2*p]), float64(tinyX[2*p+1])}
		z1 := make([]float64, 3)
		for d := range z1 {
			z1[d] = float64(tinyB1[d]) + x[0]*float64(tinyW1[0][d]) + x[1]*float64(tinyW1[1][d])
		}
		z2 := make([]float64, 3)
		for e := range z2 {
			z2[e] = float64(tinyB2[e])
			for d := range z1 {
				z2[e] += math.Max(z1[d], 0) * float64(tinyW2[d][e])
			}
		}
		relu := func(g, z float64) float64 {
			if z <= 0 || (guided && g <= 0) {
				return 0
			}
			return g
		}
		gz2 := make([]float64, 3)
		for e := range gz2 {
			gz2[e] = relu(float64(tinyWfc[e][c])/4, z2[e])
		}
		gz1 := make([]float64, 3)
		for d := range gz1 {
			var ga1 float64
			for e := range gz2 {
				ga1 += float64(tinyW2[d][e]) * gz2[e]
			}
			gz1[d] = relu(ga1, z1[d])
		}
		for ch := 0; ch < 2; ch++ {
			for d := range gz1 {
				out[2*p+ch] += float64(tinyW1[ch][d]) * gz1[d]
			}
		}
	}
	return out
}

// TestGuidedBackprop checks guided backpropagation against a hand computation, checks
// that it differs from the plain gradient (the guided rule is active) while Grad-CAM in
// the same graph is unchanged, and that Guided Grad-CAM is Final ⊙ guided.
func TestGuidedBackprop(t *testing.T) {
	methods := []camviz.Method{camviz.MethodGradCAM}
	run := func(guided bool) *camviz.Result {
		ex, err := camviz.NewExplainer(testBackend, nil, tinyModel, camviz.Config{Layers: []string{"a2"}, Methods: methods,
			GuidedBackprop: guided})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(tinyX, []int{1, 2, 2, 2}, camviz.ClassTarget(0))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res, plain := run(true), run(false)
	gb, err := res.GuidedBackprop()
	if err != nil {
		t.Fatal(err)
	}
	want, grad := tinyGradient(0, true), tinyGradient(0, false)
	var differs bool
	for i, v := range gb[0].Data {
		if math.Abs(float64(v)-want[i]) > 1e-6 {
			t.Errorf("guided[%d] = %.7g, want %.7g (plain gradient %.7g)", i, v, want[i], grad[i])
		}
		differs = differs || math.Abs(want[i]-grad[i]) > 1e-3
	}
	if !differs {
		t.Fatal("test model too simple: the guided and plain gradients agree")
	}
	if _, err := plain.GuidedBackprop(); err == nil {
		t.Error("GuidedBackprop without Config.GuidedBackprop: want an error")
	}
	a, _ := res.Raw("a2", camviz.MethodGradCAM)
	b, _ := plain.Raw("a2", camviz.MethodGradCAM)
	if e := maxAbsErr(a[0].Data, b[0].Data); e != 0 {
		t.Errorf("Grad-CAM changed by the guided pass: max difference %g", e)
	}
	final, _ := res.Final("a2", camviz.MethodGradCAM)
	ggc, err := res.GuidedGradCAM("a2", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 2; x++ {
			for c := 0; c < 2; c++ {
				if got, want := ggc[0].At(y, x, c), final[0].At(y, x)*gb[0].At(y, x, c); got != want {
					t.Errorf("GuidedGradCAM(%d,%d,%d) = %g, want final·guided = %g", y, x, c, got, want)
				}
			}
		}
	}
	d := gb[0].Deprocess()
	for _, v := range d {
		if v < 0 || v > 1 {
			t.Fatalf("Deprocess gave %g outside [0, 1]", v)
		}
	}
}

// TestGuidedGradCAMGraph checks the graph function's broadcast and its shape error.
func TestGuidedGradCAMGraph(t *testing.T) {
	out, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, g *graph.Graph) []*graph.Node {
		guided := graph.Const(g, [][][][]float32{{{{1, 2}, {3, 4}}}}) // [1, 1, 2, 2]
		cam := graph.Const(g, [][][]float32{{{0.5, 2}}})              // [1, 1, 2]
		r, err := camviz.GuidedGradCAM(guided, cam, false)
		if err != nil {
			panic(err)
		}
		if _, err := camviz.GuidedGradCAM(guided, graph.Const(g, [][][]float32{{{1}}}), false); err == nil {
			panic("GuidedGradCAM accepted a map of the wrong size")
		}
		return []*graph.Node{r}
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].Value().([][][][]float32)[0][0]
	if got[0][0] != 0.5 || got[0][1] != 1 || got[1][0] != 6 || got[1][1] != 8 {
		t.Errorf("GuidedGradCAM = %v, want [[0.5 1] [6 8]]", got)
	}
}

// TestReLUGradient checks pytorch's ReLU gradient, 1[x > 0] (0 at x = 0), for ReLU and
// GuidedReLU, and the guided rule's clamp of negative incoming gradients.
func TestReLUGradient(t *testing.T) {
	out, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, g *graph.Graph) []*graph.Node {
		x := graph.Const(g, []float32{-1, 0, 2, 3})
		up := graph.Const(g, []float32{1, 1, 1, -1}) // incoming gradient: negative on the last element
		plain := graph.Gradient(graph.ReduceAllSum(graph.Mul(camviz.ReLU(x), up)), x)[0]
		guided := graph.Gradient(graph.ReduceAllSum(graph.Mul(camviz.GuidedReLU(x), up)), x)[0]
		return []*graph.Node{plain, guided, camviz.ReLU(x)}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]float32{{0, 0, 1, -1}, {0, 0, 1, 0}, {0, 0, 2, 3}} {
		got := out[i].Value().([]float32)
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("output %d = %v, want %v", i, got, want)
				break
			}
		}
	}
}
