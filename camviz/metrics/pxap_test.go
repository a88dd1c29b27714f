package metrics

import (
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// Four scored pixels over two images: 0.9 (object), 0.8 (background),
// 0.7 (object), 0.1 (background). Lowering the threshold visits them in that
// order: (P, R) = (1, ½), (½, ½), (⅔, 1), (½, 1), so
// AP = 1·½ + ½·0 + ⅔·½ + ½·0 = 5/6.
func TestPxAPKnownCurve(t *testing.T) {
	acc, err := NewPxAPAccumulator(PxAPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Update([]*heatmap.Map{mapFrom([][]float32{{0.9, 0.8}})}, [][]bool{{true, false}}); err != nil {
		t.Fatal(err)
	}
	if err := acc.Update([]*heatmap.Map{mapFrom([][]float32{{0.7, 0.1}})}, [][]bool{{true, false}}); err != nil {
		t.Fatal(err)
	}
	res, err := acc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	near(t, "PxAP", res.PxAP, 100*5.0/6, 1e-12)
	if res.Positives != 2 || res.Negatives != 2 || res.Images != 2 {
		t.Errorf("counts %d/%d/%d, want 2/2/2", res.Positives, res.Negatives, res.Images)
	}
	// The curve at selected thresholds (score ≥ t).
	want := map[float64][2]float64{0.89: {1, 0.5}, 0.8: {0.5, 0.5}, 0.69: {2.0 / 3, 1}, 0.1: {0.5, 1}, 0: {0.5, 1}}
	found := 0
	for j, th := range res.Thresholds {
		for wt, pr := range want {
			if th > wt-1e-9 && th < wt+1e-9 {
				found++
				near(t, "precision", res.Precision[j], pr[0], 1e-12)
				near(t, "recall", res.Recall[j], pr[1], 1e-12)
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d of %d curve points in %v", found, len(want), res.Thresholds)
	}
	// Thresholds above every score have no prediction and are left out.
	if res.Thresholds[0] > 0.9 {
		t.Errorf("first curve threshold %v is above the top score", res.Thresholds[0])
	}
}

// wsolevaluation's MaskEvaluator tests: a perfect map gives 100; a constant
// map (any value) gives the foreground share P/(P+N).
func TestPxAPReferenceCases(t *testing.T) {
	mask := []bool{true, true, false, false, false, true, false, false}
	perfect := &heatmap.Map{H: 2, W: 4, Data: []float32{1, 1, 0, 0, 0, 1, 0, 0}}
	for _, c := range []struct {
		name string
		m    *heatmap.Map
		want float64
	}{
		{"perfect", perfect, 100},
		{"zeros", heatmap.NewMap(2, 4), 100 * 3.0 / 8},
		{"halves", &heatmap.Map{H: 2, W: 4, Data: []float32{.5, .5, .5, .5, .5, .5, .5, .5}}, 100 * 3.0 / 8},
		{"ones", &heatmap.Map{H: 2, W: 4, Data: []float32{1, 1, 1, 1, 1, 1, 1, 1}}, 100 * 3.0 / 8},
	} {
		acc, _ := NewPxAPAccumulator(PxAPConfig{TauStep: 0.001})
		if err := acc.Update([]*heatmap.Map{c.m}, [][]bool{mask}); err != nil {
			t.Fatal(err)
		}
		res, err := acc.Summary()
		if err != nil {
			t.Fatal(err)
		}
		near(t, c.name, res.PxAP, c.want, 1e-12)
	}
}

func TestPxAPIgnoreAndBadInput(t *testing.T) {
	// Ignoring the one background pixel that outscores the object makes it perfect.
	m := mapFrom([][]float32{{0.9, 0.95, 0.1}})
	acc, _ := NewPxAPAccumulator(PxAPConfig{})
	if err := acc.UpdateWithIgnore([]*heatmap.Map{m}, [][]bool{{true, false, false}}, [][]bool{{false, true, false}}); err != nil {
		t.Fatal(err)
	}
	res, _ := acc.Summary()
	near(t, "PxAP with ignore", res.PxAP, 100, 1e-12)
	if res.Negatives != 1 {
		t.Errorf("Negatives = %d, want 1 (the ignored pixel is not counted)", res.Negatives)
	}

	acc, _ = NewPxAPAccumulator(PxAPConfig{})
	for _, c := range []struct {
		name  string
		maps  []*heatmap.Map
		masks [][]bool
		want  string
	}{
		{"size", []*heatmap.Map{m}, [][]bool{{true}}, "mask has 1 pixels"},
		{"count", []*heatmap.Map{m}, nil, "masks"},
		{"range", []*heatmap.Map{mapFrom([][]float32{{2}})}, [][]bool{{true}}, "outside [0, 1]"},
		{"nan", []*heatmap.Map{mapFrom([][]float32{{float32(nan())}})}, [][]bool{{true}}, "NaN"},
	} {
		if err := acc.Update(c.maps, c.masks); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := acc.Summary(); err == nil {
		t.Error("Summary with zero images returned no error")
	}
	// Masks with no object anywhere: PxAP is undefined, an error.
	if err := acc.Update([]*heatmap.Map{m}, [][]bool{{false, false, false}}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Summary(); err == nil || !strings.Contains(err.Error(), "no positive") {
		t.Errorf("Summary without positives: error %v", err)
	}
	if _, err := NewPxAPAccumulator(PxAPConfig{TauStep: -0.1}); err == nil {
		t.Error("negative TauStep accepted")
	}
}
