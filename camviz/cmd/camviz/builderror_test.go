package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/internal/onnxtest"
	"github.com/camviz/camviz/camviz/npy"
)

// TestExplainErrorFirstLine runs "camviz explain" on an ONNX model with a Floor (no
// gradient in GoMLX) after the layer: stderr is one line that names the ONNX node first and
// says what to do, exit status 2; the advised gradient-free method then works.
func TestExplainErrorFirstLine(t *testing.T) {
	dir := t.TempDir()
	model := onnxtest.Write(t, "floor.onnx", onnxtest.Marshal(t, onnxtest.FloorHead()))
	input := filepath.Join(dir, "in.npy")
	x := make([]float32, 3*8*8)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	if err := npy.WriteFile(input, []int{1, 3, 8, 8}, x); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "explain", "--model", model, "--input", input, "--layer", "feat", "--method", "gradcam", "--out", t.TempDir())
	want := `camviz: ONNX node "Floor_rounded" (op Floor, output "rounded"): GoMLX defines no gradient for its op Floor, ` +
		`so GradCAM cannot go from the score back to layer "feat" through it; explain a layer after it (e.g. "rounded"), ` +
		`or use a method without gradients (`
	if code != exitUsage || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr\n%s\nwant exit %d and one line starting\n%s", code, stderr, exitUsage, want)
	}
	if strings.Contains(stderr, "panicked") || strings.Contains(stderr, "compilation failed") {
		t.Errorf("GoMLX's wrapping leaked: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "explain", "--model", model, "--input", input, "--layer", "feat", "--method", "scorecam", "--out", t.TempDir()); code != 0 {
		t.Errorf("scorecam at feat: exit %d: %s", code, stderr)
	}
}
