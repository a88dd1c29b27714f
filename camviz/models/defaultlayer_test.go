package models

import (
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/internal/onnxtest"
)

func TestDefaultLayerZoo(t *testing.T) {
	backend := newTestBackend(t)
	m, err := LoadShipped("gapcnn")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.DefaultLayer(backend); err != nil || got != "block3" {
		t.Errorf("shipped gapcnn: %q, %v; want block3 (the last block, before global average pooling)", got, err)
	}
	// At 4×4 the third block (after two 2×2 max-pools) is 1×1: the default is the last
	// block that still has spatial extent.
	m, err = New(GAPCNNSpec(4, 4, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.DefaultLayer(backend); err != nil || got != "block2" {
		t.Errorf("gapcnn at 4×4: %q, %v; want block2 (block3 is 1×1)", got, err)
	}
	m, err = New(Spec{Arch: "gapcnn", Channels: []int{4}, NumClasses: 2, InputSize: [3]int{1, 1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.DefaultLayer(backend); err == nil || !strings.Contains(err.Error(), "no block of the model has spatial extent") {
		t.Errorf("gapcnn at 1×1: error %v", err)
	}
	m, err = New(ResNetSpec(16, 16, 3, 4, []int{4, 8}, []int{1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.DefaultLayer(backend); err != nil || got != m.Layers[len(m.Layers)-1] {
		t.Errorf("resnet: %q, %v; want its last block %q", got, err, m.Layers[len(m.Layers)-1])
	}
}

func TestDefaultLayerModelA(t *testing.T) {
	// model_a: conv-relu ×2, max-pool, conv-relu ("target_activation", also a graph
	// output), GlobalAveragePool, Flatten, Gemm. pytorch-grad-cam's reference maps are
	// computed at target_activation.
	m := loadModelA(t)
	if got, err := m.DefaultLayer(newTestBackend(t)); err != nil || got != "target_activation" {
		t.Errorf("model_a: %q, %v; want target_activation", got, err)
	}
}

// A model whose graph computes a spatial tensor after the global pooling, in an
// auxiliary head that does not feed the scores: torchcam's rule (the last spatial output
// in execution order) would pick the auxiliary map; the default layer is the pooling's
// input.
func TestDefaultLayerSkipsSpatialTensorAfterPooling(t *testing.T) {
	m, err := LoadONNX(onnxtest.Write(t, "aux.onnx", auxHeadONNX(t)))
	if err != nil {
		t.Fatal(err)
	}
	backend := newTestBackend(t)
	taps, err := m.Taps(backend)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range taps {
		names = append(names, tp.Name)
	}
	// The auxiliary map comes after the pooling and the logits in graph order.
	if strings.Join(names, " ") != "feat feat_relu pooled flat logits aux aux_relu" {
		t.Fatalf("taps %q", names)
	}
	if got, err := m.DefaultLayerFromTaps(taps); err != nil || got != "feat_relu" {
		t.Errorf("default layer %q, %v; want feat_relu (aux_relu comes later but does not feed the scores)", got, err)
	}
	// Scoring the auxiliary head instead (a spatial score, never a good choice) makes the
	// nearest spatial tensor feeding it the default.
	m.Score = "aux_relu"
	if got, err := m.DefaultLayerFromTaps(taps); err != nil || got != "aux" {
		t.Errorf("score aux_relu: %q, %v; want aux", got, err)
	}
	m.Score = "pooled"
	if got, err := m.DefaultLayerFromTaps(taps); err != nil || got != "feat_relu" {
		t.Errorf("score pooled: %q, %v", got, err)
	}
	m.Score = "feat"
	if _, err := m.DefaultLayerFromTaps(taps); err == nil || !strings.Contains(err.Error(), "no 4-D activation with spatial extent") {
		t.Errorf("score on the first conv: error %v", err)
	}
}

// auxHeadONNX builds, node by node: input [1,3,8,8] → Conv 3×3 (feat) → Relu (feat_relu)
// → GlobalAveragePool (pooled) → Flatten (flat) → Gemm (logits [1,5]); then, after the
// classifier in node order, Conv 1×1 on feat_relu (aux) → Relu (aux_relu [1,2,8,8]), a
// second graph output.
func auxHeadONNX(t *testing.T) []byte {
	t.Helper()
	g := onnxtest.ConvHead("aux_head", "feat_relu", nil,
		onnxtest.Node("Conv", []string{"feat_relu", "w3"}, "aux", onnxtest.Ints("kernel_shape", 1, 1)),
		onnxtest.Node("Relu", []string{"aux"}, "aux_relu"))
	g.Initializer = append(g.Initializer, onnxtest.Floats("w3", 2, 4, 1, 1))
	g.Output = append(g.Output, onnxtest.Info("aux_relu", 1, 2, 8, 8))
	return onnxtest.Marshal(t, g)
}
