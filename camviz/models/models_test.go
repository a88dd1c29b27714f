package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

var testBackend compute.Backend

func camvizBackend(t *testing.T) compute.Backend {
	t.Helper()
	if testBackend == nil {
		b, err := backends.New()
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	}
	return testBackend
}

func smallData(t *testing.T, n int, seed uint64) []datasets.Example {
	t.Helper()
	cfg := datasets.DefaultSyntheticConfig()
	cfg.Size, cfg.NumClasses, cfg.Clutter, cfg.Seed = 32, 2, 0.2, seed
	cfg.MinScale, cfg.MaxScale = 0.35, 0.6
	ex, err := datasets.Synthetic(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func smallModel(t *testing.T) *models.Model {
	t.Helper()
	spec := models.GAPCNNSpec(32, 32, 3, 2)
	spec.Channels = []int{8, 16}
	m, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewErrors(t *testing.T) {
	_, err := models.New(models.Spec{Arch: "transformer", NumClasses: 3, InputSize: [3]int{8, 8, 3}})
	if err == nil || !strings.Contains(err.Error(), "gapcnn") {
		t.Errorf("unknown arch: error %v should list the known architectures", err)
	}
	_, err = models.New(models.GAPCNNSpec(8, 8, 3, 1))
	if err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one class: error %v", err)
	}
	if _, err := models.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("Load of an empty folder: error %v should name model.json", err)
	}
}

// TestTrainSaveLoad trains a small GAP-CNN on two synthetic classes, checks the loss fell
// below chance level (ln 2) and the accuracy rose, then saves and reloads it and checks
// identical logits and that the optimizer state was not saved.
func TestTrainSaveLoad(t *testing.T) {
	m := smallModel(t)
	train := smallData(t, 256, 1)
	test := smallData(t, 64, 2)
	rep, err := m.Train(camvizBackend(t), train, models.TrainConfig{Steps: 300, BatchSize: 32, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if !(rep.Loss < 0.5*math.Ln2) {
		t.Errorf("loss after %d steps = %.3f, want < %.3f (half of chance level)", rep.Steps, rep.Loss, 0.5*math.Ln2)
	}
	acc, err := m.Accuracy(camvizBackend(t), test)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.75 {
		t.Errorf("held-out accuracy %.2f, want ≥ 0.75 (chance is 0.5)", acc)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := models.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for v := range loaded.Store.IterVariables() {
		// GoMLX's checkpoint handler always writes the scalar /global_step itself.
		if strings.Contains(strings.ToLower(v.Path()), "optimizer") {
			t.Errorf("saved model holds optimizer state %s", v.Path())
		}
	}
	images, _, err := datasets.Stack(test[:4])
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(camvizBackend(t), images, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Predict(camvizBackend(t), images, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("logit [%d][%d] after reload = %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
}

// TestGAPCNNGradCAMIsCAMOverArea checks, on the zoo's GAP-CNN, that at the last block
// Grad-CAM's raw map is CAM/(h·w) (Selvaraju et al. 2017, Sec. 3.1).
func TestGAPCNNGradCAMIsCAMOverArea(t *testing.T) {
	m := smallModel(t)
	ex, err := m.Explainer(camvizBackend(t), []string{m.Layers[len(m.Layers)-1]}, camviz.MethodCAM, camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	test := smallData(t, 3, 5)
	images, _, _ := datasets.Stack(test)
	res, err := ex.ExplainFloats(images, []int{3, 32, 32, 3}, camviz.ArgmaxTarget())
	if err != nil {
		t.Fatal(err)
	}
	last := m.Layers[len(m.Layers)-1]
	cams, _ := res.Raw(last, camviz.MethodCAM)
	grads, _ := res.Raw(last, camviz.MethodGradCAM)
	for b := range cams {
		area := float64(cams[b].H * cams[b].W)
		var maxAbs float64
		for _, v := range cams[b].Data {
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
		}
		for i, v := range cams[b].Data {
			if d := math.Abs(float64(v)/area - float64(grads[b].Data[i])); d > 1e-5*maxAbs/area+1e-12 {
				t.Fatalf("example %d pixel %d: CAM/(h·w) = %g, Grad-CAM = %g", b, i, float64(v)/area, grads[b].Data[i])
			}
		}
	}
}
