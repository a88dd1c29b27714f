package metrics

import (
	"fmt"
	"math"
	"sort"

	"github.com/camviz/camviz/camviz/heatmap"
)

// PxAPConfig configures a PxAPAccumulator.
type PxAPConfig struct {
	// TauStep is the spacing of the score thresholds {0, s, 2s, …} < 1. 0 means
	// 0.01; the paper's exact protocol uses 0.001.
	TauStep float64
}

// PxAPResult is the pixel precision-recall curve and its area.
type PxAPResult struct {
	// PxAP is the area under the pixel precision-recall curve, percent.
	PxAP float64
	// The curve, from the highest threshold down: at Thresholds[j] a pixel is
	// predicted foreground when its score ≥ Thresholds[j]. Points where no pixel
	// is predicted (precision undefined) are left out.
	Thresholds, Precision, Recall []float64
	Positives, Negatives          int64 // ground-truth pixels counted (ignored ones excluded)
	Images                        int
}

// PxAPAccumulator computes PxAP (Choe et al. 2020, Sec. 4.2) over a stream of
// batches, as wsolevaluation's MaskEvaluator: scores of positive and negative
// pixels are counted in histograms with bin edges {τ_0 = 0, τ_1, …, τ_{K−1}, 1,
// 2, 3} (numpy.histogram: [e_i, e_{i+1}), last bin closed), pooled over the
// whole dataset. Reading the bins from the top, with thresholds t_j = 2, 1,
// τ_{K−1}, …, τ_0:
//
//	TP_j = #{positive scores ≥ t_j},  FP_j = #{negative scores ≥ t_j}
//	precision_j = TP_j / (TP_j + FP_j),  recall_j = TP_j / #positives
//	PxAP = 100 · Σ_{j ≥ 1, TP_j+FP_j > 0} precision_j · (recall_j − recall_{j−1})
//
// Maps must hold finite scores in [0, 1] (normalise per image first, e.g.
// heatmap.PostProcess), at the masks' resolution.
type PxAPAccumulator struct {
	edges    []float64
	pos, neg []int64
	images   int
}

// NewPxAPAccumulator validates cfg and returns an empty accumulator.
func NewPxAPAccumulator(cfg PxAPConfig) (*PxAPAccumulator, error) {
	if cfg.TauStep == 0 {
		cfg.TauStep = 0.01
	}
	if !(cfg.TauStep > 0 && cfg.TauStep <= 1) {
		return nil, fmt.Errorf("metrics.NewPxAPAccumulator: TauStep %v must be in (0, 1] (0.01 default, 0.001 for the exact protocol)", cfg.TauStep)
	}
	edges := append(thresholdGrid(cfg.TauStep), 1, 2, 3)
	return &PxAPAccumulator{edges: edges, pos: make([]int64, len(edges)-1), neg: make([]int64, len(edges)-1)}, nil
}

// Update adds a batch: masks[i][y*W+x] is true on the object. Every pixel counts.
func (a *PxAPAccumulator) Update(maps []*heatmap.Map, masks [][]bool) error {
	return a.UpdateWithIgnore(maps, masks, nil)
}

// UpdateWithIgnore is Update with pixels left out of both histograms where
// ignore[i][y*W+x] is true (wsolevaluation's "ignore" regions: inside an
// ignore box but outside the object). ignore, or any ignore[i], may be nil.
// On error nothing is accumulated.
func (a *PxAPAccumulator) UpdateWithIgnore(maps []*heatmap.Map, masks, ignore [][]bool) error {
	if len(masks) != len(maps) || (ignore != nil && len(ignore) != len(maps)) {
		return fmt.Errorf("metrics.PxAPAccumulator.Update: %d maps, %d masks, %d ignore masks; pass one mask per map (ignore may be nil)", len(maps), len(masks), len(ignore))
	}
	for i, m := range maps {
		if err := checkMapRange01(i, m); err != nil {
			return fmt.Errorf("metrics.PxAPAccumulator.Update: %w", err)
		}
		if len(masks[i]) != len(m.Data) {
			return fmt.Errorf("metrics.PxAPAccumulator.Update: image %d: mask has %d pixels but the map is %dx%d = %d; resize the map to the mask (heatmap.ResizeBilinear) or the mask to the map", i, len(masks[i]), m.H, m.W, len(m.Data))
		}
		if ignore != nil && ignore[i] != nil && len(ignore[i]) != len(m.Data) {
			return fmt.Errorf("metrics.PxAPAccumulator.Update: image %d: ignore mask has %d pixels, want %d (the map's %dx%d)", i, len(ignore[i]), len(m.Data), m.H, m.W)
		}
	}
	for i, m := range maps {
		for p, v := range m.Data {
			if ignore != nil && ignore[i] != nil && ignore[i][p] {
				continue
			}
			// Bin b holds edges[b] ≤ v < edges[b+1].
			b := sort.Search(len(a.edges), func(j int) bool { return a.edges[j] > float64(v) }) - 1
			if masks[i][p] {
				a.pos[b]++
			} else {
				a.neg[b]++
			}
		}
		a.images++
	}
	return nil
}

// Summary returns PxAP and the precision-recall curve. It is an error when no
// positive pixel has been seen (PxAP is undefined), which includes zero images.
func (a *PxAPAccumulator) Summary() (PxAPResult, error) {
	res := PxAPResult{Images: a.images}
	for b := range a.pos {
		res.Positives += a.pos[b]
		res.Negatives += a.neg[b]
	}
	if res.Positives == 0 {
		return res, fmt.Errorf("metrics.PxAPAccumulator.Summary: no positive ground-truth pixel in %d images; PxAP needs object masks with foreground", a.images)
	}
	nb := len(a.pos)
	var tp, fp int64
	prevRecall := 0.0
	for j := 0; j < nb; j++ {
		b := nb - 1 - j // scores ≥ edges[b]
		tp += a.pos[b]
		fp += a.neg[b]
		recall := float64(tp) / float64(res.Positives)
		if tp+fp > 0 {
			precision := float64(tp) / float64(tp+fp)
			if j >= 1 {
				res.PxAP += 100 * precision * (recall - prevRecall)
				res.Thresholds = append(res.Thresholds, a.edges[b])
				res.Precision = append(res.Precision, precision)
				res.Recall = append(res.Recall, recall)
			}
		}
		prevRecall = recall
	}
	// Σ precision·Δrecall ≤ 1 exactly (precision ≤ 1, the Δrecall sum to at most 1), but
	// float rounding of the sum can pass 100 by an ulp (found by FuzzAccumulator).
	res.PxAP = math.Min(res.PxAP, 100)
	return res, nil
}
