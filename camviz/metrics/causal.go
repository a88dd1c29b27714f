package metrics

import (
	"fmt"
	"slices"

	"github.com/camviz/camviz/camviz/heatmap"
)

// CausalMode selects the RISE game.
type CausalMode int

const (
	// Deletion starts from the image and replaces the most salient pixels by the
	// baseline first; a faithful map makes the score fall fast (low AUC).
	Deletion CausalMode = iota
	// Insertion starts from the baseline and restores the most salient pixels
	// first; a faithful map makes the score rise fast (high AUC).
	Insertion
)

func (m CausalMode) String() string {
	if m == Insertion {
		return "insertion"
	}
	return "deletion"
}

// Baseline is the image that removed pixels take their values from.
type Baseline int

const (
	// BaselineDefault is RISE's choice: zeros for deletion, blur for insertion.
	BaselineDefault Baseline = iota
	// BaselineZero sets removed pixels to 0 (in the model's input space).
	BaselineZero
	// BaselineBlur uses RISE's blurred image: 11×11 Gaussian, σ = 5, zero padding.
	BaselineBlur
)

// CausalConfig configures a CausalAccumulator.
type CausalConfig struct {
	Mode     CausalMode
	Steps    int      // number of pixel-changing steps; the curve has Steps+1 points. 0 means 100.
	Baseline Baseline // BaselineDefault: zeros for Deletion, blur for Insertion (RISE)
	// BatchSize is the number of images per ScoreFn call; 0 means 32.
	BatchSize int
}

// CausalResult holds the mean deletion or insertion curve and AUC.
type CausalResult struct {
	Mode   CausalMode
	Images int
	AUC    float64   // mean over images of the per-image AUC (their exact sum, rounded once, over Images)
	X      []float64 // i/Steps, the nominal fraction of pixels changed at point i
	Curve  []float64 // mean score at point i
	AUCs   []float64 // per image, in Update order (after Merge: this accumulator's, then the other's)
}

// CausalAccumulator computes the deletion and insertion metrics of Petsiuk et
// al., "RISE: Randomized Input Sampling for Explanation of Black-box Models"
// (BMVC 2018). Pixels are ordered by decreasing map value (ties by raster
// index; RISE's numpy argsort leaves tie order unspecified). At point
// i = 0…Steps the first k_i = ⌊i·H·W/Steps⌋ pixels (all channels) are taken
// from the target image and the others from the start image (deletion: start =
// image, target = baseline; insertion: the reverse), and the image is scored:
//
//	s_i = score(image with the k_i most salient pixels switched)
//	AUC = Σ_i (x_{i+1} − x_i)·(s_i + s_{i+1})/2,  x_i = k_i/(H·W) ∈ [0, 1]
//
// (trapezoid over the fraction of pixels changed). With Steps dividing H·W this
// is RISE's auc(); RISE's default, one row of pixels per step on 224² images,
// is Steps = 224. Maps must be finite and at image resolution.
type CausalAccumulator struct {
	score ScoreFn
	cfg   CausalConfig
	n     int
	sumC  []ExactSum // per curve point; exact, so that Merge equals a single pass
	sumA  ExactSum   // Σ of the per-image AUCs
	aucs  []float64
}

// NewCausalAccumulator validates cfg and returns an empty accumulator.
func NewCausalAccumulator(score ScoreFn, cfg CausalConfig) (*CausalAccumulator, error) {
	if score == nil {
		return nil, fmt.Errorf("metrics.NewCausalAccumulator: score is nil; pass a ScoreFn that runs the model")
	}
	if cfg.Mode != Deletion && cfg.Mode != Insertion {
		return nil, fmt.Errorf("metrics.NewCausalAccumulator: unknown Mode %d; use Deletion or Insertion", cfg.Mode)
	}
	if cfg.Steps == 0 {
		cfg.Steps = 100
	}
	if cfg.Steps < 0 {
		return nil, fmt.Errorf("metrics.NewCausalAccumulator: Steps %d is negative; use 0 for 100, or a positive count", cfg.Steps)
	}
	if cfg.Baseline == BaselineDefault {
		cfg.Baseline = map[CausalMode]Baseline{Deletion: BaselineZero, Insertion: BaselineBlur}[cfg.Mode]
	}
	if cfg.Baseline != BaselineZero && cfg.Baseline != BaselineBlur {
		return nil, fmt.Errorf("metrics.NewCausalAccumulator: unknown Baseline %d; use BaselineZero or BaselineBlur", cfg.Baseline)
	}
	var err error
	if cfg.BatchSize, err = batchSize(cfg.BatchSize); err != nil {
		return nil, fmt.Errorf("metrics.NewCausalAccumulator: %w", err)
	}
	return &CausalAccumulator{score: score, cfg: cfg, sumC: make([]ExactSum, cfg.Steps+1)}, nil
}

// saliencyOrder returns pixel indices by decreasing value, ties by index.
func saliencyOrder(m *heatmap.Map) []int32 {
	order := make([]int32, len(m.Data))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		va, vb := m.Data[a], m.Data[b]
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	return order
}

// Update runs the game on every image of the batch. An empty batch is a
// no-op; on error nothing is accumulated.
func (a *CausalAccumulator) Update(b Batch, maps []*heatmap.Map) error {
	if b.empty(maps) {
		return nil
	}
	if err := b.check(maps); err != nil {
		return fmt.Errorf("metrics.CausalAccumulator.Update: %w", err)
	}
	hw, steps, c := b.H*b.W, a.cfg.Steps, b.C
	if steps > hw {
		return fmt.Errorf("metrics.CausalAccumulator.Update: Steps %d exceeds the %d pixels of a %dx%d image; use at most H·W steps", steps, hw, b.H, b.W)
	}
	orders := make([][]int32, b.N)
	for i, m := range maps {
		orders[i] = saliencyOrder(m)
	}
	var start, target []float32 // for the image being filled
	cur := -1
	s := &scorer{fn: a.score, h: b.H, w: b.W, c: c, batch: a.cfg.BatchSize}
	scores, err := s.score(b.N*(steps+1), func(j int, dst []float32) error {
		img, i := j/(steps+1), j%(steps+1)
		if img != cur {
			cur = img
			base := make([]float32, hw*c)
			if a.cfg.Baseline == BaselineBlur {
				base = riseBlur(b.image(img), b.H, b.W, c)
			}
			start, target = b.image(img), base
			if a.cfg.Mode == Insertion {
				start, target = base, b.image(img)
			}
		}
		copy(dst, start)
		for _, p := range orders[img][:i*hw/steps] {
			copy(dst[int(p)*c:int(p+1)*c], target[int(p)*c:int(p+1)*c])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("metrics.CausalAccumulator.Update: %w", err)
	}
	for img := 0; img < b.N; img++ {
		curve := scores[img*(steps+1) : (img+1)*(steps+1)]
		auc := 0.0
		for i := 0; i < steps; i++ {
			x0, x1 := float64(i*hw/steps)/float64(hw), float64((i+1)*hw/steps)/float64(hw)
			auc += (x1 - x0) * (curve[i] + curve[i+1]) / 2
		}
		for i, v := range curve {
			a.sumC[i].Add(v)
		}
		a.sumA.Add(auc)
		a.aucs = append(a.aucs, auc)
	}
	a.n += b.N
	return nil
}

// Summary returns the mean curve and AUC. It is an error to ask before any image.
func (a *CausalAccumulator) Summary() (CausalResult, error) {
	if a.n == 0 {
		return CausalResult{}, fmt.Errorf("metrics.CausalAccumulator.Summary: no images accumulated; call Update first")
	}
	r := CausalResult{Mode: a.cfg.Mode, Images: a.n, AUCs: append([]float64(nil), a.aucs...)}
	r.AUC = a.sumA.Float64() / float64(a.n)
	for i, v := range a.sumC {
		r.X = append(r.X, float64(i)/float64(a.cfg.Steps))
		r.Curve = append(r.Curve, v.Float64()/float64(a.n))
	}
	return r, nil
}
