package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainTargets runs "camviz explain" on model A's ONNX export with --target rest:3
// and with FinerCAM's flags, and compares the written maps with pytorch-grad-cam HEAD
// (testdata/reference/model_a/outputs_head).
func TestExplainTargets(t *testing.T) {
	head := filepath.Join(refDir, "outputs_head", "relu3")
	cases := []struct {
		args   []string
		file   string // the written final map
		prefix string // reference prefix
	}{
		{[]string{"--target", "rest:3", "--method", "gradcam"}, "GradCAM", "GradCAM_rest3"},
		{[]string{"--class", "3", "--method", "finercam", "--finer-alpha", "0.5", "--finer-ranks", "1,2"}, "FinerCAM",
			"FinerCAM_idx3_r12_a05"},
		{[]string{"--method", "finercam"}, "FinerCAM", "FinerCAM_argmax"},
	}
	for _, c := range cases {
		out := t.TempDir()
		args := append([]string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
			"--layer", "target_activation", "--raw", "--out", out}, c.args...)
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		dir := filepath.Join(out, safeName("target_activation"))
		raw := readArray(t, filepath.Join(dir, c.file+"_raw.npy"))
		final := readArray(t, filepath.Join(dir, c.file+".npy"))
		wantRaw := readArray(t, filepath.Join(head, c.prefix+"_raw.npy"))
		wantFinal := readArray(t, filepath.Join(head, c.prefix+"_final.npy"))
		if e := relErr(raw.Data, wantRaw.Data); e > 1e-4 {
			t.Errorf("%v: raw max relative error %.3g", c.args, e)
		}
		if e := absErr(final.Data, wantFinal.Data); e > 1e-4 {
			t.Errorf("%v: final max abs error %.3g", c.args, e)
		}
	}
	for _, bad := range [][]string{
		{"--target", "nope:3"},
		{"--target", "rest:x"},
		{"--target", "seg:1:/no/such/mask.npy"},
		{"--class", "3", "--target", "rest:3"},
		{"--finer-ranks", "0,1"},
	} {
		args := append([]string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
			"--layer", "target_activation", "--out", t.TempDir()}, bad...)
		code, _, stderr := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, strings.TrimPrefix(bad[0], "--")) {
			t.Errorf("%v: exit %d, stderr %q; want an error naming the flag", bad, code, stderr)
		}
	}
}

// TestExplainDFF runs "camviz explain --method dff" on model A's ONNX export (batch of
// two): the concepts [64, k] and the min-max scaled concept maps [2, k, 32, 32].
func TestExplainDFF(t *testing.T) {
	for _, extra := range [][]string{{"--method", "dff"}, {"--method", "dff", "--method", "gradcam"}} {
		out := t.TempDir()
		args := append([]string{"explain", "--model", modelA, "--input", filepath.Join(refDir, "input_b2_nchw.npy"),
			"--layer", "target_activation", "--components", "3", "--out", out}, extra...)
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		dir := filepath.Join(out, safeName("target_activation"))
		for i := range 2 {
			if st, err := os.Stat(filepath.Join(dir, fmt.Sprintf("DFF_overlay_%d.png", i))); err != nil || st.Size() == 0 {
				t.Errorf("DFF_overlay_%d.png: %v", i, err)
			}
		}
		concepts := readArray(t, filepath.Join(dir, "DFF_concepts.npy"))
		// The scores are model A's head on the written concepts: fc(c) = Wᵀc + b.
		scores := readArray(t, filepath.Join(dir, "DFF_scores.npy"))
		fw := readArray(t, filepath.Join(refDir, "weights", "fc.weight.npy"))
		fb := readArray(t, filepath.Join(refDir, "weights", "fc.bias.npy"))
		if len(scores.Shape) != 2 || scores.Shape[0] != 3 || scores.Shape[1] != 10 {
			t.Fatalf("scores shape %v, want [3 10]", scores.Shape)
		}
		for j := range 3 {
			for c := range 10 {
				want := float64(fb.Data[c])
				for i := range 64 {
					want += float64(fw.Data[c*64+i]) * float64(concepts.Data[i*3+j])
				}
				if d := float64(scores.Data[j*10+c]) - want; d > 1e-4 || d < -1e-4 {
					t.Errorf("score of concept %d, class %d: %g, want fc(c) = %g", j, c, scores.Data[j*10+c], want)
				}
			}
		}
		expl := readArray(t, filepath.Join(dir, "DFF_explanations.npy"))
		if len(concepts.Shape) != 2 || concepts.Shape[0] != 64 || concepts.Shape[1] != 3 {
			t.Errorf("concepts shape %v, want [64 3]", concepts.Shape)
		}
		if len(expl.Shape) != 4 || expl.Shape[0] != 2 || expl.Shape[1] != 3 || expl.Shape[2] != 32 || expl.Shape[3] != 32 {
			t.Fatalf("explanations shape %v, want [2 3 32 32]", expl.Shape)
		}
		for i := 0; i < 6; i++ {
			lo, hi := float32(1), float32(0)
			for _, v := range expl.Data[i*1024 : (i+1)*1024] {
				lo, hi = min(lo, v), max(hi, v)
			}
			// min-max scaled at 16×16 (max 1), then bilinearly upsampled, which never samples a
			// 16×16 centre exactly: the peak drops a little below 1.
			if lo < 0 || hi > 1 || hi < 0.8 {
				t.Errorf("map %d spans [%g, %g]; want min-max scaled to [0, 1] then resized", i, lo, hi)
			}
		}
	}
	code, _, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--layer", "target_activation", "--method", "dff", "--components", "0", "--out", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "components") {
		t.Errorf("--components 0: exit %d, stderr %q", code, stderr)
	}
}

// TestExplainRefine writes RefineCAM over Grad-CAM++ for relu2 and relu3 of model A's ONNX
// export and compares it with pytorch-grad-cam HEAD's RefineCAM.
func TestExplainRefine(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--layer", "/relu2/Relu_output_0", "--layer", "target_activation", "--class", "3", "--refine", "gradcamplusplus",
		"--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readArray(t, filepath.Join(out, multiLayerDir, "RefineCAM_GradCAMPlusPlus.npy"))
	want := readArray(t, filepath.Join(refDir, "outputs_head", "relu2+relu3", "RefineCAM_GradCAMPlusPlus_cls3_final.npy"))
	if e := absErr(got.Data, want.Data); e > 1e-4 {
		t.Errorf("RefineCAM: max abs error %.3g", e)
	}
	code, _, stderr = runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--layer", "target_activation", "--refine", "gradcam", "--out", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "--refine") {
		t.Errorf("--refine with one layer: exit %d, stderr %q", code, stderr)
	}
}
