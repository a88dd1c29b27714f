package models

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// checkTapShapes builds the model for a batch of 2 and checks the shape of every block.
func checkTapShapes(t *testing.T, m *Model, want map[string][]int) {
	t.Helper()
	taps, err := m.Taps(newTestBackend(t), m.InputDims(2)...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range taps {
		names = append(names, tp.Name)
		if w, ok := want[tp.Name]; ok && !slices.Equal(tp.Shape, w) {
			t.Errorf("%s: tap %s has shape %v, want %v", m.Spec.Arch, tp.Name, tp.Shape, w)
		}
	}
	for _, l := range m.Layers {
		if _, ok := want[l]; !ok {
			t.Errorf("%s: block %s has no expected shape in the test", m.Spec.Arch, l)
		}
	}
	if !slices.Equal(names[:len(m.Layers)], m.Layers) {
		t.Errorf("%s: taps %v do not start with the blocks %v in graph order", m.Spec.Arch, names, m.Layers)
	}
}

func TestResNetShapes(t *testing.T) {
	m, err := New(ResNetSpec(32, 32, 3, 5, []int{8, 16, 24}, []int{2, 1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	checkTapShapes(t, m, map[string][]int{"stem": {2, 32, 32, 8}, "layer1.0": {2, 32, 32, 8}, "layer1.1": {2, 32, 32, 8},
		"layer2.0": {2, 16, 16, 16}, "layer3.0": {2, 8, 8, 24}, "classifier/weights": {24, 5}})
}

// TestResNet18Shapes builds (without running) the full-width ResNet-18 at 224×224 with
// 1000 classes: torchvision's feature-map sizes 112, 56, 28, 14, 7.
func TestResNet18Shapes(t *testing.T) {
	m, err := New(ResNet18Spec(1000, 224))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"stem": {2, 112, 112, 64}, "classifier/weights": {512, 1000}}
	for s, c := range []int{64, 128, 256, 512} {
		for b := range 2 {
			want[fmt.Sprintf("layer%d.%d", s+1, b)] = []int{2, 56 >> s, 56 >> s, c}
		}
	}
	checkTapShapes(t, m, want)
	params := 0
	for v := range m.Store.IterVariables() {
		if v.Trainable {
			params += v.Shape().Size()
		}
	}
	// torchvision's resnet18 has 11 689 512 parameters.
	if params != 11689512 {
		t.Errorf("ResNet-18 has %d trainable parameters, want torchvision's 11689512", params)
	}
}

// TestTorchPadding checks PyTorch's symmetric padding by hand on 8×8 inputs of ones.
// A 7×7/2 conv with pad 3 and a kernel of ones counts the in-bounds pixels of each
// window: rows 2i−3…2i+3 ∩ [0, 7] have 4, 6, 7, 5 pixels for i = 0…3 (XLA's SAME padding,
// (2, 3), would give 5, 7, 6, 4). A 3×3/2 max-pool with pad 1 over −(1…16) on 4×4 never
// picks the padding: −1, −2, −5, −6.
func TestTorchPadding(t *testing.T) {
	backend := newTestBackend(t)
	store := model.NewStore()
	ones := make([]float32, 7*7)
	for i := range ones {
		ones[i] = 1
	}
	store.RootScope().At("c").VariableWithValue("weights", tensors.FromFlatDataAndDimensions(ones, 7, 7, 1, 1))
	in := make([]float32, 64)
	for i := range in {
		in[i] = 1
	}
	out, err := model.CallOnce(backend, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return conv(scope.At("c"), x, 1, 7, 2, false)
	}, tensors.FromFlatDataAndDimensions(in, 1, 8, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	counts := []float32{4, 6, 7, 5}
	got := tensors.MustCopyFlatData[float32](out)
	for i := range 4 {
		for j := range 4 {
			if got[i*4+j] != counts[i]*counts[j] {
				t.Fatalf("conv 7×7/2 pad 3 = %v, want products of %v", got, counts)
			}
		}
	}
	neg := make([]float32, 16)
	for i := range neg {
		neg[i] = -float32(i + 1)
	}
	out, err = model.CallOnce(backend, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return maxPoolTorch(x, 3, 2, 1)
	}, tensors.FromFlatDataAndDimensions(neg, 1, 4, 4, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](out); !slices.Equal(got, []float32{-1, -2, -5, -6}) {
		t.Errorf("max-pool 3×3/2 pad 1 = %v, want [-1 -2 -5 -6]", got)
	}
}

// meanCrossEntropy is the mean of −log softmax(logits)[label] over the examples.
func meanCrossEntropy(t *testing.T, m *Model, examples []datasets.Example) float64 {
	t.Helper()
	images, labels, err := datasets.Stack(examples)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.Predict(newTestBackend(t), images, len(examples))
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for i, l := range logits {
		mx := float64(slices.Max(l))
		z := 0.0
		for _, v := range l {
			z += math.Exp(float64(v) - mx)
		}
		sum += mx + math.Log(z) - float64(l[labels[i]])
	}
	return sum / float64(len(logits))
}

// trainReducesLoss trains m for a few steps and checks that the inference-mode loss on
// the training examples went down; it returns the trained model.
func trainReducesLoss(t *testing.T, m *Model, examples []datasets.Example, steps int) {
	t.Helper()
	before := meanCrossEntropy(t, m, examples)
	if _, err := m.Train(newTestBackend(t), examples, TrainConfig{Steps: steps, BatchSize: 16, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	after := meanCrossEntropy(t, m, examples)
	t.Logf("%s: loss %.4f → %.4f after %d steps", m.Spec.Arch, before, after, steps)
	if !(after < 0.9*before) {
		t.Errorf("%s: loss %.4f → %.4f after %d steps; want at least a 10%% drop", m.Spec.Arch, before, after, steps)
	}
}

func syntheticSmall(t *testing.T, n int) []datasets.Example {
	t.Helper()
	cfg := datasets.DefaultSyntheticConfig()
	cfg.Size, cfg.NumClasses = 32, 4
	ex, err := datasets.Synthetic(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestResNetTrainSaveLoad trains a small resnet on the synthetic set (batch norm in
// training mode), checks the loss drops and the running statistics moved, then saves and
// loads it: the logits are identical.
func TestResNetTrainSaveLoad(t *testing.T) {
	m, err := New(ResNetSpec(32, 32, 3, 4, []int{8, 16}, []int{1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	examples := syntheticSmall(t, 64)
	trainReducesLoss(t, m, examples, 40)
	v := m.Store.GetVariable("/layer1/0/bn1/running_mean")
	if v == nil {
		t.Fatal("no variable /layer1/0/bn1/running_mean")
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	if rm := tensors.MustCopyFlatData[float32](val); slices.Max(rm) == 0 && slices.Min(rm) == 0 {
		t.Errorf("running_mean is still 0 after training: %v", rm)
	}

	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	images, _, _ := datasets.Stack(examples[:8])
	backend := newTestBackend(t)
	a, err := m.Predict(backend, images, 8)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loaded.Predict(backend, images, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("example %d: logits %v before saving, %v after loading", i, a[i], b[i])
		}
	}
}

// TestResNetGradCAMEveryBlock explains every block in one Explain call. Each map equals
// the map of an Explainer for that block alone, and at the last block (GAP → dense) the
// gradient is W[:, c]/(h·w), so Grad-CAM's raw map is CAM/(h·w).
func TestResNetGradCAMEveryBlock(t *testing.T) {
	m, err := New(ResNetSpec(32, 32, 3, 4, []int{8, 16}, []int{2, 1}))
	if err != nil {
		t.Fatal(err)
	}
	checkGradCAMEveryBlock(t, m, syntheticSmall(t, 2))
}

func checkGradCAMEveryBlock(t *testing.T, m *Model, examples []datasets.Example) {
	t.Helper()
	backend := newTestBackend(t)
	images, _, _ := datasets.Stack(examples)
	dims := m.InputDims(len(examples))
	explain := func(layers []string, methods ...camviz.Method) *camviz.Result {
		ex, err := m.Explainer(backend, layers, methods...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(1))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	all := explain(nil, camviz.MethodGradCAM)
	for _, l := range m.Layers {
		got, err := all.Raw(l, camviz.MethodGradCAM)
		if err != nil {
			t.Fatal(err)
		}
		alone, _ := explain([]string{l}, camviz.MethodGradCAM).Raw(l, camviz.MethodGradCAM)
		checkClose(t, "Grad-CAM at "+l, flatMaps(got), flatMaps(alone), 1e-5, 1e-9)
		if maxAbs(flatMaps(got)) == 0 {
			t.Errorf("Grad-CAM at %s is all zero", l)
		}
	}
	last := m.Layers[len(m.Layers)-1]
	cam, err := explain([]string{last}, camviz.MethodCAM).Raw(last, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	grad, _ := all.Raw(last, camviz.MethodGradCAM)
	scaled := flatMaps(cam)
	hw := float32(cam[0].H * cam[0].W)
	for i := range scaled {
		scaled[i] /= hw
	}
	checkClose(t, "Grad-CAM vs CAM/(h·w) at "+last, flatMaps(grad), scaled, 1e-4, 1e-5*maxAbs(scaled))
}
