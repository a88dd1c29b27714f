package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestShapleyCAMReducesToGradCAM checks ShapleyCAM's second-order term: with a logit
// target model A is piecewise linear after relu2 and relu3 (ReLU, max pooling, average
// pooling, linear), so the Hessian-vector product vanishes and ShapleyCAM's weights are
// Grad-CAM's; with the softmax probability it does not vanish, and the weights differ.
func TestShapleyCAMReducesToGradCAM(t *testing.T) {
	methods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodShapleyCAM}
	for _, layer := range []string{"relu3", "relu2"} {
		res := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{layer}, Methods: methods},
			camviz.ClassTarget(3, 5))
		g, _ := res.Weights(layer, camviz.MethodGradCAM)
		s, _ := res.Weights(layer, camviz.MethodShapleyCAM)
		if e := maxRelErr(flatWeights(s), flatWeights(g)); e > 1e-6 {
			t.Errorf("%s, logit target: ShapleyCAM weights differ from Grad-CAM's by %.3g (relative)", layer, e)
		}
		res = explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{layer}, Methods: methods},
			camviz.SoftmaxTarget(3, 5))
		g, _ = res.Weights(layer, camviz.MethodGradCAM)
		s, _ = res.Weights(layer, camviz.MethodShapleyCAM)
		// measured: 6.1e-3 at relu2; float32 rounding alone gives about 1e-7
		if e := maxRelErr(flatWeights(s), flatWeights(g)); e < 1e-4 {
			t.Errorf("%s, softmax target: ShapleyCAM weights equal Grad-CAM's to %.3g: the Hessian term is missing", layer, e)
		}
	}
}

// TestFullGradCompleteness checks the full-gradient decomposition the engine's input and
// bias gradients must satisfy on model A (ReLU, max pooling, linear layers with biases):
// y_c = Σ x ⊙ ∂y/∂x + Σ_conv Σ_k b_k Σ_ij ∂y/∂z_k + b_fc[c], per example; and on a
// bias-free linear model y = Σ x ⊙ ∂y/∂x.
func TestFullGradCompleteness(t *testing.T) {
	res := explainWith(t, "input_b2_nchw.npy", camviz.Config{Methods: []camviz.Method{camviz.MethodFullGrad}},
		camviz.ClassTarget(3, 5))
	in, _, err := res.Extra(camviz.WholeModelLayer, camviz.MethodFullGrad, camviz.FullGradInputTotal)
	if err != nil {
		t.Fatal(err)
	}
	bias, _, err := res.Extra(camviz.WholeModelLayer, camviz.MethodFullGrad, camviz.FullGradBiasTotal)
	if err != nil {
		t.Fatal(err)
	}
	fcBias, err := npy.ReadFile(modela.Dir() + "/weights/fc.bias.npy")
	if err != nil {
		t.Fatal(err)
	}
	for b, c := range []int{3, 5} {
		y := float64(res.Logits[b][c])
		sum := float64(in[b]) + float64(bias[b]) + float64(fcBias.Data[c])
		if math.Abs(sum-y) > 1e-5*math.Max(1, math.Abs(y)) {
			t.Errorf("example %d: input %.7g + conv biases %.7g + fc bias %.7g = %.7g, want y = %.7g",
				b, in[b], bias[b], fcBias.Data[c], sum, y)
		}
		if math.Abs(float64(bias[b])) < 1e-3 {
			t.Errorf("example %d: the conv bias term is %.3g, too small for the check to mean anything", b, bias[b])
		}
	}

	// A bias-free linear model: y = Σ_ij Σ_c W[i,j,c,·] x[i,j,c].
	w := [][]float32{{0.5, -1}, {2, 0.25}, {-0.75, 1.5}, {1, 1}}
	linear := func(_ *model.Scope, images *graph.Node) *graph.Node {
		flat := graph.Reshape(images, images.Shape().Dimensions[0], 4)
		return graph.MatMul(flat, graph.Const(images.Graph(), w))
	}
	ex, err := camviz.NewExplainer(testBackend, nil, linear, camviz.Config{Methods: []camviz.Method{camviz.MethodFullGrad}})
	if err != nil {
		t.Fatal(err)
	}
	img := []float32{0.3, -1.2, 0.7, 2.5, 1, 1, -0.5, 0.25}
	lr, err := ex.ExplainFloats(img, []int{2, 2, 2, 1}, camviz.ClassTarget(1))
	if err != nil {
		t.Fatal(err)
	}
	lin, _, _ := lr.Extra("", camviz.MethodFullGrad, camviz.FullGradInputTotal)
	for b := range 2 {
		if math.Abs(float64(lin[b]-lr.Logits[b][1])) > 1e-6 {
			t.Errorf("linear model, example %d: Σ x ⊙ ∂y/∂x = %g, want y = %g", b, lin[b], lr.Logits[b][1])
		}
	}
}
