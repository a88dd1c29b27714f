package models

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

// The legacy fixture squeezenet_head_opset8 ends Conv1x1 → Relu → GlobalAveragePool →
// Softmax: the score is the pooled relu output r1 (5 channels, 5 classes), so CAM's
// weights are the identity and CAM at r1 for class c is r1's channel c, whose mean is the
// logit of c (CAM's identity score_c = GAP(M_c)), for every class.
func TestPooledScoreCAM(t *testing.T) {
	m, err := LoadONNX(filepath.Join(legacyDir, "squeezenet_head_opset8.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.CAMWeights != onnxCAMIdentityTap || m.onnx.graph.camPooled != "r1" {
		t.Fatalf("CAMWeights %q, pooled layer %q; want %q, r1", m.CAMWeights, m.onnx.graph.camPooled, onnxCAMIdentityTap)
	}
	in, err := npy.ReadFile(filepath.Join(legacyDir, "squeezenet_head_opset8.input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := m.Explainer(newTestBackend(t), []string{"r1"}, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	for c := range m.Spec.NumClasses {
		res, err := ex.ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(c))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := res.Raw("r1", camviz.MethodCAM)
		if err != nil {
			t.Fatal(err)
		}
		mean := 0.0
		for _, v := range raw[0].Data {
			mean += float64(v) / float64(len(raw[0].Data))
		}
		if d := math.Abs(mean - float64(res.Logits[0][c])); d > 1e-5*math.Max(1, math.Abs(mean)) {
			t.Errorf("class %d: CAM mean %g, logit %g", c, mean, res.Logits[0][c])
		}
	}
	// A Gemm head keeps its weights (TestLoadONNXModelA), and a score that is not a pooled
	// layer gets none: the fixture's Softmax output, taken as the score.
	m, err = LoadONNXOptions(filepath.Join(legacyDir, "squeezenet_head_opset8.onnx"), ONNXOptions{Score: "softmaxout_1"})
	if err != nil {
		t.Fatal(err)
	}
	if m.CAMWeights != "" {
		t.Errorf("score softmaxout_1: CAMWeights %q, want none", m.CAMWeights)
	}
}
