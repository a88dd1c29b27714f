package evaluate

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
)

// rectSet is four 16×16 examples whose objects are rectangles of 144, 64, 32 and 240
// pixels (IoU with the whole image 0.5625, 0.25, 0.125, 0.9375), pixel values 0.2, 0.4,
// 0.6, 0.8 and labels 0, 1, 2, 0.
func rectSet() []datasets.Example {
	return []datasets.Example{
		rectExample(16, 16, image.Rect(2, 2, 14, 14), 0.2, 0),
		rectExample(16, 16, image.Rect(0, 0, 8, 8), 0.4, 1),
		rectExample(16, 16, image.Rect(4, 6, 12, 10), 0.6, 2),
		rectExample(16, 16, image.Rect(1, 0, 16, 16), 0.8, 0),
	}
}

func labelsOf(ex []datasets.Example) []int {
	out := make([]int, len(ex))
	for i, e := range ex {
		out[i] = e.Label
	}
	return out
}

// summarize accumulates maps over ex in two batches (so streaming is exercised).
func summarize(t *testing.T, cfg Config, score ClassScoreFn, ex []datasets.Example, maps []*heatmap.Map, correct []bool) Row {
	t.Helper()
	a, err := NewAccumulator(cfg, score)
	if err != nil {
		t.Fatal(err)
	}
	classes := labelsOf(ex)
	for _, r := range [][2]int{{0, 1}, {1, len(ex)}} {
		if err := a.Update(ex[r[0]:r[1]], maps[r[0]:r[1]], classes[r[0]:r[1]], correct[r[0]:r[1]]); err != nil {
			t.Fatal(err)
		}
	}
	row, err := a.Summary()
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func checkValues(t *testing.T, name string, got map[Metric]float64, want map[Metric]float64) {
	t.Helper()
	for m, w := range want {
		if g, ok := got[m]; !ok || !near(g, w) {
			t.Errorf("%s: %s = %v, want %v", name, m, g, w)
		}
	}
}

func TestAccumulatorLocalizationByHand(t *testing.T) {
	ex := rectSet()
	correct := []bool{true, false, true, true}
	cfg := Config{Metrics: LocalizationMetrics()}

	// A perfect map (1 on the object's box): every box is exact, the maximum is inside,
	// and the map's foreground is the mask. Top-1 Loc counts the 3 classified right.
	perfect := make([]*heatmap.Map, len(ex))
	for i, e := range ex {
		perfect[i] = boxMap(16, 16, e.Box)
	}
	checkValues(t, "perfect", summarize(t, cfg, nil, ex, perfect, correct).Values, map[Metric]float64{
		MaxBoxAcc: 100, MaxBoxAccV2: 100, Top1Loc: 75, PxAP: 100, PointingGame: 100})

	// A constant map has no box at any τ (a miss), points at (0, 0), which only example
	// 1's box holds, and scores every pixel alike: PxAP = 100·positives/pixels =
	// 100·480/1024.
	flat := []*heatmap.Map{constMap(16, 16, 0.3), constMap(16, 16, 0.3), constMap(16, 16, 0.3), constMap(16, 16, 0.3)}
	checkValues(t, "constant", summarize(t, cfg, nil, ex, flat, correct).Values, map[Metric]float64{
		MaxBoxAcc: 0, MaxBoxAccV2: 0, Top1Loc: 0, PxAP: 46.875, PointingGame: 25})

	// 1 everywhere but pixel (0, 0): the box is the whole image, IoU = object area/256 =
	// 0.5625, 0.25, 0.125, 0.9375. δ = 0.5 and 0.3: examples 0 and 3 (50 %); δ = 0.7:
	// example 3 (25 %); V2 = (50 + 50 + 25)/3. The maximum is (1, 0), inside boxes 1 and 3.
	full := make([]*heatmap.Map, len(ex))
	for i := range full {
		full[i] = constMap(16, 16, 1)
		full[i].Data[0] = 0
	}
	row := summarize(t, cfg, nil, ex, full, correct)
	checkValues(t, "full-image", row.Values, map[Metric]float64{
		MaxBoxAcc: 50, MaxBoxAccV2: 125.0 / 3, Top1Loc: 50, PointingGame: 50})
	if row.Box == nil || row.BoxV2 == nil || row.PxAP == nil || row.Pointing == nil || row.Confidence != nil {
		t.Errorf("row results: box %v, v2 %v, pxap %v, pointing %v, confidence %v; want all but confidence", row.Box != nil, row.BoxV2 != nil, row.PxAP != nil, row.Pointing != nil, row.Confidence != nil)
	}
	if len(row.BoxV2.PerDelta) != 3 || len(row.BoxV2.PerDelta[0].Curve) != 100 {
		t.Errorf("V2 curves: %d deltas, want 3 curves of 100 thresholds", len(row.BoxV2.PerDelta))
	}
}

// affineScore scores class c of an image as 1 + c + mean(pixels): it tells classes apart,
// so a mix-up of classes shows in the numbers.
func affineScore(images []float32, n, h, w, c int, class int) ([]float32, error) {
	out := make([]float32, n)
	size := h * w * c
	for i := range out {
		s := 0.0
		for _, v := range images[i*size : (i+1)*size] {
			s += float64(v)
		}
		out[i] = float32(1 + float64(class) + s/float64(size))
	}
	return out, nil
}

func TestAccumulatorFaithfulnessByHand(t *testing.T) {
	ex := rectSet()
	half := []*heatmap.Map{constMap(16, 16, 0.5), constMap(16, 16, 0.5), constMap(16, 16, 0.5), constMap(16, 16, 0.5)}
	cfg := Config{Metrics: []Metric{AverageDrop, IncreaseInConfidence, Deletion, Insertion}, ScoreBatch: 5}
	row := summarize(t, cfg, affineScore, ex, half, []bool{true, true, true, true})
	// Image i of value v and class c: Y = 1+c+v, O = 1+c+v/2, drop = (v/2)/(1+c+v):
	// 0.1/1.2, 0.2/2.4, 0.3/3.6, 0.4/1.8. Deletion zeroes pixels in 32 equal steps, so the
	// score falls linearly from 1+c+v to 1+c and the trapezoid AUC is exactly 1+c+v/2:
	// mean (1.1 + 2.2 + 3.3 + 1.4)/4 = 2.
	drop := 100 * (0.1/1.2 + 0.2/2.4 + 0.3/3.6 + 0.4/1.8) / 4
	got := row.Values
	if math.Abs(got[AverageDrop]-drop) > 1e-4 || got[IncreaseInConfidence] != 0 || math.Abs(got[Deletion]-2) > 1e-5 {
		t.Errorf("AverageDrop %v (want %v), Increase %v (want 0), Deletion %v (want 2)", got[AverageDrop], drop, got[IncreaseInConfidence], got[Deletion])
	}
	// Insertion equals metrics.CausalAccumulator run image by image with its own class.
	var sum float64
	for i, e := range ex {
		c := e.Label
		acc, err := metrics.NewCausalAccumulator(func(images []float32, n, h, w, ch int) ([]float32, error) {
			return affineScore(images, n, h, w, ch, c)
		}, metrics.CausalConfig{Mode: metrics.Insertion, Steps: 32})
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.Update(metrics.Batch{Pixels: e.Image, N: 1, H: 16, W: 16, C: 3}, half[i:i+1]); err != nil {
			t.Fatal(err)
		}
		s, _ := acc.Summary()
		sum += s.AUC
	}
	if math.Abs(got[Insertion]-sum/4) > 1e-9 {
		t.Errorf("Insertion %v, want %v (metrics.CausalAccumulator per image)", got[Insertion], sum/4)
	}
	if row.Deletion == nil || len(row.Deletion.Curve) != 33 {
		t.Errorf("deletion curve missing or not 33 points")
	}
}

func TestAccumulatorROADWithBlindScore(t *testing.T) {
	// A score that ignores the pixels never changes, so every ROAD difference is 0.
	blind := func(images []float32, n, h, w, c int, class int) ([]float32, error) {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(class + 1)
		}
		return out, nil
	}
	ex := rectSet()
	maps := make([]*heatmap.Map, len(ex))
	for i, e := range ex {
		maps[i] = boxMap(16, 16, e.Box)
	}
	row := summarize(t, Config{Metrics: []Metric{ROAD}, ROADPercentiles: []float64{20, 80}}, blind, ex, maps, make([]bool, 4))
	if row.Values[ROAD] != 0 || row.ROAD == nil || len(row.ROAD.MoRF) != 2 {
		t.Errorf("ROAD %v with a blind score, result %+v; want 0 and 2 percentiles", row.Values[ROAD], row.ROAD)
	}
}

func TestAccumulatorErrors(t *testing.T) {
	ex := rectSet()
	maps := []*heatmap.Map{constMap(16, 16, 0), constMap(16, 16, 0), constMap(16, 16, 0), constMap(16, 16, 0)}
	if _, err := NewAccumulator(Config{Metrics: []Metric{Deletion}}, nil); err == nil || !strings.Contains(err.Error(), "ClassScoreFn") {
		t.Errorf("faithfulness without a score: err = %v", err)
	}
	a, err := NewAccumulator(Config{Metrics: LocalizationMetrics()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Summary(); err == nil {
		t.Error("Summary before Update: no error")
	}
	if err := a.Update(ex, maps[:3], labelsOf(ex), make([]bool, 4)); err == nil || !strings.Contains(err.Error(), "3 maps") {
		t.Errorf("3 maps for 4 examples: err = %v", err)
	}
	small := []*heatmap.Map{constMap(8, 8, 0), maps[1], maps[2], maps[3]}
	if err := a.Update(ex, small, labelsOf(ex), make([]bool, 4)); err == nil || !strings.Contains(err.Error(), "map 0") {
		t.Errorf("an 8x8 map: err = %v", err)
	}
	bad := rectSet()
	bad[2].Box = image.Rect(0, 0, 3, 3)
	if err := a.Update(bad, maps, labelsOf(ex), make([]bool, 4)); err == nil || !strings.Contains(err.Error(), "example 2") {
		t.Errorf("an inconsistent box: err = %v", err)
	}
	if a.Images() != 0 {
		t.Errorf("failed updates counted %d images", a.Images())
	}
	for _, c := range []Config{{TauStep: 2}, {BatchSize: -1}, {Metrics: []Metric{"MaxBoxAcc", "MaxBoxAcc"}}, {Metrics: []Metric{"maxboxacc"}}, {Target: 7}, {PointingTolerance: -1}} {
		if _, err := NewAccumulator(c, nil); err == nil {
			t.Errorf("config %+v: no error", c)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	got, err := ParseMetrics("maxboxaccv2, pxap,road,Deletion")
	if err != nil || len(got) != 4 || got[0] != MaxBoxAccV2 || got[1] != PxAP || got[2] != ROAD || got[3] != Deletion {
		t.Errorf("ParseMetrics = %v, %v", got, err)
	}
	if all, _ := ParseMetrics("all"); len(all) != 10 {
		t.Errorf("all = %v", all)
	}
	if def, _ := ParseMetrics(""); len(def) != 9 || def[8] != Insertion {
		t.Errorf("default = %v", def)
	}
	if _, err := ParseMetrics("MaxBoxAcc,IoU"); err == nil || !strings.Contains(err.Error(), "PxAP") {
		t.Errorf("unknown metric: err = %v (should list the known ones)", err)
	}
}
