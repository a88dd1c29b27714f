package evaluate

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
)

// Shards of whole batches, evaluated by one Evaluator with TakeTally between them (as
// a Beam worker does), encoded, decoded into merge-only tallies and merged in a random
// order, give the single-process Run's CSV byte for byte, ROAD's noise included.
func TestTallyShardsEqualRun(t *testing.T) {
	b := testBackend(t)
	m := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	ex := tinySynthetic(t, 10)
	methods := []camviz.Method{camviz.MethodGradCAM, "EigenCAM"}
	cfg := Config{Methods: methods, Metrics: []Metric{MaxBoxAcc, MaxBoxAccV2, Top1Loc, PxAP, PointingGame, AverageDrop, IncreaseInConfidence, Deletion, Insertion, ROAD},
		BatchSize: 2, CausalSteps: 4, ROADPercentiles: []float64{30, 70}, Seed: 9}
	want, err := Run(b, m, ex, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wantCSV bytes.Buffer
	if err := want.WriteCSV(&wantCSV); err != nil {
		t.Fatal(err)
	}

	e, err := New(b, m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var encoded [][]byte
	for start := 0; start < len(ex); start += cfg.BatchSize { // one shard per batch
		if err := e.UpdateAt(start, ex[start:start+cfg.BatchSize]); err != nil {
			t.Fatal(err)
		}
		part, err := e.TakeTally()
		if err != nil {
			t.Fatal(err)
		}
		data, err := part.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		encoded = append(encoded, data)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(encoded), func(i, j int) { encoded[i], encoded[j] = encoded[j], encoded[i] })
	total, err := NewTally(e.Config(), e.Model(), e.Layers())
	if err != nil {
		t.Fatal(err)
	}
	for i, data := range encoded {
		part, _ := NewTally(e.Config(), e.Model(), e.Layers())
		if err := part.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // the combiner's way: no model, no layers given
			if part, err = DecodeTally(cfg, data); err != nil {
				t.Fatal(err)
			}
		}
		if err := total.Merge(part); err != nil {
			t.Fatal(err)
		}
	}
	got, err := total.Summary()
	if err != nil {
		t.Fatal(err)
	}
	var gotCSV bytes.Buffer
	if err := got.WriteCSV(&gotCSV); err != nil {
		t.Fatal(err)
	}
	if gotCSV.String() != wantCSV.String() {
		t.Fatalf("merged shards:\n%s\nsingle process:\n%s", gotCSV.String(), wantCSV.String())
	}
	if got.Images != 10 || got.Accuracy != want.Accuracy || got.Model != want.Model {
		t.Errorf("merged header: %d images, accuracy %v, model %q; want 10, %v, %q", got.Images, got.Accuracy, got.Model, want.Accuracy, want.Model)
	}
	if _, err := total.Rows()[0].Summary(); err != nil {
		t.Error(err)
	}
	// A merge-only tally cannot score images.
	if err := total.rows[0].Update(ex[:1], []*heatmap.Map{constMap(16, 16, 0.5)}, []int{0}, []bool{true}); err == nil {
		t.Error("a merge-only accumulator ran faithfulness metrics without a model")
	}
}

// Accumulators of random (not batch-aligned) splits merge to the one-pass row exactly
// when the score of an image does not depend on its batch (here a fixed function).
func TestAccumulatorMergeRandomSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var ex []datasets.Example
	var maps []*heatmap.Map
	var correct []bool
	for i := 0; i < 17; i++ {
		x0, y0 := r.IntN(8), r.IntN(8)
		e := rectExample(16, 16, image.Rect(x0, y0, x0+3+r.IntN(6), y0+3+r.IntN(6)), float32(r.Float64()), r.IntN(3))
		e.Boxes = []image.Rectangle{e.Box, image.Rect(0, 0, 2+r.IntN(4), 2+r.IntN(4))}
		e.Ignore = make([]bool, 256)
		for p := range e.Ignore {
			e.Ignore[p] = !e.Mask[p] && r.IntN(4) == 0
		}
		ex = append(ex, e)
		m := heatmap.NewMap(16, 16)
		for p := range m.Data {
			m.Data[p] = float32(r.IntN(9)) / 8
		}
		maps, correct = append(maps, m), append(correct, r.IntN(2) == 0)
	}
	classes := labelsOf(ex)
	score := func(images []float32, n, h, w, c int, class int) ([]float32, error) {
		out := make([]float32, n)
		for i := range out {
			var s float32
			for p, v := range images[i*h*w*c : (i+1)*h*w*c] {
				s += v * float32((p+class)%5)
			}
			out[i] = 0.05 + s/float32(4*h*w*c)
		}
		return out, nil
	}
	cfg := Config{Metrics: AllMetrics(), CausalSteps: 8, ROADPercentiles: []float64{50}, Seed: 3}
	whole, err := NewAccumulator(cfg, score)
	if err != nil {
		t.Fatal(err)
	}
	if err := whole.Update(ex, maps, classes, correct); err != nil {
		t.Fatal(err)
	}
	want, err := whole.Summary()
	if err != nil {
		t.Fatal(err)
	}
	for trial := 0; trial < 4; trial++ {
		var parts []*Accumulator
		for lo := 0; lo < len(ex); {
			hi := min(len(ex), lo+1+r.IntN(6))
			a, _ := NewAccumulator(cfg, score)
			if err := a.UpdateAt(lo, ex[lo:hi], maps[lo:hi], classes[lo:hi], correct[lo:hi]); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, a)
			lo = hi
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		total, _ := NewMergeAccumulator(cfg)
		for _, p := range parts {
			data, err := p.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			q, _ := NewMergeAccumulator(cfg)
			if err := q.UnmarshalBinary(data); err != nil {
				t.Fatal(err)
			}
			if err := total.Merge(q); err != nil {
				t.Fatal(err)
			}
		}
		got, err := total.Summary()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cfg.Metrics {
			if got.Values[m] != want.Values[m] {
				t.Errorf("trial %d: %s merged %v, one pass %v", trial, m, got.Values[m], want.Values[m])
			}
		}
	}
	other, _ := NewMergeAccumulator(Config{Metrics: LocalizationMetrics()})
	if err := whole.Merge(other); err == nil {
		t.Error("Merge accepted an accumulator of other metrics")
	}
}

// Several ground-truth boxes and ignore regions, by hand: the object is the 4×4 box at
// (2, 2) and a second object box (10, 10)–(14, 14) is listed in Boxes only; the map is 1
// on the second box and 0 elsewhere. With Boxes the box found at every τ is exactly the
// second box (IoU 1: MaxBoxAcc 100, pointing hit); without it, IoU 0 (MaxBoxAcc 0, miss).
// PxAP: Mask = first box (16 positives), map 1 on 16 negatives, 0 on the positives, so
// at the top threshold precision is 0 and the curve reaches recall 1 only at τ = 0 with
// precision 16/256: PxAP = 100·16/256 = 6.25. Ignoring the 16 negatives at the second
// box leaves 16 positives among 240 pixels, all at 0: PxAP = 100·16/240 = 6.666….
func TestAccumulatorSeveralBoxesAndIgnore(t *testing.T) {
	e := rectExample(16, 16, image.Rect(2, 2, 6, 6), 0.5, 0)
	second := image.Rect(10, 10, 14, 14)
	cfg := Config{Metrics: LocalizationMetrics()}
	run := func(e datasets.Example) Row {
		return summarize(t, cfg, nil, []datasets.Example{e, e}, []*heatmap.Map{boxMap(16, 16, second), boxMap(16, 16, second)}, []bool{true, true})
	}
	one := run(e)
	checkValues(t, "one box", one.Values, map[Metric]float64{MaxBoxAcc: 0, MaxBoxAccV2: 0, PointingGame: 0, PxAP: 6.25})
	e.Boxes = []image.Rectangle{e.Box, second}
	two := run(e)
	checkValues(t, "two boxes", two.Values, map[Metric]float64{MaxBoxAcc: 100, MaxBoxAccV2: 100, Top1Loc: 100, PointingGame: 100, PxAP: 6.25})
	e.Ignore = make([]bool, 256)
	for y := second.Min.Y; y < second.Max.Y; y++ {
		for x := second.Min.X; x < second.Max.X; x++ {
			e.Ignore[y*16+x] = true
		}
	}
	ign := run(e)
	checkValues(t, "ignore", ign.Values, map[Metric]float64{PxAP: 100 * 16.0 / 240})
}
