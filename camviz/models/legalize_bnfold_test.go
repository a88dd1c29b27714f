package models

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

// TestONNXConvBatchNormFold checks the folding of conv_bn_fold_opset9's Conv →
// BatchNormalization pairs: the two foldable ones are folded (their batch norms are
// gone, the Conv writes the batch norm's output), the Conv read by another node is not;
// the score matches the float64 reference of the original graph with folding on and off;
// Grad-CAM at the batch norms' outputs (kept names) and at the ReLUs, folded against
// unfolded, agree to 1e-5; and a layer naming a vanished Conv output gets an error
// naming the Conv and the BatchNormalization it was folded with, while it stays a
// layer with folding off.
func TestONNXConvBatchNormFold(t *testing.T) {
	backend := newTestBackend(t)
	path := filepath.Join(legacyDir, "conv_bn_fold_opset9.onnx")
	in, err := npy.ReadFile(filepath.Join(legacyDir, "conv_bn_fold_opset9.input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := npy.ReadFile(filepath.Join(legacyDir, "conv_bn_fold_opset9.ref.npy"))
	if err != nil {
		t.Fatal(err)
	}
	layers := []string{"bn1", "r1", "bn2", "r2", "c3", "r3"}
	maps := map[bool]map[string][]float32{}
	for _, fold := range []bool{true, false} {
		withFoldBatchNorm(t, fold)
		m, err := LoadONNX(path)
		if err != nil {
			t.Fatal(err)
		}
		var bns []string
		for _, n := range m.onnx.graph.proto.Graph.Node {
			if n.OpType == "BatchNormalization" {
				bns = append(bns, n.Name)
			}
		}
		var folded []string
		for out := range m.onnx.graph.legal.foldedConvs {
			folded = append(folded, out)
		}
		slices.Sort(folded)
		wantBNs, wantFolded := []string{"bn3"}, []string{"c1", "c2"}
		if !fold {
			wantBNs, wantFolded = []string{"bn1", "bn2", "bn3"}, nil
		}
		if !slices.Equal(bns, wantBNs) || !slices.Equal(folded, wantFolded) {
			t.Errorf("fold=%v: BatchNormalization nodes %v, folded Conv outputs %v; want %v and %v", fold, bns, folded, wantBNs, wantFolded)
		}
		if has := slices.Contains(m.Layers, "c1"); has == fold {
			t.Errorf("fold=%v: layers %v", fold, m.Layers)
		}
		out, err := m.Predict(backend, in.Data, 1)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "score", out[0], ref.Data, 1e-5, 1e-6*maxAbs(ref.Data))

		ex, err := m.Explainer(backend, layers, camviz.MethodGradCAM)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(in.Data, m.InputDims(1), camviz.ClassTarget(2))
		if err != nil {
			t.Fatal(err)
		}
		maps[fold] = map[string][]float32{}
		for _, l := range layers {
			raw, err := res.Raw(l, camviz.MethodGradCAM)
			if err != nil {
				t.Fatal(err)
			}
			maps[fold][l] = flatMaps(raw)
		}

		// The layers are checked when the graph is built, at the first Explain.
		if ex, err = m.Explainer(backend, []string{"c1"}, camviz.MethodGradCAM); err == nil {
			_, err = ex.ExplainFloats(in.Data, m.InputDims(1), camviz.ClassTarget(2))
		}
		switch {
		case fold && err == nil:
			t.Error(`layer "c1" (folded away): no error`)
		case fold && !(strings.Contains(err.Error(), `"conv1"`) && strings.Contains(err.Error(), `"bn1"`) &&
			strings.Contains(err.Error(), "FoldBatchNorm")):
			t.Errorf(`layer "c1": error %q should name the Conv "conv1", the BatchNormalization "bn1" and FoldBatchNorm`, err)
		case !fold && err != nil:
			t.Errorf(`layer "c1" without folding: %v`, err)
		case fold:
			t.Logf(`layer "c1": %v`, err)
		}
	}
	for _, l := range layers {
		want := maps[false][l]
		if maxAbs(want) == 0 {
			t.Errorf("Grad-CAM at %s is all zero", l)
		}
		checkClose(t, "Grad-CAM at "+l+", folded vs unfolded", maps[true][l], want, 1e-5, 1e-5*maxAbs(want))
	}
}
