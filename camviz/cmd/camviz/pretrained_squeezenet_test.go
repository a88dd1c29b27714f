package main

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const squeezeNetDir = "../../../testdata/pretrained/squeezenet1.1-fp16"

// referenceTop5 is the top 5 of a float64 reference's logits with their softmax
// probabilities.
func referenceTop5(t *testing.T, path string) ([]int, []float64) {
	t.Helper()
	logits := readArray(t, path).Data
	idx := make([]int, len(logits))
	hi, sum := math.Inf(-1), 0.0
	for i, v := range logits {
		idx[i], hi = i, math.Max(hi, float64(v))
	}
	for _, v := range logits {
		sum += math.Exp(float64(v) - hi)
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	probs := make([]float64, 5)
	for i := range probs {
		probs[i] = math.Exp(float64(logits[idx[i]])-hi) / sum
	}
	return idx[:5], probs
}

// TestExplainRealSqueezeNet runs "camviz explain" on the real pretrained opset-7 float16
// SqueezeNet v1.1 (WinML's SqueezeNet_fp16.onnx, unmodified) and scikit-image's cat
// photograph with --preset caffe and --method all: the lines it prints (bundled
// ImageNet-1k labels — the file carries none —, the score tensor: the input of the
// model's final Softmax, the preprocessing with the float16 note, the layer), the top-5
// names and probabilities against the float64 reference (scripts/gen_pretrained_refs.py),
// CAM left out at that layer (it applies at conv10_2 only, whose pooling is the score),
// and a map file for every other method; then DFF and RefineCAM over three layers run. --method all runs
// at fire9/squeeze1x1_2 (64 channels) so that Score-CAM makes 64 forward passes, not the
// 1000 of the default layer; the coffee picture then checks the default layer (conv10_2)
// and the espresso; the imagenet preset (RGB, 0–1) on the cat gives no cat at all.
func TestExplainRealSqueezeNet(t *testing.T) {
	model := filepath.Join(squeezeNetDir, "SqueezeNet_fp16.onnx")
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "explain", "--model", model, "--input", filepath.Join(squeezeNetDir, "chelsea_224.png"),
		"--preset", "caffe", "--method", "all", "--layer", "fire9/squeeze1x1_2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("stdout:\n%s", stdout)
	for _, want := range []string{
		"labels: ImageNet-1k, bundled with camviz (the model has 1000 classes and no labels of its own; --labels FILE to change)\n",
		"scores: pool10_1 [1 1000 1 1] squeezed to [1 1000] (input of the model's Softmax giving softmaxout_1, a graph output)\n",
		"preprocessing: 224×224 (fixed by the model), BGR (--preset caffe), range 0-255 (--preset caffe), mean [104 117 123] " +
			"(--preset caffe), std [1 1 1] (--preset caffe); the model states: float16 model: computed in float32 " +
			"(52 float16 tensors widened exactly, 119 types retyped)\n",
		"layers: fire9/squeeze1x1_2\n",
		`--method all: CAM left out at layer "fire9/squeeze1x1_2"`,
		"image 0: predicted Egyptian cat (285)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	top5, probs := referenceTop5(t, filepath.Join(squeezeNetDir, "chelsea_logits.npy"))
	checkTop5(t, "chelsea --preset caffe", stdout, top5, probs)
	for _, method := range []string{"AblationCAM", "EigenCAM", "EigenGradCAM", "FEM", "FinerCAM", "FullGrad", "GradCAM",
		"GradCAMElementWise", "GradCAMPlusPlus", "HiResCAM", "KPCA_CAM", "LayerCAM", "RandomCAM", "ScoreCAM", "SegEigenCAM",
		"ShapleyCAM", "XGradCAM"} {
		for _, ext := range []string{".npy", ".png"} {
			if _, err := os.Stat(filepath.Join(out, "fire9_squeeze1x1_2", method+ext)); err != nil {
				t.Errorf("%s%s: %v", method, ext, err)
			}
		}
	}

	// The modes outside --method all: Deep Feature Factorization, and RefineCAM over three
	// layers (fire5 → fire9 → conv10).
	dff, refine := t.TempDir(), t.TempDir()
	for _, c := range []struct {
		args  []string
		files []string
	}{
		{[]string{"--method", "dff", "--layer", "fire9/concat_1", "--out", dff},
			[]string{filepath.Join(dff, "fire9_concat_1", "DFF_concepts.npy"), filepath.Join(dff, "fire9_concat_1", "DFF_overlay_0.png")}},
		{[]string{"--method", "gradcam", "--refine", "gradcam", "--layer", "fire5/concat_1", "--layer", "fire9/concat_1",
			"--layer", "conv10_2", "--out", refine}, []string{filepath.Join(refine, "multilayer", "RefineCAM_GradCAM.npy")}},
	} {
		args := append([]string{"explain", "--model", model, "--input", filepath.Join(squeezeNetDir, "chelsea_224.png"), "--preset", "caffe"}, c.args...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Errorf("%q: exit %d: %s", c.args, code, stderr)
		}
		for _, f := range c.files {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("%q: %v", c.args, err)
			}
		}
	}

	code, stdout, stderr = runCLI(t, "explain", "--model", model, "--input", filepath.Join(squeezeNetDir, "coffee_224.png"),
		"--preset", "caffe", "--method", "gradcam", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("coffee: exit %d: %s", code, stderr)
	}
	if want := "layers: conv10_2 (default: the last feature map before the global pooling"; !strings.Contains(stdout, want) {
		t.Errorf("coffee: no %q in\n%s", want, stdout)
	}
	top5, probs = referenceTop5(t, filepath.Join(squeezeNetDir, "coffee_logits.npy"))
	checkTop5(t, "coffee --preset caffe", stdout, top5, probs)

	code, stdout, stderr = runCLI(t, "explain", "--model", model, "--input", filepath.Join(squeezeNetDir, "chelsea_224.png"),
		"--preset", "imagenet", "--method", "gradcam", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("imagenet preset: exit %d: %s", code, stderr)
	}
	line := topLine.FindString(stdout)
	for _, cat := range []string{"tabby", "tiger cat", "Egyptian cat"} {
		if strings.Contains(line, cat) {
			t.Errorf("--preset imagenet (RGB, 0-1) on a Caffe model still finds %q: %s", cat, line)
		}
	}
	t.Logf("--preset imagenet: %s", line)
}
