package evaluate

import (
	"bytes"
	"image"
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/metrics"
	"github.com/camviz/camviz/camviz/models"
)

func TestEvaluatorMatchesMetricsOnExplainerMaps(t *testing.T) {
	b := testBackend(t)
	m := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	ex := tinySynthetic(t, 6)
	var progress bytes.Buffer
	methods := []camviz.Method{camviz.MethodCAM, camviz.MethodGradCAM, "EigenCAM"}
	cfg := Config{Methods: methods, Metrics: []Metric{MaxBoxAccV2, PxAP, AverageDrop, Deletion}, BatchSize: 4, CausalSteps: 8, Progress: &progress}
	r, err := Run(b, m, ex, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 6 || len(r.Rows) != 3 || r.Rows[0].Layer != "block3" || r.Rows[2].Method != "EigenCAM" {
		t.Fatalf("report: %d images, rows %+v", r.Images, r.Rows)
	}
	if !strings.Contains(progress.String(), "6/6 images 100%") {
		t.Errorf("progress output %q lacks the final count", progress.String())
	}
	acc, err := m.Accuracy(b, ex)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Accuracy-100*acc) > 1e-9 {
		t.Errorf("accuracy %v, models.Accuracy %v", r.Accuracy, 100*acc)
	}

	// The same numbers straight from camviz and camviz/metrics, all 6 images at once.
	images, _, _ := datasets.Stack(ex)
	labels := labelsOf(ex)
	ce, err := m.Explainer(b, []string{"block3"}, methods...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ce.ExplainFloats(images, m.InputDims(6), camviz.ClassTarget(labels...))
	if err != nil {
		t.Fatal(err)
	}
	score, err := ModelScore(b, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, meth := range methods {
		maps, err := res.Final("block3", meth)
		if err != nil {
			t.Fatal(err)
		}
		box, _ := metrics.NewBoxAccumulator(metrics.BoxConfig{MultiContour: true})
		boxes, masks := boxesAndMasks(ex)
		if err := box.Update(maps, boxes, nil); err != nil {
			t.Fatal(err)
		}
		bs, _ := box.Summary()
		px, _ := metrics.NewPxAPAccumulator(metrics.PxAPConfig{})
		if err := px.Update(maps, masks); err != nil {
			t.Fatal(err)
		}
		ps, _ := px.Summary()
		// Average Drop image by image, each scored for its own label.
		drop := 0.0
		for i, e := range ex {
			c := e.Label
			ca, _ := metrics.NewConfidenceAccumulator(func(im []float32, n, h, w, ch int) ([]float32, error) {
				return score(im, n, h, w, ch, c)
			}, metrics.ConfidenceConfig{})
			if err := ca.Update(metrics.Batch{Pixels: e.Image, N: 1, H: 16, W: 16, C: 3}, maps[i:i+1]); err != nil {
				t.Fatal(err)
			}
			s, _ := ca.Summary()
			drop += s.AverageDrop / 6
		}
		for metric, want := range map[Metric]float64{MaxBoxAccV2: bs.MaxBoxAccV2, PxAP: ps.PxAP, AverageDrop: drop} {
			got, err := r.Value("block3", meth, metric)
			if err != nil || math.Abs(got-want) > 1e-6 {
				t.Errorf("%s %s = %v (%v), computed directly %v", meth, metric, got, err, want)
			}
		}
	}
	// On a GAP network Grad-CAM is ReLU(CAM)/(h·w): the final maps, so every metric, agree.
	for _, metric := range r.Metrics {
		c, _ := r.Value("block3", camviz.MethodCAM, metric)
		g, _ := r.Value("block3", camviz.MethodGradCAM, metric)
		if math.Abs(c-g) > 1e-4 {
			t.Errorf("%s: CAM %v, Grad-CAM %v; they should agree on a GAP-CNN", metric, c, g)
		}
	}
}

func boxesAndMasks(ex []datasets.Example) ([][]image.Rectangle, [][]bool) {
	boxes := make([][]image.Rectangle, len(ex))
	masks := make([][]bool, len(ex))
	for i, e := range ex {
		boxes[i], masks[i] = []image.Rectangle{e.Box}, e.Mask
	}
	return boxes, masks
}

func TestEvaluatorPredictedTargetAndErrors(t *testing.T) {
	b := testBackend(t)
	m := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	ex := tinySynthetic(t, 3)
	r, err := Run(b, m, ex, Config{Methods: []camviz.Method{camviz.MethodGradCAM}, Metrics: LocalizationMetrics(), Target: TargetPredicted})
	if err != nil {
		t.Fatal(err)
	}
	if r.Target != TargetPredicted || len(r.Rows) != 1 {
		t.Errorf("report target %v, %d rows", r.Target, len(r.Rows))
	}
	if _, err := Run(b, m, nil, Config{}); err == nil {
		t.Error("no examples: no error")
	}
	big, _ := datasets.Synthetic(datasets.DefaultSyntheticConfig(), 1)
	if _, err := Run(b, m, big, Config{Methods: []camviz.Method{camviz.MethodGradCAM}}); err == nil || !strings.Contains(err.Error(), "16x16x3") {
		t.Errorf("64x64 examples for a 16x16 model: err = %v", err)
	}
	// An unknown layer is an error, at New or at the first batch.
	if e, err := New(b, m, Config{Layers: []string{"nope"}, Methods: []camviz.Method{camviz.MethodGradCAM}}); err == nil {
		if err := e.Update(ex); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("unknown layer: err = %v", err)
		}
	}
	e, err := New(b, m, Config{Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Summary(); err == nil {
		t.Error("Summary before Update: no error")
	}
}
