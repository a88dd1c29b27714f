package main

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

const refDir = "../../../testdata/reference/model_a"

var modelA = filepath.Join(refDir, "model_a.onnx")

// runCLI runs the command and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readArray(t *testing.T, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// readRef reads a reference file, or nil when pytorch-grad-cam wrote none.
func readRef(t *testing.T, parts ...string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(append([]string{refDir, "outputs"}, parts...)...))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// relErr is max |got − want| / max |want|; absErr is max |got − want|.
func relErr(got, want []float32) float64 {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	return absErr(got, want) / math.Max(scale, 1e-30)
}

func absErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	e := 0.0
	for i := range got {
		e = math.Max(e, math.Abs(float64(got[i])-float64(want[i])))
	}
	return e
}

func negate(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = -v
	}
	return out
}

func isEigen(m camviz.Method) bool {
	return m == camviz.MethodEigenCAM || m == camviz.MethodEigenGradCAM
}

// tolerances: raw maps 1e-5 relative (of the map's scale), finals 1e-4 absolute; Score-CAM
// and Ablation-CAM 1e-3 (ill-conditioned on this untrained model; reference README).
func tolerances(m camviz.Method) (rawRel, finalAbs float64) {
	if m == camviz.MethodScoreCAM || m == camviz.MethodAblationCAM {
		return 1e-3, 1e-3
	}
	return 1e-5, 1e-4
}

// TestExplainModelAReference runs "camviz explain" on the ONNX model A with the layers
// target_activation (relu3) and /relu2/Relu_output_0, every method camviz offers that has
// a pytorch-grad-cam reference, class 3, --raw, and compares every file with the
// reference: raw maps within 1e-5 relative, finals within 1e-4 (Score-CAM and
// Ablation-CAM 1e-3; Eigen methods up to the SVD's sign), the multi-layer aggregate of
// the sign-free methods within 1e-4. CAM, defined at relu3 only, runs there separately.
func TestExplainModelAReference(t *testing.T) {
	out := t.TempDir()
	layers := map[string]string{"target_activation": "relu3", "/relu2/Relu_output_0": "relu2"}
	args := []string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--layer", "target_activation", "--layer", "/relu2/Relu_output_0", "--class", "3", "--raw", "--out", out}
	var methods []camviz.Method
	for _, m := range camviz.Methods() {
		if m == camviz.MethodCAM {
			continue
		}
		if readRef(t, "relu2", string(m)+"_cls3_final.npy") == nil {
			t.Logf("%s has no pytorch-grad-cam reference; not compared", m)
			continue
		}
		methods = append(methods, m)
		args = append(args, "--method", strings.ToLower(string(m)))
	}
	if len(methods) < 10 {
		t.Errorf("only %d methods with references: %v", len(methods), methods)
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "predicted class 7") || !strings.Contains(stdout, "explained class 3") {
		t.Errorf("stdout does not give the predicted (7) and explained (3) classes:\n%s", stdout)
	}
	for layer, ref := range layers {
		dir := filepath.Join(out, safeName(layer))
		for _, m := range methods {
			compareMethod(t, dir, ref, m)
		}
	}
	for _, m := range methods {
		if isEigen(m) {
			continue // the aggregate mixes two arbitrary SVD signs (camviz's own tests align them)
		}
		got := readArray(t, filepath.Join(out, multiLayerDir, string(m)+".npy"))
		want := readRef(t, "relu2+relu3", string(m)+"_cls3_final.npy")
		_, tol := tolerances(m)
		if e := absErr(got.Data, want.Data); e > tol {
			t.Errorf("multilayer %s: max abs error %.3g > %.0e", m, e, tol)
		} else {
			t.Logf("multilayer %-20s final %.2g", m, e)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "data:image/png;base64,"); n != 1+3*len(methods) {
		t.Errorf("index.html has %d inline images, want 1 input + 3 rows × %d methods", n, len(methods))
	}

	camOut := t.TempDir()
	code, _, stderr = runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--layer", "target_activation", "--method", "CAM", "--class", "3", "--raw", "--out", camOut)
	if code != 0 {
		t.Fatalf("CAM: exit %d: %s", code, stderr)
	}
	compareMethod(t, filepath.Join(camOut, "target_activation"), "relu3", camviz.MethodCAM)
}

// compareMethod compares DIR/M.npy and DIR/M_raw.npy with the reference of one layer.
func compareMethod(t *testing.T, dir, ref string, m camviz.Method) {
	t.Helper()
	rawTol, finalTol := tolerances(m)
	raw := readArray(t, filepath.Join(dir, string(m)+"_raw.npy"))
	wantRaw := readRef(t, ref, string(m)+"_cls3_raw.npy")
	if !slices.Equal(raw.Shape, wantRaw.Shape) {
		t.Fatalf("%s %s raw: shape %v, want %v", ref, m, raw.Shape, wantRaw.Shape)
	}
	eRaw := relErr(raw.Data, wantRaw.Data)
	if isEigen(m) {
		eRaw = math.Min(eRaw, relErr(negate(raw.Data), wantRaw.Data))
	}
	final := readArray(t, filepath.Join(dir, string(m)+".npy"))
	if !slices.Equal(final.Shape, []int{1, 32, 32}) {
		t.Fatalf("%s %s final: shape %v, want [1 32 32]", ref, m, final.Shape)
	}
	eFinal := absErr(final.Data, readRef(t, ref, string(m)+"_cls3_final.npy").Data)
	if flip := readRef(t, ref, string(m)+"_cls3_final_signflip.npy"); flip != nil {
		eFinal = math.Min(eFinal, absErr(final.Data, flip.Data))
	}
	t.Logf("%s %-20s raw rel %.2g, final abs %.2g", ref, m, eRaw, eFinal)
	if eRaw > rawTol {
		t.Errorf("%s %s: raw max relative error %.3g > %.0e", ref, m, eRaw, rawTol)
	}
	if eFinal > finalTol {
		t.Errorf("%s %s: final max abs error %.3g > %.0e", ref, m, eFinal, finalTol)
	}
	if _, err := os.Stat(filepath.Join(dir, string(m)+".png")); err != nil {
		t.Errorf("no overlay: %v", err)
	}
}

func TestLayersCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "layers", "--model", modelA, "--input-shape", "2,3,32,32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want a header, the scores and the 10 node outputs:\n%s", len(lines), stdout)
	}
	if lines[1] != "scores: logits [2 10] (graph output)" {
		t.Errorf("scores line %q", lines[1])
	}
	for i, want := range []string{"* conv1/Conv_output_0 [2 16 32 32] Float32", "* relu2/Relu_output_0 [2 32 32 32] Float32",
		"* target_activation [2 64 16 16] Float32 ← default", "logits [2 10] Float32"} {
		found := false
		for _, l := range lines[2:] {
			found = found || strings.Join(strings.Fields(l), " ") == want
		}
		if !found {
			t.Errorf("case %d: no line %q in\n%s", i, want, stdout)
		}
	}
	if !strings.HasPrefix(strings.Fields(lines[2])[1], "conv1/") || !strings.HasPrefix(strings.Fields(lines[11])[0], "logits") {
		t.Errorf("layers are not in graph order:\n%s", stdout)
	}
}

// TestErrors checks that bad invocations give one line naming the problem and exit 2.
func TestErrors(t *testing.T) {
	in := filepath.Join(refDir, "input_nchw.npy")
	base := func(extra ...string) []string {
		return append([]string{"explain", "--model", modelA, "--input", in, "--out", t.TempDir()}, extra...)
	}
	png := filepath.Join(t.TempDir(), "in.png")
	writePNG(t, png, 32, 32)
	picture := func(extra ...string) []string {
		return append([]string{"explain", "--model", modelA, "--input", png, "--method", "gradcam", "--out", t.TempDir()}, extra...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"explain", "--bogus"}, "-bogus"},
		{[]string{"explain", "--model", "missing.onnx", "--input", in, "--layer", "x", "--method", "gradcam", "--out", filepath.Join(t.TempDir(), "o")},
			"missing.onnx: no such file"},
		{base("--layer", "target_activation", "--format", "jpg"), `--format "jpg"`},
		{base("--layer", "target_activation", "--batch", "0"), "--batch 0"},
		{base("--input", t.TempDir()), "holds no picture"},
		{base("--input", filepath.Join(t.TempDir(), "*.png")), "matches no picture"},
		{base("--model", "gapcnn3"), "nor a shipped model (gapcnn, gapcnn-fmnist, resnet-fmnist)"},
		{base("--layer", "target_activation", "--method", "gradcamz"), `unknown method "gradcamz"`},
		{base("--layer", "nope", "--method", "gradcam"), `--layer "nope" is not a layer`},
		{base("--layer", "logits", "--method", "gradcam"), `"logits" has shape [1 10]`},
		{base("--layer", "target_activation", "--method", "gradcam", "--class", "3", "--argmax"), "exclude each other"},
		{base("--layer", "target_activation", "--method", "gradcam", "--class", "12"), "class 12"},
		{base("--layer", "target_activation", "--method", "gradcam", "--alpha", "2"), "--alpha 2"},
		{base("--layer", "target_activation", "--method", "gradcam", "--colormap", "rainbow"), `unknown colormap "rainbow"`},
		{base("--layer", "target_activation", "--method", "gradcam", "stray"), `unexpected argument "stray"`},
		{[]string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "logits.npy"), "--layer", "target_activation",
			"--method", "gradcam", "--out", t.TempDir()}, "input shape [1 10]"},
		{[]string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "model_a.onnx"), "--layer", "target_activation",
			"--method", "gradcam", "--out", t.TempDir()}, "decoding"},
		{[]string{"explain", "--model", in, "--input", in, "--layer", "target_activation", "--method", "gradcam", "--out", filepath.Join(t.TempDir(), "o")},
			"--model"},
		{[]string{"layers", "--model", modelA, "--input-shape", "1,32,32,3"}, "has 32 channels"},
		{[]string{"layers"}, "--model is required"},
		{base("--method", "gradcam", "--bgr"), ".npy input is fed to the model as it is; --bgr apply to PNG/JPEG pictures only"},
		{base("--method", "gradcam", "--preset", "imagenet", "--mean", "0.5"), "--mean, --preset apply to PNG/JPEG pictures only"},
		{picture("--preset", "coco"), `unknown preset "coco": use "imagenet", "caffe" or "none"`},
		{picture("--range", "0-256"), `--range "0-256": want "0-1" or "0-255"`},
		{picture("--mean", "1,2"), `--mean "1,2": want one number or 3 comma-separated numbers`},
		{picture("--std", "1,0,1"), "has a 0"},
		{picture("--size", "16,16"), "--size: picture size 16×16 (--size): input shape [1 3 16 16]: the ONNX model takes 32×32 images"},
		{base("--method", "gradcam", "--class", "cat"), `--class: class "cat": the model's classes have no names`},
		{base("--method", "gradcam", "--class", "-1"), "--class -1: give a class index ≥ 0"},
		{base("--method", "gradcam", "--labels", filepath.Join(refDir, "index.json")), "not a JSON object of index → name strings"},
		{base("--method", "gradcam", "--labels", labelFile(t, "a\nb\n")), "has 2 names but the model has 10 classes"},
		{base("--method", "gradcam", "--score", "relu2/Relu_output_0"), "the score must be a float tensor [batch, classes]"},
		{base("--method", "gradcam", "--score", "nope"), `score "nope" is not a node output of the model`},
		{[]string{"layers", "--model", "gapcnn", "--score", "logits"}, "--score logits: a camviz model scores its logits"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
		}
		if !strings.HasPrefix(stderr, "camviz: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q; want one line \"camviz: ...\" containing %q", c.args, stderr, c.want)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", c.args, stdout)
		}
	}
	for _, args := range [][]string{{"help"}, {"layers", "--help"}, {"explain", "--help"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want usage on stdout, exit 0", args, code, stdout, stderr)
		}
	}
}

// TestExplainBatchArgmax explains the batch of two at relu3 for each image's argmax (7
// and 7): the finals [2, 32, 32] equal pytorch-grad-cam's relu3_batch2 argmax maps.
func TestExplainBatchArgmax(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_b2_nchw.npy"),
		"--layer", "target_activation", "--method", "GradCAM", "--method", "AblationCAM", "--argmax", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "explained class 7") != 2 {
		t.Errorf("stdout should explain class 7 for both images:\n%s", stdout)
	}
	for _, m := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodAblationCAM} {
		got := readArray(t, filepath.Join(out, "target_activation", string(m)+".npy"))
		want := readRef(t, "relu3_batch2", string(m)+"_argmax_final.npy")
		_, tol := tolerances(m)
		if !slices.Equal(got.Shape, []int{2, 32, 32}) {
			t.Fatalf("%s: shape %v, want [2 32 32]", m, got.Shape)
		}
		if e := absErr(got.Data, want.Data); e > tol {
			t.Errorf("%s batch of 2: max abs error %.3g > %.0e", m, e, tol)
		} else {
			t.Logf("%s batch of 2: final abs %.2g", m, e)
		}
	}
}
