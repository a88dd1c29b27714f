package metrics

import (
	"fmt"
	"image"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// BoxConfig configures a BoxAccumulator. The zero value gives Choe et al.'s
// MaxBoxAcc setting with τ steps of 0.01.
type BoxConfig struct {
	// TauStep is the spacing of the map thresholds τ ∈ {0, s, 2s, …} < 1 (numpy
	// arange(0, 1, s)). 0 means 0.01 (wsolevaluation's default); the paper's
	// exact protocol uses 0.001.
	TauStep float64
	// IoUThresholds are the δ of the box-accuracy curves, in (0, 1]. Empty means
	// {0.3, 0.5, 0.7}. MaxBoxAccV2 is the mean over these; δ = 0.5 is always
	// evaluated for MaxBoxAcc, listed or not.
	IoUThresholds []float64
	// MultiContour scores every component's box (best IoU over all boxes and all
	// ground-truth boxes) instead of only the largest component's. Choe et al.'s
	// MaxBoxAccV2 sets it.
	MultiContour bool
	// ImageH, ImageW, when both positive, are the size of the images the boxes
	// refer to: maps of another size are first resized to it with
	// heatmap.ResizeBilinear (bilinear, half-pixel centres, edge clamp: OpenCV
	// cv2.resize INTER_LINEAR). wsolevaluation's inference resizes with
	// INTER_CUBIC instead. When zero, maps must already be at image resolution.
	ImageH, ImageW int
	// WSOLCompat reproduces wsolevaluation's box extraction exactly (uint8
	// quantisation, cv2.contourArea ranking, hole contours, its box convention);
	// maps must then be in [0, 1]. See BoxesFromMapWSOL. The default is
	// BoxesFromMap.
	WSOLCompat bool
}

// DeltaResult is the box accuracy at one IoU threshold δ.
type DeltaResult struct {
	Delta     float64
	MaxBoxAcc float64   // max over τ of Curve, percent
	BestTau   float64   // first τ reaching MaxBoxAcc
	Top1Loc   float64   // percent of class-known images with the right class and IoU ≥ δ at BestTau
	Curve     []float64 // BoxAcc(τ_k, δ) = 100·|{images: best IoU at τ_k ≥ δ}| / images
}

// BoxResult summarises a BoxAccumulator (Choe et al. 2020, Sec. 4.1).
type BoxResult struct {
	Images     int       // images accumulated
	Top1Images int       // images whose class correctness was given
	Taus       []float64 // τ_k = k·TauStep
	// MaxBoxAcc = max_τ BoxAcc(τ, 0.5), percent ("GT-known Loc" at the best τ).
	MaxBoxAcc float64
	// MaxBoxAccV2 = mean over IoUThresholds of max_τ BoxAcc(τ, δ), percent.
	MaxBoxAccV2 float64
	BestTau     float64 // the τ of MaxBoxAcc
	// Top1Loc is the percent of class-known images classified right and with
	// IoU ≥ 0.5 at BestTau; 0 when Top1Images is 0.
	Top1Loc  float64
	PerDelta []DeltaResult // one per IoUThresholds entry, in order
}

// BoxAccumulator computes MaxBoxAcc and MaxBoxAccV2 over a stream of batches.
// For each image and each τ it extracts boxes (BoxesFromMap, or
// BoxesFromMapWSOL with WSOLCompat), takes the best IoU against the image's
// ground-truth boxes, and counts the image correct at (τ, δ) when that IoU ≥ δ.
type BoxAccumulator struct {
	cfg        BoxConfig
	taus       []float64
	deltas     []float64 // cfg.IoUThresholds, plus 0.5 last if absent
	half       int       // index of δ = 0.5 in deltas
	nCorrect   [][]int64 // [δ][τ]
	nTop1      [][]int64 // [δ][τ], class-known and right class
	images     int
	top1Images int
}

// thresholdGrid returns numpy's arange(0, 1, step): ⌈1/step⌉ values k·step.
func thresholdGrid(step float64) []float64 {
	n := int(math.Ceil(1 / step))
	taus := make([]float64, n)
	for k := range taus {
		taus[k] = float64(k) * step
	}
	return taus
}

// NewBoxAccumulator validates cfg and returns an empty accumulator.
func NewBoxAccumulator(cfg BoxConfig) (*BoxAccumulator, error) {
	if cfg.TauStep == 0 {
		cfg.TauStep = 0.01
	}
	if !(cfg.TauStep > 0 && cfg.TauStep <= 1) {
		return nil, fmt.Errorf("metrics.NewBoxAccumulator: TauStep %v must be in (0, 1] (0.01 default, 0.001 for the exact protocol)", cfg.TauStep)
	}
	if len(cfg.IoUThresholds) == 0 {
		cfg.IoUThresholds = []float64{0.3, 0.5, 0.7}
	}
	cfg.IoUThresholds = append([]float64(nil), cfg.IoUThresholds...)
	a := &BoxAccumulator{cfg: cfg, taus: thresholdGrid(cfg.TauStep), half: -1}
	for i, d := range cfg.IoUThresholds {
		if !(d > 0 && d <= 1) {
			return nil, fmt.Errorf("metrics.NewBoxAccumulator: IoUThresholds[%d] = %v must be in (0, 1]", i, d)
		}
		if d == 0.5 {
			a.half = i
		}
	}
	a.deltas = cfg.IoUThresholds
	if a.half < 0 {
		a.deltas = append(append([]float64(nil), a.deltas...), 0.5)
		a.half = len(a.deltas) - 1
	}
	if (cfg.ImageH > 0) != (cfg.ImageW > 0) || cfg.ImageH < 0 || cfg.ImageW < 0 {
		return nil, fmt.Errorf("metrics.NewBoxAccumulator: ImageH=%d, ImageW=%d: set both positive to resize maps, or both 0", cfg.ImageH, cfg.ImageW)
	}
	for range a.deltas {
		a.nCorrect = append(a.nCorrect, make([]int64, len(a.taus)))
		a.nTop1 = append(a.nTop1, make([]int64, len(a.taus)))
	}
	return a, nil
}

// Update adds a batch: maps[i] is image i's map, gtBoxes[i] its ground-truth
// boxes (at least one, in image pixels, half-open), correctClass[i] whether the
// classifier's top-1 class was right (for Top-1 Loc; pass nil if unknown).
// Boxes may extend past the image (IoU uses them as given) but must overlap it.
// Maps must be finite; a constant (e.g. all-zero) map has no foreground at any
// τ and counts as a miss (with WSOLCompat, wsolevaluation's (0,0,0,0) box is
// scored instead). An empty batch is a no-op; on error nothing is accumulated.
func (a *BoxAccumulator) Update(maps []*heatmap.Map, gtBoxes [][]image.Rectangle, correctClass []bool) error {
	if len(gtBoxes) != len(maps) {
		return fmt.Errorf("metrics.BoxAccumulator.Update: %d maps but %d ground-truth box lists; pass one list per map", len(maps), len(gtBoxes))
	}
	if correctClass != nil && len(correctClass) != len(maps) {
		return fmt.Errorf("metrics.BoxAccumulator.Update: %d maps but %d correctClass flags; pass one per map, or nil", len(maps), len(correctClass))
	}
	curves := make([][]float64, len(maps))
	for i, m := range maps {
		if err := checkMap(i, m); err != nil {
			return fmt.Errorf("metrics.BoxAccumulator.Update: %w", err)
		}
		if a.cfg.ImageH > 0 && (m.H != a.cfg.ImageH || m.W != a.cfg.ImageW) {
			m = heatmap.ResizeBilinear(m, a.cfg.ImageH, a.cfg.ImageW)
		}
		if err := checkBoxes(i, gtBoxes[i], m.H, m.W); err != nil {
			return fmt.Errorf("metrics.BoxAccumulator.Update: %w", err)
		}
		c, err := a.iouCurve(m, gtBoxes[i])
		if err != nil {
			return fmt.Errorf("metrics.BoxAccumulator.Update: image %d: %w", i, err)
		}
		curves[i] = c
	}
	for i, ious := range curves {
		known := correctClass != nil
		right := known && correctClass[i]
		for d, delta := range a.deltas {
			for k, v := range ious {
				if v >= delta {
					a.nCorrect[d][k]++
					if right {
						a.nTop1[d][k]++
					}
				}
			}
		}
		a.images++
		if known {
			a.top1Images++
		}
	}
	return nil
}

// iouCurve returns the best IoU against gt at every τ.
func (a *BoxAccumulator) iouCurve(m *heatmap.Map, gt []image.Rectangle) ([]float64, error) {
	ious := make([]float64, len(a.taus))
	if !a.cfg.WSOLCompat {
		sweepBoxes(normalizedLevels(m), m.H, m.W, a.taus, a.cfg.MultiContour, func(k int, boxes []image.Rectangle) {
			ious[k] = bestIoU(boxes, gt)
		})
		return ious, nil
	}
	q, maxQ, err := wsolQuantize(m)
	if err != nil {
		return nil, err
	}
	prevCut, prev := math.MinInt, 0.0
	for k, tau := range a.taus {
		if cut := int(math.Floor(tau * float64(maxQ))); cut != prevCut {
			prevCut = cut
			prev = bestIoU(wsolBoxesAtCut(q, m.H, m.W, cut, a.cfg.MultiContour), gt)
		}
		ious[k] = prev
	}
	return ious, nil
}

// Summary returns the accuracies so far. It is an error to ask before any image.
func (a *BoxAccumulator) Summary() (BoxResult, error) {
	if a.images == 0 {
		return BoxResult{}, fmt.Errorf("metrics.BoxAccumulator.Summary: no images accumulated; call Update first")
	}
	res := BoxResult{Images: a.images, Top1Images: a.top1Images, Taus: append([]float64(nil), a.taus...)}
	all := make([]DeltaResult, len(a.deltas))
	for d, delta := range a.deltas {
		r := DeltaResult{Delta: delta, Curve: make([]float64, len(a.taus))}
		best := 0
		for k, n := range a.nCorrect[d] {
			r.Curve[k] = 100 * float64(n) / float64(a.images)
			if n > a.nCorrect[d][best] {
				best = k
			}
		}
		r.MaxBoxAcc, r.BestTau = r.Curve[best], a.taus[best]
		if a.top1Images > 0 {
			r.Top1Loc = 100 * float64(a.nTop1[d][best]) / float64(a.top1Images)
		}
		all[d] = r
	}
	res.PerDelta = all[:len(a.cfg.IoUThresholds)]
	for _, r := range res.PerDelta {
		res.MaxBoxAccV2 += r.MaxBoxAcc / float64(len(res.PerDelta))
	}
	h := all[a.half]
	res.MaxBoxAcc, res.BestTau, res.Top1Loc = h.MaxBoxAcc, h.BestTau, h.Top1Loc
	return res, nil
}
