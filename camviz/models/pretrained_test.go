package models

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

const mnist8Dir = "../../testdata/pretrained/mnist-8"

// TestPretrainedMNIST8 loads a real pretrained classifier, unmodified: the ONNX model
// zoo's MNIST (CNTK 2.5.1, opset 8; its Convs use auto_pad SAME_UPPER, which
// legalization makes explicit). On rendered digits 7 and 3 it checks the logits against
// two agreeing float64 evaluations of the original graph, that the model reads the
// digits right, and Grad-CAM, HiResCAM, LayerCAM and XGrad-CAM at ReLU114 (the last
// layer with spatial extent, 14×14) against torch autograd in float64
// (scripts/gen_pretrained_refs.py); Ablation-CAM and Score-CAM (which re-run the graph
// from the layer on) must give finite maps of the same size.
func TestPretrainedMNIST8(t *testing.T) {
	m, err := LoadONNX(filepath.Join(mnist8Dir, "mnist.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Score != "Plus214_Output_0" || m.Spec.NumClasses != 10 || m.Spec.InputSize != [3]int{28, 28, 1} {
		t.Fatalf("Score %q, %d classes, input %v; want Plus214_Output_0, 10, [28 28 1]", m.Score, m.Spec.NumClasses, m.Spec.InputSize)
	}
	const layer = "ReLU114_Output_0"
	if !slices.Contains(m.Layers, layer) {
		t.Fatalf("layers %q lack %s", m.Layers, layer)
	}
	backend := newTestBackend(t)
	read := func(name string) *npy.Array {
		a, err := npy.ReadFile(filepath.Join(mnist8Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	gradMethods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodHiResCAM, camviz.MethodLayerCAM, camviz.MethodXGradCAM}
	ex, err := m.Explainer(backend, []string{layer}, append(gradMethods, camviz.MethodAblationCAM, camviz.MethodScoreCAM)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, digit := range []int{7, 3} {
		in := read(fmt.Sprintf("digit%d.npy", digit))
		res, err := ex.ExplainFloats(in.Data, in.Shape, camviz.ArgmaxTarget())
		if err != nil {
			t.Fatal(err)
		}
		want := read(fmt.Sprintf("digit%d_logits.npy", digit)).Data
		checkClose(t, fmt.Sprintf("digit %d logits", digit), res.Logits[0], want, 1e-5, 1e-5*maxAbs(want))
		if c := argmax(res.Logits[0]); c != digit {
			t.Errorf("digit %d read as %d", digit, c)
		}
		for _, method := range gradMethods {
			raw, err := res.Raw(layer, method)
			if err != nil {
				t.Fatal(err)
			}
			ref := read(fmt.Sprintf("digit%d_%s_raw.npy", digit, method)).Data
			checkClose(t, fmt.Sprintf("digit %d %s raw", digit, method), flatMaps(raw), ref, 1e-5, 1e-5*maxAbs(ref))
		}
		w, err := res.Weights(layer, camviz.MethodGradCAM)
		if err != nil {
			t.Fatal(err)
		}
		ref := read(fmt.Sprintf("digit%d_GradCAM_weights.npy", digit)).Data
		checkClose(t, fmt.Sprintf("digit %d GradCAM weights", digit), w[0], ref, 1e-5, 1e-5*maxAbs(ref))
		for _, method := range []camviz.Method{camviz.MethodAblationCAM, camviz.MethodScoreCAM} {
			raw, err := res.Raw(layer, method)
			if err != nil {
				t.Fatal(err)
			}
			v := flatMaps(raw)
			if len(v) != 14*14 || maxAbs(v) == 0 || slices.ContainsFunc(v, func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }) {
				t.Errorf("digit %d %s: %d values, max |v| %g; want 196 finite, not all 0", digit, method, len(v), maxAbs(v))
			}
		}
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
