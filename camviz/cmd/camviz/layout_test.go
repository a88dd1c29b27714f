package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/internal/testenv"
)

// TestLayoutFlags checks how --tokens, --drop-tokens and --channels-last become
// camviz.Config.LayerLayouts.
func TestLayoutFlags(t *testing.T) {
	layers := []string{"a", "b"}
	for _, tc := range []struct {
		flags layoutFlags
		want  *camviz.LayerLayout // nil: no layouts (all inferred)
		err   string
	}{
		{flags: layoutFlags{dropTokens: -1}},
		{flags: layoutFlags{tokens: "14x14", dropTokens: -1}, want: &camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{14, 14}}},
		{flags: layoutFlags{tokens: "7x9", dropTokens: 2}, want: &camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{7, 9}, DropTokens: 2}},
		{flags: layoutFlags{dropTokens: 1}, want: &camviz.LayerLayout{Kind: camviz.LayoutTokens, DropTokens: 1}},
		{flags: layoutFlags{channelsLast: true, dropTokens: -1}, want: &camviz.LayerLayout{Kind: camviz.LayoutChannelsLast}},
		{flags: layoutFlags{channelsLast: true, tokens: "14x14", dropTokens: -1}, err: "give one kind"},
		{flags: layoutFlags{tokens: "14by14", dropTokens: -1}, err: "--tokens"},
		{flags: layoutFlags{dropTokens: -3}, err: "--drop-tokens -3"},
	} {
		got, err := tc.flags.layouts(layers)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want one containing %q", tc.flags, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.flags, err)
			continue
		}
		if tc.want == nil {
			if got != nil {
				t.Errorf("%+v: layouts %v, want none", tc.flags, got)
			}
			continue
		}
		for _, l := range layers {
			if got[l] != *tc.want {
				t.Errorf("%+v: layer %s layout %+v, want %+v", tc.flags, l, got[l], *tc.want)
			}
		}
	}
}

// sweepViT returns the folder of the sweep's ViT: the one camviz/models' TestArchSweep
// generated into its cache ($CAMVIZ_CACHE or the user cache folder's camviz/, then
// arch-sweep/<hash of the script>) when it is there, else a fresh export of the ViT alone.
func sweepViT(t *testing.T) string {
	t.Helper()
	const script = "../../../scripts/gen_arch_sweep.py"
	if cached, err := testenv.ScriptCacheDir("arch-sweep", script); err == nil {
		if _, err := os.Stat(filepath.Join(cached, "sweep.json")); err == nil {
			return filepath.Join(cached, "vit")
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command(testenv.Python, script, "--out", dir, "--only", "vit").CombinedOutput(); err != nil {
		t.Fatalf("generating the ViT: %v\n%s", err, out)
	}
	return filepath.Join(dir, "vit")
}

// TestExplainViTTokens runs "camviz explain" and "camviz layers" on the sweep's small ViT
// exported from torch (scripts/gen_arch_sweep.py), at its
// blocks[-1].norm1 tokens [N, 65, 64], and checks image 0's Grad-CAM final against torch's
// float64 reference, with the layout inferred and given; a wrong --tokens is one clear
// line and exit 2.
func TestExplainViTTokens(t *testing.T) {
	testenv.NeedPython(t, "apt-get install -y python3-torch python3-torchvision python3-onnx", "torch", "torchvision", "onnx")
	vit := sweepViT(t)
	var meta struct{ Classes []int }
	data, err := os.ReadFile(filepath.Join(vit, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	want := readArray(t, filepath.Join(vit, "gradcam.npy"))
	per := want.Shape[1] * want.Shape[2]

	code, stdout, stderr := runCLI(t, "layers", "--model", filepath.Join(vit, "model.onnx"))
	if code != 0 || !strings.Contains(stdout, "tokens 8x8 drop 1") {
		t.Errorf("camviz layers: exit %d, want the target layer listed as tokens 8x8 drop 1:\n%s%s", code, stdout, stderr)
	}
	for _, extra := range [][]string{nil, {"--tokens", "8x8"}, {"--tokens", "8x8", "--drop-tokens", "1"}, {"--drop-tokens", "1"}} {
		out := t.TempDir()
		args := append([]string{"explain", "--model", filepath.Join(vit, "model.onnx"), "--input", filepath.Join(vit, "input.npy"),
			"--layer", "target", "--method", "gradcam", "--class", strconv.Itoa(meta.Classes[0]), "--out", out}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", extra, code, stdout, stderr)
		}
		got := readArray(t, filepath.Join(out, "target", "GradCAM.npy"))
		if e := absErr(got.Data[:per], want.Data[:per]); e > 1e-4 {
			t.Errorf("%v: image 0's Grad-CAM final differs from torch's by %g", extra, e)
		}
	}
	code, _, stderr = runCLI(t, "explain", "--model", filepath.Join(vit, "model.onnx"), "--input", filepath.Join(vit, "input.npy"),
		"--layer", "target", "--method", "gradcam", "--tokens", "7x7", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "65 tokens") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("--tokens 7x7 on 65 tokens: exit %d, stderr %q; want exit 2 and one line naming the token count", code, stderr)
	}
}
