package main

import (
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
