package evaluate

import (
	"fmt"
	"image"
	"slices"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
)

// ClassScoreFn returns the score of class for each of n images, given as float32 NHWC
// (len(images) = n·h·w·c). ModelScore builds one from a model (the softmax probability
// p_class); the faithfulness metrics call it on the images they modify.
type ClassScoreFn func(images []float32, n, h, w, c int, class int) ([]float32, error)

// Accumulator computes the configured metrics of one stream of maps (one layer × method)
// batch by batch: Update as often as needed, then Summary. It is the model-free half of
// an evaluation: maps come from anywhere (an Evaluator feeds it camviz's final maps), so
// the numbers can be checked on constructed maps.
type Accumulator struct {
	cfg   Config
	score ClassScoreFn
	class int // the class the metrics' ScoreFn scores, set per class group

	box, boxV2 *metrics.BoxAccumulator
	pxap       *metrics.PxAPAccumulator
	pointing   *metrics.PointingGame
	conf       *metrics.ConfidenceAccumulator
	del, ins   *metrics.CausalAccumulator
	road       *metrics.ROADAccumulator
	images     int
}

// NewAccumulator returns an empty accumulator for cfg's metrics (cfg's Layers, Methods,
// Target and BatchSize are not used here). score is needed when a faithfulness metric is
// configured (Average Drop, Increase in Confidence, deletion, insertion, ROAD) and may be
// nil otherwise.
func NewAccumulator(cfg Config, score ClassScoreFn) (*Accumulator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.needsScore() && score == nil {
		return nil, fmt.Errorf("evaluate.NewAccumulator: metrics %v run the model on modified images, but score is nil; pass a ClassScoreFn (evaluate.ModelScore)", cfg.Metrics)
	}
	a := &Accumulator{cfg: cfg, score: score}
	fn := metrics.ScoreFn(func(images []float32, n, h, w, c int) ([]float32, error) {
		return a.score(images, n, h, w, c, a.class)
	})
	if cfg.has(MaxBoxAcc) || cfg.has(Top1Loc) {
		// Choe et al.'s MaxBoxAcc: the largest component's box, δ = 0.5.
		if a.box, err = metrics.NewBoxAccumulator(metrics.BoxConfig{TauStep: cfg.TauStep, IoUThresholds: []float64{0.5}}); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(MaxBoxAccV2) {
		// MaxBoxAccV2: every component's box, δ ∈ IoUThresholds.
		bc := metrics.BoxConfig{TauStep: cfg.TauStep, IoUThresholds: cfg.IoUThresholds, MultiContour: true}
		if a.boxV2, err = metrics.NewBoxAccumulator(bc); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(PxAP) {
		if a.pxap, err = metrics.NewPxAPAccumulator(metrics.PxAPConfig{TauStep: cfg.TauStep}); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(PointingGame) {
		if a.pointing, err = metrics.NewPointingGame(cfg.PointingTolerance); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(AverageDrop) || cfg.has(IncreaseInConfidence) {
		if a.conf, err = metrics.NewConfidenceAccumulator(fn, metrics.ConfidenceConfig{BatchSize: cfg.ScoreBatch}); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(Deletion) {
		cc := metrics.CausalConfig{Mode: metrics.Deletion, Steps: cfg.CausalSteps, BatchSize: cfg.ScoreBatch}
		if a.del, err = metrics.NewCausalAccumulator(fn, cc); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(Insertion) {
		cc := metrics.CausalConfig{Mode: metrics.Insertion, Steps: cfg.CausalSteps, BatchSize: cfg.ScoreBatch}
		if a.ins, err = metrics.NewCausalAccumulator(fn, cc); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	if cfg.has(ROAD) {
		rc := metrics.ROADConfig{Percentiles: cfg.ROADPercentiles, Seed: cfg.Seed, BatchSize: cfg.ScoreBatch}
		if a.road, err = metrics.NewROADAccumulator(fn, rc); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
	}
	return a, nil
}

// Update adds a batch: maps[i] is the map of examples[i] at the image's resolution with
// values in [0, 1] (camviz's Result.Final), classes[i] the class it explains (scored by
// the faithfulness metrics) and correct[i] whether the model's top-1 class is the label
// (for Top-1 Loc). Every example needs its box and mask (datasets.Example.Validate); the
// box metrics and the pointing game score against all of its ground-truth boxes
// (Example.GroundTruthBoxes) and PxAP leaves its Ignore pixels out.
// Inputs are checked before any metric is updated; an error from a metric's own update
// (for example a failing ClassScoreFn) may leave the accumulator partly updated, so
// discard it then.
func (a *Accumulator) Update(examples []datasets.Example, maps []*heatmap.Map, classes []int, correct []bool) error {
	return a.UpdateAt(a.images, examples, maps, classes, correct)
}

// UpdateAt is Update for examples that are images start, start+1, … of the dataset:
// ROAD draws each image's noise from a stream named by that position (metrics.Batch's
// Index), so accumulators that saw shards of the dataset, merged with Merge, equal one
// accumulator that saw it all. Update numbers images by the count seen so far.
func (a *Accumulator) UpdateAt(start int, examples []datasets.Example, maps []*heatmap.Map, classes []int, correct []bool) error {
	n := len(examples)
	if start < 0 {
		return fmt.Errorf("evaluate.Accumulator.UpdateAt: start %d is negative; give the position of examples[0] in the dataset", start)
	}
	if len(maps) != n || len(classes) != n || len(correct) != n {
		return fmt.Errorf("evaluate.Accumulator.Update: %d examples, %d maps, %d classes, %d correct flags; pass one of each per example",
			n, len(maps), len(classes), len(correct))
	}
	if n == 0 {
		return nil
	}
	for i := range examples {
		e := &examples[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("evaluate.Accumulator.Update: example %d: %w", i, err)
		}
		if e.H != examples[0].H || e.W != examples[0].W {
			return fmt.Errorf("evaluate.Accumulator.Update: example %d is %dx%d but example 0 is %dx%d; a batch holds one image size", i, e.H, e.W, examples[0].H, examples[0].W)
		}
		m := maps[i]
		if m == nil || m.H != e.H || m.W != e.W || len(m.Data) != m.H*m.W {
			return fmt.Errorf("evaluate.Accumulator.Update: map %d is not an %dx%d map at the image's size; resize it (camviz's Result.Final does)", i, e.H, e.W)
		}
	}
	boxes := make([][]image.Rectangle, n)
	masks := make([][]bool, n)
	ignore := make([][]bool, n)
	for i := range examples {
		boxes[i], masks[i], ignore[i] = examples[i].GroundTruthBoxes(), examples[i].Mask, examples[i].Ignore
	}
	if a.box != nil {
		if err := a.box.Update(maps, boxes, correct); err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
	}
	if a.boxV2 != nil {
		if err := a.boxV2.Update(maps, boxes, correct); err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
	}
	if a.pxap != nil {
		if err := a.pxap.UpdateWithIgnore(maps, masks, ignore); err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
	}
	if a.pointing != nil {
		if err := a.pointing.Update(maps, boxes); err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
	}
	if err := a.updateFaithfulness(start, examples, maps, classes); err != nil {
		return err
	}
	a.images += n
	return nil
}

// updateFaithfulness runs the score-based metrics one class at a time, so that the
// metrics' ScoreFn (which knows nothing of classes) scores the right one.
func (a *Accumulator) updateFaithfulness(start int, examples []datasets.Example, maps []*heatmap.Map, classes []int) error {
	if a.conf == nil && a.del == nil && a.ins == nil && a.road == nil {
		return nil
	}
	order := slices.Clone(classes)
	slices.Sort(order)
	order = slices.Compact(order)
	h, w := examples[0].H, examples[0].W
	for _, c := range order {
		var idx []int
		for i, ci := range classes {
			if ci == c {
				idx = append(idx, i)
			}
		}
		b := metrics.Batch{N: len(idx), H: h, W: w, C: 3, Pixels: make([]float32, 0, len(idx)*h*w*3), Index: make([]int, len(idx))}
		sub := make([]*heatmap.Map, len(idx))
		for j, i := range idx {
			b.Pixels = append(b.Pixels, examples[i].Image...)
			sub[j] = maps[i]
			b.Index[j] = start + i
		}
		a.class = c
		for _, u := range []interface {
			Update(metrics.Batch, []*heatmap.Map) error
		}{a.conf, a.del, a.ins, a.road} {
			if isNil(u) {
				continue
			}
			if err := u.Update(b, sub); err != nil {
				return fmt.Errorf("evaluate: class %d: %w", c, err)
			}
		}
	}
	return nil
}

// isNil reports a nil accumulator stored in an interface.
func isNil(u any) bool {
	switch v := u.(type) {
	case *metrics.ConfidenceAccumulator:
		return v == nil
	case *metrics.CausalAccumulator:
		return v == nil
	case *metrics.ROADAccumulator:
		return v == nil
	}
	return u == nil
}

// Images returns the number of images accumulated.
func (a *Accumulator) Images() int { return a.images }

// Summary returns the row of metrics so far (Layer and Method left empty). It is an
// error before any image. No value is NaN: every metric is defined once an image with a
// non-empty mask has been seen (see Row for the conventions).
func (a *Accumulator) Summary() (Row, error) {
	if a.images == 0 {
		return Row{}, fmt.Errorf("evaluate.Accumulator.Summary: no images accumulated; call Update first")
	}
	r := Row{Values: map[Metric]float64{}}
	if a.box != nil {
		s, err := a.box.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.Box = &s
		r.Values[MaxBoxAcc], r.Values[Top1Loc] = s.MaxBoxAcc, s.Top1Loc
	}
	if a.boxV2 != nil {
		s, err := a.boxV2.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.BoxV2 = &s
		r.Values[MaxBoxAccV2] = s.MaxBoxAccV2
	}
	if a.pxap != nil {
		s, err := a.pxap.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.PxAP = &s
		r.Values[PxAP] = s.PxAP
	}
	if a.pointing != nil {
		s, err := a.pointing.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.Pointing = &s
		r.Values[PointingGame] = s.Accuracy
	}
	if a.conf != nil {
		s, err := a.conf.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.Confidence = &s
		r.Values[AverageDrop], r.Values[IncreaseInConfidence] = s.AverageDrop, s.IncreaseInConfidence
	}
	for _, c := range []struct {
		acc *metrics.CausalAccumulator
		dst **metrics.CausalResult
		m   Metric
	}{{a.del, &r.Deletion, Deletion}, {a.ins, &r.Insertion, Insertion}} {
		if c.acc == nil {
			continue
		}
		s, err := c.acc.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		*c.dst = &s
		r.Values[c.m] = s.AUC
	}
	if a.road != nil {
		s, err := a.road.Summary()
		if err != nil {
			return r, fmt.Errorf("evaluate: %w", err)
		}
		r.ROAD = &s
		r.Values[ROAD] = s.Combined
	}
	for _, m := range a.cfg.Metrics {
		if _, ok := r.Values[m]; !ok {
			return r, fmt.Errorf("evaluate: internal error: no value for %s", m)
		}
	}
	return r, nil
}
