package models

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/camviz/camviz/camviz/preprocess"
)

const squeezeNetDir = "../../testdata/pretrained/squeezenet1.1-fp16"

// squeezeNetLayers are the layers the references cover: the default layer (conv10_2, the
// class maps [1000, 13, 13] that the global average pooling turns into the scores),
// fire9/concat_1 (the last fire module; the model's Dropout, which camviz removes, made
// fire9/concat_2 from it) and fire5/concat_1 ([256, 27, 27], mid-network).
var squeezeNetLayers = []string{"conv10_2", "fire9/concat_1", "fire5/concat_1"}

// loadSqueezeNet loads the shipped model and the picture NAME_224.png as --preset caffe
// makes it.
func loadSqueezeNet(t *testing.T, pictures ...string) (*Model, map[string][]float32) {
	t.Helper()
	m, err := LoadONNX(filepath.Join(squeezeNetDir, "SqueezeNet_fp16.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := m.Preprocessing(preprocess.Request{Preset: preprocess.PresetCaffe})
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]float32{}
	for _, pic := range pictures {
		rgb, err := datasets.LoadImage(filepath.Join(squeezeNetDir, pic+"_224.png"), plan.Height, plan.Width)
		if err != nil {
			t.Fatal(err)
		}
		if inputs[pic], err = plan.Apply(rgb, m.ChannelsFirst); err != nil {
			t.Fatal(err)
		}
	}
	return m, inputs
}

// TestPretrainedSqueezeNetFP16 loads a real pretrained opset-7 classifier unmodified:
// WinML's SqueezeNet_fp16.onnx, SqueezeNet v1.1 exported from Caffe2 (ir_version 3,
// every tensor float16, weights also listed as graph inputs, a Dropout with a mask, a
// Conv → Relu → GlobalAveragePool → Softmax head). It checks what LoadONNX reads (image
// input data_0, the score = the Softmax's input pool10_1, the default layer, the float16
// note), then on scikit-image's cat and coffee photographs under --preset caffe: the
// logits against two agreeing float64 evaluations from the model's own float16 weights
// (scripts/gen_pretrained_refs.py squeezenet), the ImageNet names of the top 5, and the
// raw maps and Grad-CAM weights of Grad-CAM, HiResCAM, LayerCAM, XGrad-CAM and Grad-CAM++
// at three layers against torch autograd in float64 (which pytorch-grad-cam's own classes
// reproduce to 1e-15 when the script is given them). The float16 weights are exact in
// float32, so float32 arithmetic is the only difference: 1e-4 relative.
func TestPretrainedSqueezeNetFP16(t *testing.T) {
	m, inputs := loadSqueezeNet(t, "chelsea", "coffee")
	if m.onnx.graph.input != "data_0" || m.Score != "pool10_1" || m.Spec.NumClasses != 1000 || m.Spec.InputSize != [3]int{224, 224, 3} ||
		m.Spec.ClassNames != nil || m.CAMWeights != onnxCAMIdentityTap {
		t.Fatalf("input %q, Score %q, %d classes, input size %v, %d class names, CAM weights %q; want data_0, pool10_1, 1000, "+
			"[224 224 3], none (the file carries no labels), the identity (the score is the pooled conv10_2)", m.onnx.graph.input, m.Score,
			m.Spec.NumClasses, m.Spec.InputSize, len(m.Spec.ClassNames), m.CAMWeights)
	}
	if want := "float16 model: computed in float32 (52 float16 tensors widened exactly, 119 types retyped)"; !slices.Contains(m.Input.Sources, want) {
		t.Errorf("Input.Sources %q lack %q", m.Input.Sources, want)
	}
	if m.Store.NumVariables() != 52 {
		t.Errorf("%d variables, want the 52 weights", m.Store.NumVariables())
	}
	backend := newTestBackend(t)
	if l, err := m.DefaultLayer(backend); err != nil || l != "conv10_2" {
		t.Errorf("DefaultLayer = %q, %v; want conv10_2", l, err)
	}
	for _, l := range squeezeNetLayers {
		if !slices.Contains(m.Layers, l) {
			t.Fatalf("layers %q lack %s", m.Layers, l)
		}
	}
	read := func(name string) []float32 {
		a, err := npy.ReadFile(filepath.Join(squeezeNetDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return a.Data
	}
	methods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodHiResCAM, camviz.MethodLayerCAM, camviz.MethodXGradCAM,
		camviz.MethodGradCAMPlusPlus}
	ex, err := m.Explainer(backend, squeezeNetLayers, methods...)
	if err != nil {
		t.Fatal(err)
	}
	shapley, err := m.Explainer(backend, squeezeNetLayers, camviz.MethodShapleyCAM)
	if err != nil {
		t.Fatal(err)
	}
	shapleySoftmax, err := m.Explainer(backend, squeezeNetLayers, camviz.MethodShapleyCAM)
	if err != nil {
		t.Fatal(err)
	}
	names, err := labels.Choose("", m.Spec.ClassNames, m.Spec.NumClasses)
	if err != nil || !strings.HasPrefix(names.Source, "ImageNet-1k") {
		t.Fatalf("labels: %+v, %v; want the bundled ImageNet-1k names", names.Source, err)
	}
	wantTop5 := map[string][]string{ // the float64 reference's top 5 (see SOURCE.md)
		"chelsea": {"Egyptian cat", "tiger cat", "tabby", "lynx", "cheetah"},
		"coffee":  {"espresso", "cup", "consomme", "coffee mug", "chocolate sauce"},
	}
	for _, pic := range []string{"chelsea", "coffee"} {
		res, err := ex.ExplainFloats(inputs[pic], m.InputDims(1), camviz.ArgmaxTarget())
		if err != nil {
			t.Fatal(err)
		}
		shapleyRes, err := shapley.ExplainFloats(inputs[pic], m.InputDims(1), camviz.ArgmaxTarget())
		if err != nil {
			t.Fatal(err)
		}
		// ShapleyCAM for the softmax probability: a Hessian that is not 0, whose product
		// with A runs back through the ReLUs and the overlapping max poolings (the second
		// derivatives of secondorder_activation.go and secondorder_overlap.go).
		softmaxRes, err := shapleySoftmax.ExplainFloats(inputs[pic], m.InputDims(1), camviz.SoftmaxTarget(argmax(res.Logits[0])))
		if err != nil {
			t.Fatal(err)
		}
		want := read(pic + "_logits.npy")
		checkClose(t, pic+" logits", res.Logits[0], want, 1e-4, 1e-4*maxAbs(want))
		var top5 []string
		for _, p := range labels.TopK(names, res.Logits[0], 5) {
			top5 = append(top5, p.Name)
		}
		if !slices.Equal(top5, wantTop5[pic]) {
			t.Errorf("%s: top-5 %q, want %q", pic, top5, wantTop5[pic])
		}
		for _, layer := range squeezeNetLayers {
			key := strings.ReplaceAll(layer, "/", "_")
			for _, method := range methods {
				raw, err := res.Raw(layer, method)
				if err != nil {
					t.Fatal(err)
				}
				ref := read(fmt.Sprintf("%s_%s_%s_raw.npy", pic, key, method))
				checkClose(t, fmt.Sprintf("%s %s %s raw", pic, layer, method), flatMaps(raw), ref, 1e-4, 1e-4*maxAbs(ref))
			}
			// After each of these layers the network is piecewise linear (Conv, Relu, max
			// pooling, GlobalAveragePool; the score is a logit), so H·A = 0 and ShapleyCAM
			// is Grad-CAM (as pytorch-grad-cam's ShapleyCAM gives): the second derivatives
			// through ReLU and the overlapping max poolings (secondorder*.go) must vanish.
			raw, err := shapleyRes.Raw(layer, camviz.MethodShapleyCAM)
			if err != nil {
				t.Fatal(err)
			}
			ref := read(fmt.Sprintf("%s_%s_GradCAM_raw.npy", pic, key))
			checkClose(t, fmt.Sprintf("%s %s ShapleyCAM raw vs Grad-CAM", pic, layer), flatMaps(raw), ref, 1e-4, 1e-4*maxAbs(ref))
			raw, err = softmaxRes.Raw(layer, camviz.MethodShapleyCAM)
			if err != nil {
				t.Fatal(err)
			}
			ref = read(fmt.Sprintf("%s_%s_ShapleyCAM_softmax_raw.npy", pic, key))
			// The softmax's gradient p·(1 − p) and the cancelling sum Σ_j ∂p_c/∂z_j = 0
			// lose digits in float32: for the cat (p = 0.65) the largest error measured is
			// 8.7e-5 of the map's largest value (fire9), held to 3e-4; for the coffee's
			// espresso (p = 0.9996) it is 3.5e-3 (fire5), held to 1e-2. These maps differ
			// from Grad-CAM's by more than their own size, so the check is not void.
			tol := 3e-4
			if pic == "coffee" {
				tol = 1e-2
			}
			checkClose(t, fmt.Sprintf("%s %s ShapleyCAM raw, softmax target", pic, layer), flatMaps(raw), ref, tol, tol*maxAbs(ref))
			w, err := res.Weights(layer, camviz.MethodGradCAM)
			if err != nil {
				t.Fatal(err)
			}
			ref = read(fmt.Sprintf("%s_%s_GradCAM_weights.npy", pic, key))
			checkClose(t, fmt.Sprintf("%s %s GradCAM weights", pic, layer), w[0], ref, 1e-4, 1e-4*maxAbs(ref))
		}
	}
}

// TestPretrainedSqueezeNetEveryMethod runs every method camviz has on the real SqueezeNet
// (the cat picture, --preset caffe) at the default layer conv10_2 and at the earlier
// fire9/concat_1: each map must be finite and not constant, at the layer's 13×13 (FullGrad,
// which sums over the whole network, at the input's 224×224). Score-CAM, which runs the
// whole network once per channel of the layer (1000 and 512 passes there), runs at
// fire9/squeeze1x1_2 (64 channels, 13×13) instead, to keep the test short. CAM runs at
// conv10_2 (TestPretrainedSqueezeNetCAM checks its values) and must refuse fire9/concat_1.
func TestPretrainedSqueezeNetEveryMethod(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: every method on a real SqueezeNet takes a while")
	}
	m, inputs := loadSqueezeNet(t, "chelsea")
	backend := newTestBackend(t)
	var methods []camviz.Method
	for _, method := range camviz.Methods() {
		if method != camviz.MethodCAM && method != camviz.MethodScoreCAM {
			methods = append(methods, method)
		}
	}
	check := func(layers []string, methods ...camviz.Method) {
		ex, err := m.Explainer(backend, layers, methods...)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := ex.ExplainFloats(inputs["chelsea"], m.InputDims(1), camviz.ArgmaxTarget())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d methods at %q: %v (not a benchmark)", len(methods), layers, time.Since(start).Round(time.Millisecond))
		for _, layer := range layers {
			for _, method := range methods {
				raw, err := res.Raw(layer, method)
				if err != nil {
					t.Errorf("%s at %s: %v", method, layer, err)
					continue
				}
				v := flatMaps(raw)
				size := 13 * 13
				if method == camviz.MethodFullGrad {
					size = 224 * 224
				}
				lo, hi := slices.Min(v), slices.Max(v)
				if len(v) != size || lo == hi || math.IsNaN(float64(lo+hi)) || math.IsInf(float64(lo+hi), 0) {
					t.Errorf("%s at %s: %d values in [%g, %g]; want %d finite, not constant", method, layer, len(v), lo, hi, size)
				}
			}
		}
	}
	check([]string{"conv10_2", "fire9/concat_1"}, methods...)
	check([]string{"fire9/squeeze1x1_2"}, camviz.MethodScoreCAM)
	check([]string{"conv10_2"}, camviz.MethodCAM)

	// CAM where the layer is not the pooled one must fail with an error.
	for _, c := range []struct {
		layer  string
		method camviz.Method
		want   string
	}{{"fire9/concat_1", camviz.MethodCAM, "CAM applies to the last conv layer before global average pooling"}} {
		ex, err := m.Explainer(backend, []string{c.layer}, c.method)
		if err == nil {
			_, err = ex.ExplainFloats(inputs["chelsea"], m.InputDims(1), camviz.ArgmaxTarget())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s at %s: error %v, want one saying %q", c.method, c.layer, err, c.want)
		} else {
			t.Logf("%s at %s: %v", c.method, c.layer, err)
		}
	}
}

// TestPretrainedSqueezeNetCAM: SqueezeNet's score is the global average pooling of
// conv10_2 (one channel per class), so CAM's weights are the identity and CAM at conv10_2
// is channel c of the layer. Checked two ways: the map's mean is the logit (CAM's
// defining identity, score_c = GAP(M_c)), and the map is 169 × the Grad-CAM reference
// there (∂score_c/∂A_k = δ_kc/169, so Grad-CAM's weights are δ_kc/169). At fire9/concat_1
// (512 channels) CAM does not apply and says so.
func TestPretrainedSqueezeNetCAM(t *testing.T) {
	m, inputs := loadSqueezeNet(t, "chelsea")
	if m.CAMWeights != onnxCAMIdentityTap {
		t.Fatalf("CAMWeights %q, want %q", m.CAMWeights, onnxCAMIdentityTap)
	}
	backend := newTestBackend(t)
	ex, err := m.Explainer(backend, []string{"conv10_2"}, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(inputs["chelsea"], m.InputDims(1), camviz.ArgmaxTarget())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := res.Raw("conv10_2", camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	v := flatMaps(raw)
	mean := 0.0
	for _, x := range v {
		mean += float64(x) / float64(len(v))
	}
	c := argmax(res.Logits[0])
	if d := math.Abs(mean - float64(res.Logits[0][c])); d > 1e-5*math.Abs(mean) {
		t.Errorf("mean of the CAM map %g, logit %g: differ by %g", mean, res.Logits[0][c], d)
	}
	ref, err := npy.ReadFile(filepath.Join(squeezeNetDir, "chelsea_conv10_2_GradCAM_raw.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(ref.Data))
	for i, x := range ref.Data {
		want[i] = 169 * x
	}
	checkClose(t, "CAM at conv10_2 vs 169 × Grad-CAM", v, want, 1e-4, 1e-4*maxAbs(want))

	ex, err = m.Explainer(backend, []string{"fire9/concat_1"}, camviz.MethodCAM)
	if err == nil {
		_, err = ex.ExplainFloats(inputs["chelsea"], m.InputDims(1), camviz.ArgmaxTarget())
	}
	if err == nil {
		t.Error("CAM at fire9/concat_1 (512 channels, 1000 classes): no error")
	} else {
		t.Logf("CAM at fire9/concat_1: %v", err)
	}
}
