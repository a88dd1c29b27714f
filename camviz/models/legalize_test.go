package models

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/compute-onnx/support/protos"
	"google.golang.org/protobuf/proto"
)

const legacyDir = "../../testdata/onnx-legacy"

// legacyFixture is one graph of testdata/onnx-legacy (scripts/gen_legacy_onnx.py).
type legacyFixture struct {
	name string
	// score is given to LoadONNXOptions ("" = the default); wantScore is Model.Score.
	score, wantScore string
	labels           []string
	hints            InputHints
}

var legacyFixtures = []legacyFixture{
	{name: "scaler_bn_autopad_opset7", wantScore: "logits",
		hints: InputHints{Sources: []string{`ImageScaler node "scaler": scale 0.5, bias [-0.3 0.2 0.1] (applied inside the graph)`}}},
	{name: "pad_bn_opset2", wantScore: "logits"},
	{name: "attr_forms_opset4", score: "prob", wantScore: "prob"},
	{name: "ceil_pools_upsample_opset10", wantScore: "scores"},
	{name: "upsample_dropout_identity_opset7", wantScore: "logits"},
	// The graph output is an untyped Softmax output: the default score is its input.
	{name: "empty_inputs_opset13", wantScore: "logits"},
	// A Sigmoid head behind ZipMap and ArrayFeatureExtractor: the score is its input.
	{name: "zipmap_labels_opset8", wantScore: "logits", labels: []string{"tench", "goldfish", "great white shark", "tiger shark"},
		hints: InputHints{BGR: true, PixelRange: "0-255", Sources: []string{"metadata Image.BitmapPixelFormat=Bgr8",
			"metadata Image.NominalPixelRange=NominalRange_0_255",
			`ImageScaler node "scaler": scale 0.003921569, bias [-0.4 -0.45 -0.5] (applied inside the graph)`}}},
	{name: "lrn_prelu_gmp_opset9", wantScore: "scores"},
	{name: "batch_bound_opset13", wantScore: "scores"},
	{name: "lppool_opset11", wantScore: "scores"},
	{name: "pool_default_strides_opset7", wantScore: "scores"},
	{name: "upsample_nearest_x3_opset9", wantScore: "scores"},
	// A [1, C, 1, 1] Softmax output: the score is its input, squeezed to [1, C].
	{name: "squeezenet_head_opset8", wantScore: "pool10"},
	// float16 weights (raw_data and int32_data, listed as graph inputs too), a float16
	// image input, Constant and Cast(to=FLOAT16): computed in float32.
	{name: "float16_caffe2_opset7", wantScore: "pool10",
		hints: InputHints{Sources: []string{"float16 model: computed in float32 (5 float16 tensors widened exactly, 7 types retyped)"}}},
	// Conv → BatchNormalization pairs, two folded (one grouped, one with a Conv bias) and
	// one kept (its Conv output is read twice): legalize_bnfold.go.
	{name: "conv_bn_fold_opset9", wantScore: "logits"},
	{name: "labelencoder_opset9", wantScore: "logits", labels: []string{"cat", "dog", "bird"},
		hints: InputHints{BGR: true, Sources: []string{`model doc string mentions BGR: "Expects BGR images."`}}},
}

// TestLegacyONNXFixtures loads each legacy graph through LoadONNX (legalization included)
// and compares its score with the float64 NumPy/torch evaluation of the ORIGINAL graph
// (scripts/gen_legacy_onnx.py), to 1e-5 relative; it checks the chosen score, the
// labels read from the model and the input hints.
func TestLegacyONNXFixtures(t *testing.T) {
	backend := newTestBackend(t)
	for _, f := range legacyFixtures {
		t.Run(f.name, func(t *testing.T) {
			m, err := LoadONNXOptions(filepath.Join(legacyDir, f.name+".onnx"), ONNXOptions{Score: f.score})
			if err != nil {
				t.Fatal(err)
			}
			if m.Score != f.wantScore {
				t.Errorf("Score = %q, want %q", m.Score, f.wantScore)
			}
			for _, layer := range m.Layers {
				for name, n := range m.onnx.graph.nodes {
					if tapName(name) == layer && n.OpType == "Constant" {
						t.Errorf("layer %q is a constant, not an activation", layer)
					}
				}
			}
			if !slices.Equal(m.Spec.ClassNames, f.labels) {
				t.Errorf("ClassNames = %q, want %q", m.Spec.ClassNames, f.labels)
			}
			if m.Input.BGR != f.hints.BGR || m.Input.PixelRange != f.hints.PixelRange || !slices.Equal(m.Input.Sources, f.hints.Sources) {
				t.Errorf("Input = %+v, want %+v", m.Input, f.hints)
			}
			in, err := npy.ReadFile(filepath.Join(legacyDir, f.name+".input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := npy.ReadFile(filepath.Join(legacyDir, f.name+".ref.npy"))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.InputDims(1); !slices.Equal(got, in.Shape) {
				t.Fatalf("model input %v, fixture input %v", got, in.Shape)
			}
			if m.Spec.NumClasses != want.Shape[len(want.Shape)-1] {
				t.Errorf("NumClasses = %d, reference has %v", m.Spec.NumClasses, want.Shape)
			}
			out, err := m.Predict(backend, in.Data, 1)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f.name, out[0], want.Data, 1e-5, 1e-6*maxAbs(want.Data))
		})
	}
}

// TestLegacyONNXErrors checks the fixtures that must not load: one error, naming what
// is wrong first.
func TestLegacyONNXErrors(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"unsupported_convtranspose_opset9", `ONNX op ConvTranspose (node "upconv", opset 9) is not supported: not implemented by onnx-gomlx v0.5.13`},
		{"malformed_conv_pads", `ONNX node "bad_conv" (op Conv, opset 13, inputs [1 3 8 8] [2 3 3 3]) cannot be built: `},
	} {
		_, err := LoadONNX(filepath.Join(legacyDir, c.name+".onnx"))
		if err == nil {
			t.Errorf("%s: loaded, want an error", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		msg := err.Error()
		if i := strings.Index(msg, c.want); i < 0 || i > len("models.LoadONNX(")+len(legacyDir)+len(c.name)+10 {
			t.Errorf("%s: error %q does not start with %q", c.name, msg, c.want)
		}
		if strings.Contains(msg, "panicked") || strings.Contains(msg, "compilation failed") {
			t.Errorf("%s: error still wrapped in GoMLX context: %q", c.name, msg)
		}
	}
}

// TestONNXScoreOption checks ONNXOptions.Score: any node output of shape [N, C] is
// accepted, others are refused with the shape named.
func TestONNXScoreOption(t *testing.T) {
	path := filepath.Join(legacyDir, "zipmap_labels_opset8.onnx")
	m, err := LoadONNXOptions(path, ONNXOptions{Score: "prob"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Score != "prob" || m.Spec.NumClasses != 4 {
		t.Errorf("Score %q with %d classes, want prob with 4", m.Score, m.Spec.NumClasses)
	}
	in, err := npy.ReadFile(filepath.Join(legacyDir, "zipmap_labels_opset8.input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	logits, err := npy.ReadFile(filepath.Join(legacyDir, "zipmap_labels_opset8.ref.npy"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Predict(newTestBackend(t), in.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(logits.Data))
	for i, z := range logits.Data {
		want[i] = float32(1 / (1 + math.Exp(-float64(z))))
	}
	checkClose(t, "sigmoid(logits)", out[0], want, 1e-5, 1e-7)
	for _, c := range []struct{ score, want string }{
		{"r1", `score "r1" is Float32 [1 3 6 6]`},
		{"nothing", `score "nothing" is not a node output of the model`},
	} {
		_, err := LoadONNXOptions(path, ONNXOptions{Score: c.score})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Score %q: error %v, want it to contain %q", c.score, err, c.want)
		}
	}
}

// TestONNXOutputsWithoutType loads model A re-saved with no type on its graph outputs
// (which crashed onnx-gomlx's parser with a nil pointer): it loads, with the same logits.
func TestONNXOutputsWithoutType(t *testing.T) {
	contents, err := os.ReadFile(filepath.Join(modelADir, "model_a.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	mp := &protos.ModelProto{}
	if err := proto.Unmarshal(contents, mp); err != nil {
		t.Fatal(err)
	}
	for _, o := range mp.Graph.Output {
		o.Type = nil
	}
	out, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "untyped.onnx")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadONNX(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Score != "logits" {
		t.Errorf("Score = %q, want logits", m.Score)
	}
	in := readNpy(t, "input_nchw.npy")
	logits, err := m.Predict(newTestBackend(t), in.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "logits", logits[0], readNpy(t, "logits.npy").Data, 1e-5, 1e-6)
}

// TestONNXBatchBound checks the batch handling of a model whose input is fixed to a batch
// of one: its Reshape to [1, −1] is freed (mnist-8's [1, 256] is checked by
// TestPretrainedMNIST8 through Score-CAM's batched passes), and a Concat with a [1, …]
// constant, which cannot take a batch of two, fails at explain time with an error that
// names the node and its input shapes.
func TestONNXBatchBound(t *testing.T) {
	m, err := LoadONNX(filepath.Join(legacyDir, "batch_bound_opset13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := npy.ReadFile(filepath.Join(legacyDir, "batch_bound_opset13.input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := m.Explainer(newTestBackend(t), []string{"c1"}, camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	two := append(append([]float32{}, in.Data...), in.Data...)
	_, err = ex.ExplainFloats(two, []int{2, 3, 8, 8}, camviz.ArgmaxTarget())
	want := `ONNX node "concat_const" (op Concat, opset 13, inputs [2 3 8 8] [1 1 8 8]) cannot be built`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("batch of two: error %v, want it to contain %q", err, want)
	}
	t.Log(err)
}
