package models

import (
	"errors"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/onnxtest"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestExplainErrorsNameTheNodeFirst checks the first part of each explain-time error of
// an ONNX model: the failing ONNX node (an op without a gradient) or what is wrong with
// the input comes first, the Explainer's context after " — ", and no GoMLX wrapping
// ("panicked", "compilation failed"). It also checks that the advice works: a method
// without gradients at the same layer, and the gradient method at the suggested layer.
func TestExplainErrorsNameTheNodeFirst(t *testing.T) {
	backend := newTestBackend(t)
	m, err := LoadONNX(onnxtest.Write(t, "floor.onnx", onnxtest.Marshal(t, onnxtest.FloorHead())))
	if err != nil {
		t.Fatal(err)
	}
	const context = " — while building the explanation graph for images "
	for _, c := range []struct {
		name, layer string
		method      camviz.Method
		dims        []int
		target      camviz.Target
		prefix      string // the error's beginning
		context     bool   // the Explainer's context follows
	}{
		{"op without a gradient", "feat", camviz.MethodGradCAM, []int{1, 3, 8, 8}, camviz.ArgmaxTarget(),
			`ONNX node "Floor_rounded" (op Floor, output "rounded"): GoMLX defines no gradient for its op Floor, ` +
				`so GradCAM cannot go from the score back to layer "feat" through it; explain a layer after it (e.g. "rounded"), ` +
				`or use a method without gradients (AblationCAM, CAM, `, true},
		{"wrong channels", "rounded", camviz.MethodGradCAM, []int{1, 4, 8, 8}, camviz.ArgmaxTarget(),
			`input shape [1 4 8 8] has 4 channels; the model takes 3 (images [N, C, H, W], e.g. [1 3 8 8]); ` +
				`resize or convert the pictures (ONNX input "input" is declared [1 3 8 8]`, true},
		{"wrong size", "rounded", camviz.MethodGradCAM, []int{2, 3, 9, 9}, camviz.ArgmaxTarget(),
			`input shape [2 3 9 9]: the ONNX model takes 8×8 images`, true},
		{"wrong rank", "rounded", camviz.MethodGradCAM, []int{1, 3, 8}, camviz.ArgmaxTarget(),
			`input shape [1 3 8]: the model takes images [N, C, H, W], e.g. [1 3 8 8]`, true},
		{"unknown layer", "nope", camviz.MethodGradCAM, []int{1, 3, 8, 8}, camviz.ArgmaxTarget(),
			`camviz: unknown layer "nope"; the model's layers are:`, false},
		{"class out of range", "rounded", camviz.MethodGradCAM, []int{1, 3, 8, 8}, camviz.ClassTarget(7),
			`camviz: target class 7 for example 0 is outside [0, 5)`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ex, err := m.Explainer(backend, []string{c.layer}, c.method)
			if err != nil {
				t.Fatal(err)
			}
			n := 1
			for _, d := range c.dims {
				n *= d
			}
			_, err = ex.ExplainFloats(make([]float32, n), c.dims, c.target)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.prefix) {
				t.Errorf("error\n%s\ndoes not start with\n%s", msg, c.prefix)
			}
			var be *camviz.GraphError
			if got := strings.Contains(msg, context) && errors.As(err, &be); got != c.context {
				t.Errorf("Explainer context %q (a GraphError) present: %v, want %v: %s", context, got, c.context, msg)
			}
			for _, wrap := range []string{"panicked", "compilation failed", "graph construction"} {
				if strings.Contains(msg, wrap) {
					t.Errorf("error still wrapped in GoMLX's %q: %s", wrap, msg)
				}
			}
		})
	}
	// The advice works: Score-CAM at the same layer, Grad-CAM at the suggested one.
	for _, c := range []struct {
		layer  string
		method camviz.Method
	}{{"feat", camviz.MethodScoreCAM}, {"rounded", camviz.MethodGradCAM}} {
		ex, err := m.Explainer(backend, []string{c.layer}, c.method)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ex.ExplainFloats(make([]float32, 3*8*8), []int{1, 3, 8, 8}, camviz.ArgmaxTarget()); err != nil {
			t.Errorf("%s at %q: %v", c.method, c.layer, err)
		}
	}
}

// TestPredictErrorFirst: a model function that panics inside GoMLX (adding shapes that do
// not broadcast) makes Predict return GoMLX's message first, then what it was doing.
func TestPredictErrorFirst(t *testing.T) {
	m := &Model{Spec: Spec{Arch: "broken", InputSize: [3]int{2, 2, 1}}, Store: model.NewStore(),
		Fn: func(_ *model.Scope, x *graph.Node) *graph.Node {
			return graph.Add(graph.Reshape(x, -1, 4), graph.Const(x.Graph(), []float32{1, 2, 3}))
		}}
	_, err := m.Predict(newTestBackend(t), make([]float32, 4), 1)
	var ge *camviz.GraphError
	if err == nil || !errors.As(err, &ge) || !strings.HasSuffix(err.Error(), " — while building the broken model for images [1 2 2 1]") ||
		!strings.HasPrefix(err.Error(), "if operands are not scalars, their rank must match for BinaryOp (Add); got shapes (Float32)[1, 4] and (Float32)[3]") ||
		strings.Contains(err.Error(), "panicked") {
		t.Fatalf("error %v", err)
	}
}
