package models

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"google.golang.org/protobuf/proto"
)

const modelADir = "../../testdata/reference/model_a"

func readNpy(t *testing.T, rel string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(modelADir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// checkClose fails when some |got − want| exceeds abs + rel·|want|, and logs the largest
// absolute and relative differences.
func checkClose(t *testing.T, what string, got, want []float32, rel, abs float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, at, maxAbs, maxRel := 0.0, -1, 0.0, 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		maxAbs = max(maxAbs, d)
		if w := math.Abs(float64(want[i])); w > 0 {
			maxRel = max(maxRel, d/w)
		}
		if d > abs+rel*math.Abs(float64(want[i])) && d > worst {
			worst, at = d, i
		}
	}
	t.Logf("%s: max |Δ| %.3g, max rel %.3g", what, maxAbs, maxRel)
	if at >= 0 {
		t.Errorf("%s: |Δ| = %g at %d (got %g, want %g), over rel %g / abs %g", what, worst, at, got[at], want[at], rel, abs)
	}
}

// maxAbs is max |v|: raw maps are compared to 1e-5 of their scale where values are
// near 0 (float32 sums of many terms cancel there).
func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}

func flatMaps(maps []*heatmap.Map) []float32 {
	var out []float32
	for _, m := range maps {
		out = append(out, m.Data...)
	}
	return out
}

func loadModelA(t *testing.T) *Model {
	t.Helper()
	m, err := LoadONNX(filepath.Join(modelADir, "model_a.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadONNXModelA(t *testing.T) {
	m := loadModelA(t)
	if !m.ChannelsFirst || m.Spec.NumClasses != 10 || m.Spec.InputSize != [3]int{32, 32, 3} {
		t.Fatalf("ChannelsFirst %v, NumClasses %d, InputSize %v; want true, 10, [32 32 3]",
			m.ChannelsFirst, m.Spec.NumClasses, m.Spec.InputSize)
	}
	if m.CAMWeights != "/ONNX/fc.weight" {
		t.Errorf("CAMWeights = %q, want /ONNX/fc.weight", m.CAMWeights)
	}
	wantLayers := []string{"conv1/Conv_output_0", "relu1/Relu_output_0", "conv2/Conv_output_0", "relu2/Relu_output_0",
		"pool/MaxPool_output_0", "conv3/Conv_output_0", "target_activation", "gap/GlobalAveragePool_output_0"}
	if !slices.Equal(m.Layers, wantLayers) {
		t.Errorf("Layers = %q, want %q", m.Layers, wantLayers)
	}
	backend := newTestBackend(t)
	taps, err := m.Taps(backend, m.InputDims(2)...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"relu2/Relu_output_0": {2, 32, 32, 32}, "target_activation": {2, 64, 16, 16},
		"Flatten_output_0": {2, 64}, "logits": {2, 10}}
	if len(taps) != 10 {
		t.Errorf("%d taps, want the 10 node outputs: %v", len(taps), taps)
	}
	for _, tp := range taps {
		if d, ok := want[tp.Name]; ok && !slices.Equal(d, tp.Shape) {
			t.Errorf("tap %s has shape %v, want %v", tp.Name, tp.Shape, d)
		}
	}
	if taps[0].Name != "conv1/Conv_output_0" || taps[len(taps)-1].Name != "logits" {
		t.Errorf("taps are not in graph order: first %s, last %s", taps[0].Name, taps[len(taps)-1].Name)
	}

	in := readNpy(t, "input_nchw.npy")
	logits, err := m.Predict(backend, in.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "logits", logits[0], readNpy(t, "logits.npy").Data, 1e-5, 1e-6)
}

// TestONNXGradCAMReference compares Grad-CAM and CAM through the ONNX import with
// pytorch-grad-cam's maps for class 3: Grad-CAM at relu3 (the graph output
// "target_activation") and relu2 from one Explain call, CAM at relu3.
func TestONNXGradCAMReference(t *testing.T) {
	m := loadModelA(t)
	backend := newTestBackend(t)
	in := readNpy(t, "input_nchw.npy")
	explain := func(layers []string, methods ...camviz.Method) *camviz.Result {
		ex, err := m.Explainer(backend, layers, methods...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := explain([]string{"target_activation", "/relu2/Relu_output_0"}, camviz.MethodGradCAM)
	camRes := explain([]string{"target_activation"}, camviz.MethodCAM)
	checkClose(t, "logits", res.Logits[0], readNpy(t, "logits.npy").Data, 1e-5, 1e-6)
	for _, c := range []struct {
		layer, ref string
		method     camviz.Method
	}{
		{"target_activation", "relu3/GradCAM_cls3", camviz.MethodGradCAM},
		{"relu2/Relu_output_0", "relu2/GradCAM_cls3", camviz.MethodGradCAM},
		{"target_activation", "relu3/CAM_cls3", camviz.MethodCAM},
	} {
		r := res
		if c.method == camviz.MethodCAM {
			r = camRes
		}
		raw, err := r.Raw(c.layer, c.method)
		if err != nil {
			t.Fatal(err)
		}
		want := readNpy(t, "outputs/"+c.ref+"_raw.npy").Data
		checkClose(t, c.ref+" raw", flatMaps(raw), want, 1e-5, 1e-5*maxAbs(want))
		final, err := r.Final(c.layer, c.method)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, c.ref+" final", flatMaps(final), readNpy(t, "outputs/"+c.ref+"_final.npy").Data, 0, 1e-4)
	}
	w, err := res.Weights("target_activation", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "GradCAM weights", w[0], readNpy(t, "outputs/relu3/GradCAM_cls3_weights.npy").Data, 1e-5, 1e-9)
}

// TestONNXReplaceTap zeroes relu3 through camviz.ReplaceTap: global average pooling then
// gives 0, so the logits are exactly the classifier's bias.
func TestONNXReplaceTap(t *testing.T) {
	m := loadModelA(t)
	backend := newTestBackend(t)
	in := readNpy(t, "input_nchw.npy")
	out, err := model.CallOnce(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		zeros := graph.Zeros(x.Graph(), graphShape(x, 64, 16, 16))
		return camviz.ReplaceTap(x.Graph(), "target_activation", zeros, func() *graph.Node { return m.Fn(scope, x) })
	}, tensors.FromFlatDataAndDimensions(in.Data, in.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "logits with relu3 = 0", tensors.MustCopyFlatData[float32](out), readNpy(t, "weights/fc.bias.npy").Data, 0, 1e-7)
}

func TestCheckInput(t *testing.T) {
	m := loadModelA(t)
	if err := m.CheckInput([]int{2, 3, 32, 32}); err != nil {
		t.Errorf("[2 3 32 32]: %v", err)
	}
	for _, dims := range [][]int{{1, 32, 32, 3}, {1, 3, 64, 64}, {3, 32, 32}, {0, 3, 32, 32}} {
		if err := m.CheckInput(dims); err == nil {
			t.Errorf("CheckInput(%v) gave no error", dims)
		} else {
			t.Log(err)
		}
	}
	zoo, err := New(ResNetSpec(32, 32, 3, 4, []int{8}, []int{1}))
	if err != nil {
		t.Fatal(err)
	}
	if err := zoo.CheckInput([]int{1, 48, 40, 3}); err != nil {
		t.Errorf("zoo models take any size: %v", err)
	}
	if err := zoo.CheckInput([]int{1, 3, 32, 32}); err == nil {
		t.Error("zoo model accepted NCHW input [1 3 32 32]")
	}
}

// TestLoadONNXInitializersAsInputs loads model A re-saved with its initializers also
// listed as graph inputs (torch.onnx.export's keep_initializers_as_inputs): the image is
// still the one input, and the logits are unchanged.
func TestLoadONNXInitializersAsInputs(t *testing.T) {
	contents, err := os.ReadFile(filepath.Join(modelADir, "model_a.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	og, err := parseONNXGraph(contents)
	if err != nil {
		t.Fatal(err)
	}
	gr := og.proto.Graph
	for _, init := range gr.Initializer {
		dims := make([]*protos.TensorShapeProto_Dimension, len(init.Dims))
		for i, d := range init.Dims {
			dims[i] = &protos.TensorShapeProto_Dimension{Value: &protos.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		}
		gr.Input = append(gr.Input, &protos.ValueInfoProto{Name: init.Name, Type: &protos.TypeProto{
			Value: &protos.TypeProto_TensorType{TensorType: &protos.TypeProto_Tensor{ElemType: init.DataType,
				Shape: &protos.TensorShapeProto{Dim: dims}}}}})
	}
	if len(gr.Input) != 9 {
		t.Fatalf("%d graph inputs, want the image and 8 initializers", len(gr.Input))
	}
	out, err := proto.Marshal(og.proto)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model_a_inits.onnx")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadONNX(path)
	if err != nil {
		t.Fatal(err)
	}
	in := readNpy(t, "input_nchw.npy")
	logits, err := m.Predict(newTestBackend(t), in.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "logits", logits[0], readNpy(t, "logits.npy").Data, 1e-5, 1e-6)
}

func TestLoadONNXErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("this is not a protobuf \xff\xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.onnx"), garbage} {
		if _, err := LoadONNX(path); err == nil {
			t.Errorf("LoadONNX(%s) gave no error", path)
		} else {
			t.Log(err)
		}
	}
	m := loadModelA(t)
	if err := m.Save(dir); err == nil {
		t.Error("Save of an ONNX model gave no error")
	}
}
