package camviz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// floorModel taps "scaled" = 3·images, then "floored" = ⌊scaled⌋ (GoMLX defines no
// gradient for Floor), and scores mean(exp(floored)) over the image with weights (1, −1).
func floorModel(_ *model.Scope, images *graph.Node) *graph.Node {
	scaled := camviz.Tap(graph.MulScalar(images, 3), "scaled")
	floored := camviz.Tap(graph.Floor(scaled), "floored")
	pooled := graph.ReduceMean(graph.Exp(floored), 1, 2)
	return graph.MatMul(pooled, graph.Const(images.Graph(), [][]float32{{1, -1}}))
}

// TestGraphErrorsUsefulPartFirst checks that a panic while building the explanation graph
// (GoMLX: an op without a gradient, a convolution given the wrong channels) is an error
// whose first part says what failed, with the Explainer's context after " — ", no GoMLX
// wrapping, and a GraphError underneath; and that the advice it gives works.
func TestGraphErrorsUsefulPartFirst(t *testing.T) {
	gradcam := []camviz.Method{camviz.MethodGradCAM}
	image := make([]float32, 16)
	for i := range image {
		image[i] = float32(i) / 7
	}
	check := func(t *testing.T, err error, prefix, context string) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, prefix) {
			t.Errorf("error\n%s\ndoes not start with\n%s", msg, prefix)
		}
		if !strings.Contains(msg, " — "+context) {
			t.Errorf("error %q lacks the context %q", msg, context)
		}
		var be *camviz.GraphError
		if !errors.As(err, &be) {
			t.Errorf("error %q is no GraphError", msg)
		}
		for _, wrap := range []string{"panicked", "compilation failed", "\n"} {
			if strings.Contains(msg, wrap) {
				t.Errorf("error carries GoMLX's %q: %q", wrap, msg)
			}
		}
	}
	t.Run("op without a gradient", func(t *testing.T) {
		ex, err := camviz.NewExplainer(testBackend, nil, floorModel, camviz.Config{Layers: []string{"scaled"},
			Methods: []camviz.Method{camviz.MethodGradCAM, camviz.MethodScoreCAM}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ex.ExplainFloats(image, []int{1, 4, 4, 1}, camviz.ClassTarget(0))
		check(t, err, `node "floored" (GoMLX op Floor): GoMLX defines no gradient for it, so GradCAM cannot go from the score `+
			`back to layer "scaled" through it; explain a layer after it (e.g. "floored"), or use a method without gradients (`,
			`while building the explanation graph for images [1 4 4 1] (layers [scaled], methods [GradCAM ScoreCAM])`)
		// The methods it lists take no gradient: each runs at "scaled".
		_, list, _ := strings.Cut(err.Error(), "without gradients (")
		list, _, _ = strings.Cut(list, ") — ")
		if !strings.Contains(list, "ScoreCAM") {
			t.Errorf("the methods without gradients %q lack ScoreCAM", list)
		}
		for _, m := range strings.Split(list, ", ") {
			method, perr := camviz.ParseMethod(m)
			if perr != nil {
				t.Fatalf("listed method %q: %v", m, perr)
			}
			needs, _ := camviz.MethodNeeds(method)
			if needs.TapGradients || needs.InputGradient || needs.BiasGradients || needs.HessianVector || needs.OwnScores {
				t.Errorf("listed method %s takes gradients", m)
			}
		}
		ex, err = camviz.NewExplainer(testBackend, nil, floorModel, camviz.Config{Layers: []string{"scaled"},
			Methods: []camviz.Method{camviz.MethodScoreCAM}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ex.ExplainFloats(image, []int{1, 4, 4, 1}, camviz.ClassTarget(0)); err != nil {
			t.Errorf("ScoreCAM at the same layer: %v", err)
		}
		ex, err = camviz.NewExplainer(testBackend, nil, floorModel, camviz.Config{Layers: []string{"floored"}, Methods: gradcam})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ex.ExplainFloats(image, []int{1, 4, 4, 1}, camviz.ClassTarget(0)); err != nil {
			t.Errorf("GradCAM at the suggested layer: %v", err)
		}
	})
	t.Run("an op inside a tapped computation", func(t *testing.T) {
		// ⌊scaled⌋ + 1 is tapped as a whole: the error names the tap the Floor computes.
		fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
			scaled := camviz.Tap(graph.MulScalar(images, 3), "scaled")
			shifted := camviz.Tap(graph.AddScalar(graph.Floor(scaled), 1), "shifted")
			return graph.MatMul(graph.ReduceMean(shifted, 1, 2), graph.Const(images.Graph(), [][]float32{{1, -1}}))
		}
		ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"scaled"}, Methods: gradcam})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ex.ExplainFloats(image, []int{1, 4, 4, 1}, camviz.ClassTarget(0))
		check(t, err, `GoMLX op Floor (node #`, "while building the explanation graph for images [1 4 4 1]")
		if !strings.Contains(err.Error(), `, computing "shifted"): GoMLX defines no gradient for it, so GradCAM cannot go from the score `+
			`back to layer "scaled" through it; explain a layer after it (e.g. "shifted")`) {
			t.Errorf("error %q does not name the tap the Floor computes", err)
		}
	})
	t.Run("Config.TapOrigin names the node", func(t *testing.T) {
		origin := func(tap string) string {
			if tap == "floored" {
				return `ONNX node "q" (op Floor, output "floored")`
			}
			return ""
		}
		ex, err := camviz.NewExplainer(testBackend, nil, floorModel, camviz.Config{Layers: []string{"scaled"}, Methods: gradcam,
			TapOrigin: origin})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ex.ExplainFloats(image, []int{1, 4, 4, 1}, camviz.ClassTarget(0))
		check(t, err, `ONNX node "q" (op Floor, output "floored"): GoMLX defines no gradient for its op Floor, so GradCAM`,
			"while building the explanation graph for images [1 4 4 1]")
	})
	t.Run("wrong channel count", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		_, err := ex.ExplainFloats(make([]float32, 32*32*4), []int{1, 32, 32, 4}, camviz.ArgmaxTarget())
		check(t, err, "ConvGeneralOp:  we must have inputChannels (=4) = kernelInputChannels (=3)",
			"while building the explanation graph for images [1 32 32 4] (layers [relu3], methods [GradCAM])")
		_, err = ex.Taps(1, 32, 32, 4)
		check(t, err, "ConvGeneralOp:  we must have inputChannels (=4)", "while building the model for input [1 32 32 4]")
	})
}
