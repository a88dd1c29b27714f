package models

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/internal/testenv"
)

// torchvisionONNX exports the named torchvision architectures with
// testdata/torchvision_default_layer.py into a cache folder ($CAMVIZ_CACHE, else the
// user's cache dir's camviz/, then torchvision-default-layer/<hash of the script>), once:
// later runs reuse the files. When it has to export, it skips (fails under CI=true)
// without Debian's torch and torchvision (testenv.NeedPython).
func torchvisionONNX(t *testing.T, names ...string) string {
	t.Helper()
	dir, err := testenv.ScriptCacheDir("torchvision-default-layer", "testdata/torchvision_default_layer.py")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n+".onnx")); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return dir
	}
	testenv.NeedPython(t, "apt-get install -y python3-torch python3-torchvision", "torch", "torchvision")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(dir, "export-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	out, err := exec.Command(testenv.Python, append([]string{"testdata/torchvision_default_layer.py", tmp}, missing...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("exporting %v: %v\n%s", missing, err, out)
	}
	for _, n := range missing { // rename into place only when complete
		if err := os.Rename(filepath.Join(tmp, n+".onnx"), filepath.Join(dir, n+".onnx")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDefaultLayerTorchvision checks the default layer of torchvision architectures
// exported to ONNX against pytorch-grad-cam's recommended target layers: resnet18's
// model.layer4[-1] (the output of the last BasicBlock, its second ReLU), efficientnet_b0's
// model.features[-1] (Conv-BN-SiLU; SiLU exports as x·sigmoid(x), a Mul) — whose
// squeeze-excitation blocks have global poolings of their own — and, for densenet121,
// the ReLU that torchvision applies functionally after model.features, the tensor the
// global pooling reads (pytorch-grad-cam recommends model.features[-1], the BatchNorm
// just before it); mobilenet_v3_large's model.features[-1] (Conv-BN-Hardswish; its
// squeeze-excitation blocks pool too) and convnext_tiny's model.features[-1] (the last
// CNBlock's residual sum), whose classifier starts with a LayerNorm on a channels-last
// [N, 1, 1, 768] tensor that must not count as spatial.
func TestDefaultLayerTorchvision(t *testing.T) {
	want := map[string]string{
		"resnet18":           "layer4/layer4.1/relu_1/Relu_output_0",
		"efficientnet_b0":    "features/features.8/features.8.2/Mul_output_0",
		"densenet121":        "Relu_output_0",
		"mobilenet_v3_large": "features/features.16/features.16.2/HardSwish_output_0",
		"convnext_tiny":      "features/features.7/features.7.2/Add_output_0",
	}
	names := []string{"resnet18", "efficientnet_b0", "densenet121", "mobilenet_v3_large", "convnext_tiny"}
	dir := torchvisionONNX(t, names...)
	backend := newTestBackend(t)
	for _, n := range names {
		m, err := LoadONNX(filepath.Join(dir, n+".onnx"))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		taps, err := m.Taps(backend)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		got, err := m.DefaultLayerFromTaps(taps)
		if err != nil || got != want[n] {
			t.Errorf("%s: default layer %q, %v; want %q", n, got, err, want[n])
		}
		for _, tp := range taps {
			if tp.Name == got && (len(tp.Shape) != 4 || tp.Shape[2] != 7 || tp.Shape[3] != 7) {
				t.Errorf("%s: default layer %s has shape %v, want [1 C 7 7]", n, got, tp.Shape)
			}
		}
	}
}

// TestDefaultLayerArchSweep checks the default layer on the architecture sweep's models
// (archsweep_test.go), whose exporter names pytorch-grad-cam's recommended target layer's
// output "target": for the CNNs and for the ViT (blocks[-1].norm1, a token layer) the
// default is that tensor.
func TestDefaultLayerArchSweep(t *testing.T) {
	dir := sweep.Dir(t)
	backend := newTestBackend(t)
	for _, arch := range []string{"resnet50", "densenet121", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0",
		"convnext_tiny", "regnet_y_400mf", "googlenet", "inception_v3", "shufflenet_v2_x1_0", "mnasnet1_0", "vgg11_bn", "vit"} {
		m, err := LoadONNX(filepath.Join(dir, arch, "model.onnx"))
		if err != nil {
			t.Errorf("%s: %v", arch, err)
			continue
		}
		got, err := m.DefaultLayer(backend)
		if err != nil || got != "target" {
			t.Errorf("%s: default layer %q, %v; want target (pytorch-grad-cam's layer)", arch, got, err)
		}
	}
}
