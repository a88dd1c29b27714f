package metrics

import (
	"fmt"

	"github.com/camviz/camviz/camviz/heatmap"
)

// ConfidenceConfig configures a ConfidenceAccumulator.
type ConfidenceConfig struct {
	BatchSize int // images per ScoreFn call; 0 means 32
}

// ConfidenceResult holds the confidence-change metrics of Chattopadhyay et al.
type ConfidenceResult struct {
	Images int
	// AverageDrop = (100/N) Σ_i max(0, Y_i − O_i) / Y_i, percent (lower is better).
	AverageDrop float64
	// IncreaseInConfidence = (100/N) Σ_i [O_i > Y_i], percent (higher is better).
	IncreaseInConfidence float64
	// MeanDrop = (1/N) Σ_i max(0, Y_i − O_i): pytorch-grad-cam's
	// DropInConfidence, which does not divide by Y, averaged.
	MeanDrop float64
}

// ConfidenceAccumulator computes Average Drop and Increase in Confidence
// (Chattopadhyay et al., "Grad-CAM++", WACV 2018, Sec. 6.1): Y_i is the score of
// image i and O_i the score of the explanation map times the image,
//
//	O_i = score(x_i ⊙ M_i),  (x ⊙ M)(y, x, c) = x(y, x, c)·M(y, x)
//
// the map broadcast over channels, as pytorch-grad-cam's
// CamMultImageConfidenceChange. Maps should be the [0, 1] finals
// (heatmap.PostProcess) at image resolution. Scores must be positive (Average
// Drop divides by Y): use softmax probabilities, as the paper does.
type ConfidenceAccumulator struct {
	score         ScoreFn
	batch         int
	n             int
	nInc          int64
	sumDrop, sumD ExactSum // exact, so that Merge equals a single pass
}

// NewConfidenceAccumulator returns an empty accumulator scoring with score.
func NewConfidenceAccumulator(score ScoreFn, cfg ConfidenceConfig) (*ConfidenceAccumulator, error) {
	if score == nil {
		return nil, fmt.Errorf("metrics.NewConfidenceAccumulator: score is nil; pass a ScoreFn that runs the model")
	}
	bs, err := batchSize(cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("metrics.NewConfidenceAccumulator: %w", err)
	}
	return &ConfidenceAccumulator{score: score, batch: bs}, nil
}

// Update scores a batch and its maps. An empty batch is a no-op; on error
// nothing is accumulated.
func (a *ConfidenceAccumulator) Update(b Batch, maps []*heatmap.Map) error {
	if b.empty(maps) {
		return nil
	}
	if err := b.check(maps); err != nil {
		return fmt.Errorf("metrics.ConfidenceAccumulator.Update: %w", err)
	}
	s := &scorer{fn: a.score, h: b.H, w: b.W, c: b.C, batch: a.batch}
	scores, err := s.score(2*b.N, func(j int, dst []float32) error {
		if j < b.N {
			copy(dst, b.image(j))
			return nil
		}
		multiplyByMap(dst, b.image(j-b.N), maps[j-b.N], b.C)
		return nil
	})
	if err != nil {
		return fmt.Errorf("metrics.ConfidenceAccumulator.Update: %w", err)
	}
	for i := 0; i < b.N; i++ {
		if scores[i] <= 0 {
			return fmt.Errorf("metrics.ConfidenceAccumulator.Update: image %d has score %v ≤ 0; Average Drop divides by the score, so use a positive one (softmax probability)", i, scores[i])
		}
	}
	for i := 0; i < b.N; i++ {
		y, o := scores[i], scores[b.N+i]
		drop := max(0, y-o)
		a.sumDrop.Add(drop / y)
		a.sumD.Add(drop)
		if o > y {
			a.nInc++
		}
	}
	a.n += b.N
	return nil
}

// multiplyByMap writes img ⊙ m (m broadcast over the c channels) to dst.
func multiplyByMap(dst, img []float32, m *heatmap.Map, c int) {
	for p, v := range m.Data {
		for ch := 0; ch < c; ch++ {
			dst[p*c+ch] = img[p*c+ch] * v
		}
	}
}

// Summary returns the metrics so far. It is an error to ask before any image.
func (a *ConfidenceAccumulator) Summary() (ConfidenceResult, error) {
	if a.n == 0 {
		return ConfidenceResult{}, fmt.Errorf("metrics.ConfidenceAccumulator.Summary: no images accumulated; call Update first")
	}
	n := float64(a.n)
	return ConfidenceResult{Images: a.n, AverageDrop: 100 * a.sumDrop.Float64() / n, IncreaseInConfidence: 100 * float64(a.nInc) / n, MeanDrop: a.sumD.Float64() / n}, nil
}
