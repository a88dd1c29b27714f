package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/internal/testenv"
)

// legacyTVScript exports torchvision classifiers at opsets 7 and 9 (see its doc string).
const legacyTVScript = "../../scripts/gen_legacy_torchvision.py"

// legacyTV is the generated legacy-opset exports: legacyTV.Dir(t) generates them on first
// use into $CAMVIZ_CACHE/legacy-torchvision/<hash of the script> (default: the user cache
// folder's camviz/), as the architecture sweep does; without Debian's torch the test
// skips (fails under CI=true) with the apt command.
var legacyTV = &testenv.Generated{Install: sweepAptHint, Gen: generateLegacyTV}

// generateLegacyTV returns the exports' folder, running the script when it is not there
// yet; missing when Debian's torch, torchvision or onnx cannot be imported.
func generateLegacyTV() (dir string, missing, err error) {
	dir, err = testenv.ScriptCacheDir("legacy-torchvision", legacyTVScript)
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "legacy.json")); err == nil {
		return dir, nil, nil
	}
	if missing := testenv.PythonImports("torch", "torchvision", "onnx"); missing != nil {
		return "", missing, nil
	}
	tmp := fmt.Sprintf("%s.tmp%d", dir, os.Getpid())
	defer os.RemoveAll(tmp)
	if out, err := exec.Command(testenv.Python, legacyTVScript, "--out", tmp).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("%s %s failed: %w\n%s", testenv.Python, legacyTVScript, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "legacy.json")); statErr != nil {
			return "", nil, err
		}
	}
	return dir, nil, nil
}

// TestLegacyOpsetTorchvision loads torchvision classifiers exported by torch's own
// exporter at opsets 7 and 9 with their initializers kept as graph inputs
// (scripts/gen_legacy_torchvision.py), checks their logits against torch's to 1e-4 of
// their largest magnitude, and runs Grad-CAM at a middle layer (finite, not all zero).
func TestLegacyOpsetTorchvision(t *testing.T) {
	dir := legacyTV.Dir(t)
	data, err := os.ReadFile(filepath.Join(dir, "legacy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Name  string `json:"name"`
		Opset int    `json:"opset"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	backend := newTestBackend(t)
	for _, e := range list {
		t.Run(e.Name, func(t *testing.T) {
			m, err := LoadONNX(filepath.Join(dir, e.Name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in := readSweepNpy(t, dir, e.Name+".input.npy")
			want := readSweepNpy(t, dir, e.Name+".logits.npy")
			layer := m.Layers[len(m.Layers)/2]
			ex, err := m.Explainer(backend, []string{layer}, camviz.MethodGradCAM)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ex.ExplainFloats(in.Data, in.Shape, camviz.ArgmaxTarget())
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, e.Name+" logits", res.Logits[0], want.Data, 0, 1e-4*maxAbs(want.Data))
			raw, err := res.Raw(layer, camviz.MethodGradCAM)
			if err != nil {
				t.Fatal(err)
			}
			v := flatMaps(raw)
			if maxAbs(v) == 0 || slices.ContainsFunc(v, func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }) {
				t.Errorf("%s: Grad-CAM at %s is all zero or not finite", e.Name, layer)
			}
		})
	}
}
