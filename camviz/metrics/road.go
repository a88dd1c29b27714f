package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/camviz/camviz/camviz/heatmap"
)

// percentileLinear is numpy.percentile(v, p) with the default "linear" method
// on the sorted values: rank = p/100·(n−1), interpolated with numpy's _lerp.
func percentileLinear(sorted []float64, p float64) float64 {
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(sorted)-1)
	t := rank - float64(lo)
	a, b := sorted[lo], sorted[hi]
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}

// ROADKeepMask returns which pixels ROAD keeps at a percentile, with
// pytorch-grad-cam's rules (metrics/perturbation_confidence.py):
//
//	most relevant first (MoRF):  keep ⇔ m < percentile(m, p)
//	least relevant first (LeRF): keep ⇔ (1 − m) < percentile(1 − m, p)
//
// so MoRF at p removes about the (100 − p)% highest pixels and LeRF at p the
// (100 − p)% lowest. A map with more than p% of its pixels at its minimum
// (MoRF; maximum for LeRF), e.g. a constant or all-zero map, keeps nothing.
// 1 − m is formed in float32 as torch does; the percentile is numpy's
// "linear" one, computed in float64.
func ROADKeepMask(m *heatmap.Map, percentile float64, mostRelevantFirst bool) ([]bool, error) {
	if err := checkMap(0, m); err != nil {
		return nil, fmt.Errorf("metrics.ROADKeepMask: %w", err)
	}
	if !(percentile >= 0 && percentile <= 100) {
		return nil, fmt.Errorf("metrics.ROADKeepMask: percentile %v must be in [0, 100]", percentile)
	}
	return roadKeep(m, percentile, mostRelevantFirst), nil
}

func roadKeep(m *heatmap.Map, percentile float64, morf bool) []bool {
	v := make([]float64, len(m.Data))
	for i, x := range m.Data {
		if !morf {
			x = 1 - x
		}
		v[i] = float64(x)
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	thr := percentileLinear(sorted, percentile)
	keep := make([]bool, len(v))
	for i, x := range v {
		keep[i] = x < thr
	}
	return keep
}

// ROADConfig configures a ROADAccumulator.
type ROADConfig struct {
	// Percentiles p of ROADKeepMask; empty means {10, 20, …, 90}
	// (pytorch-grad-cam's ROAD…Average and ROADCombined).
	Percentiles []float64
	// Noise is the standard deviation of the imputer's noise; 0 means 0.01
	// (pytorch-grad-cam), a negative value disables it.
	Noise float64
	// Seed makes the noise repeatable: image g at percentile index k and order o
	// draws from its own PCG stream, so results do not depend on how the data is
	// split into batches. g is Batch.Index[i] when the batch gives it (the image's
	// position in the dataset, so that shards merged with Merge equal one pass),
	// else the count of images before it over all Updates.
	Seed uint64
	// BatchSize is the number of images per ScoreFn call; 0 means 32.
	BatchSize int
}

// ROADResult holds the mean ROAD score changes, score(imputed) − score(image).
type ROADResult struct {
	Images      int
	Percentiles []float64
	MoRF, LeRF  []float64 // mean change per percentile (MoRF: lower is better; LeRF: higher)
	MoRFAverage float64   // mean of MoRF over percentiles
	LeRFAverage float64   // mean of LeRF over percentiles
	// Combined = (LeRFAverage − MoRFAverage)/2, pytorch-grad-cam's ROADCombined
	// (higher is better).
	Combined float64
	// FullyRemoved counts (image, percentile, order) cases where the mask kept no
	// pixel and the image became the zero baseline (see NoisyLinearImpute).
	FullyRemoved int
}

// ROADAccumulator computes ROAD (Rong et al., "A Consistent and Efficient
// Evaluation Strategy for Attribution Methods", ICML 2022) as pytorch-grad-cam's
// ROADMostRelevantFirstAverage, ROADLeastRelevantFirstAverage and ROADCombined:
// for each percentile p and order, the removed pixels (ROADKeepMask) are filled
// by NoisyLinearImpute and the change score(imputed) − score(image) is
// averaged. Maps must be finite and at image resolution (pytorch-grad-cam
// passes the [0, 1] finals). Not reproduced from pytorch-grad-cam: its
// percentile "auto" (Otsu) mode, and a quirk of its imputer that replaces the
// mask by the image's grey levels when the image is 3 pixels high.
type ROADAccumulator struct {
	score        ScoreFn
	cfg          ROADConfig
	n            int
	sumM, sumL   []ExactSum // exact, so that Merge equals a single pass
	fullyRemoved int
}

// NewROADAccumulator validates cfg and returns an empty accumulator.
func NewROADAccumulator(score ScoreFn, cfg ROADConfig) (*ROADAccumulator, error) {
	if score == nil {
		return nil, fmt.Errorf("metrics.NewROADAccumulator: score is nil; pass a ScoreFn that runs the model")
	}
	if len(cfg.Percentiles) == 0 {
		cfg.Percentiles = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}
	}
	cfg.Percentiles = slices.Clone(cfg.Percentiles)
	for i, p := range cfg.Percentiles {
		if !(p >= 0 && p <= 100) {
			return nil, fmt.Errorf("metrics.NewROADAccumulator: Percentiles[%d] = %v must be in [0, 100]", i, p)
		}
	}
	switch {
	case cfg.Noise == 0:
		cfg.Noise = 0.01
	case cfg.Noise < 0:
		cfg.Noise = 0
	case math.IsNaN(cfg.Noise) || math.IsInf(cfg.Noise, 0):
		return nil, fmt.Errorf("metrics.NewROADAccumulator: Noise %v is not finite", cfg.Noise)
	}
	var err error
	if cfg.BatchSize, err = batchSize(cfg.BatchSize); err != nil {
		return nil, fmt.Errorf("metrics.NewROADAccumulator: %w", err)
	}
	np := len(cfg.Percentiles)
	return &ROADAccumulator{score: score, cfg: cfg, sumM: make([]ExactSum, np), sumL: make([]ExactSum, np)}, nil
}

// splitmix64 scrambles a stream number so that nearby streams are unrelated.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Update scores a batch: each image, then each (percentile, order) imputation.
// An empty batch is a no-op; on error nothing is accumulated.
func (a *ROADAccumulator) Update(b Batch, maps []*heatmap.Map) error {
	if b.empty(maps) {
		return nil
	}
	if err := b.check(maps); err != nil {
		return fmt.Errorf("metrics.ROADAccumulator.Update: %w", err)
	}
	np := len(a.cfg.Percentiles)
	per := 1 + 2*np // original, then (p0 MoRF, p0 LeRF, p1 MoRF, …)
	full := 0
	s := &scorer{fn: a.score, h: b.H, w: b.W, c: b.C, batch: a.cfg.BatchSize}
	scores, err := s.score(b.N*per, func(j int, dst []float32) error {
		img, r := j/per, j%per
		if r == 0 {
			copy(dst, b.image(img))
			return nil
		}
		k, lerf := (r-1)/2, (r-1)%2
		keep := roadKeep(maps[img], a.cfg.Percentiles[k], lerf == 0)
		if !slices.Contains(keep, true) {
			full++
		}
		g := uint64(a.n + img)
		if b.Index != nil {
			g = uint64(b.Index[img])
		}
		rng := rand.New(rand.NewPCG(a.cfg.Seed, splitmix64(g<<32|uint64(k)<<1|uint64(lerf))))
		out, err := NoisyLinearImpute(b.image(img), b.H, b.W, b.C, keep, a.cfg.Noise, rng)
		if err != nil {
			return fmt.Errorf("image %d, percentile %v: %w", img, a.cfg.Percentiles[k], err)
		}
		copy(dst, out)
		return nil
	})
	if err != nil {
		return fmt.Errorf("metrics.ROADAccumulator.Update: %w", err)
	}
	for img := 0; img < b.N; img++ {
		base := scores[img*per]
		for k := 0; k < np; k++ {
			a.sumM[k].Add(scores[img*per+1+2*k] - base)
			a.sumL[k].Add(scores[img*per+2+2*k] - base)
		}
	}
	a.n += b.N
	a.fullyRemoved += full
	return nil
}

// Summary returns the mean changes. It is an error to ask before any image.
func (a *ROADAccumulator) Summary() (ROADResult, error) {
	if a.n == 0 {
		return ROADResult{}, fmt.Errorf("metrics.ROADAccumulator.Summary: no images accumulated; call Update first")
	}
	np := len(a.cfg.Percentiles)
	r := ROADResult{Images: a.n, Percentiles: slices.Clone(a.cfg.Percentiles), FullyRemoved: a.fullyRemoved,
		MoRF: make([]float64, np), LeRF: make([]float64, np)}
	for k := range np {
		r.MoRF[k] = a.sumM[k].Float64() / float64(a.n)
		r.LeRF[k] = a.sumL[k].Float64() / float64(a.n)
		r.MoRFAverage += r.MoRF[k] / float64(np)
		r.LeRFAverage += r.LeRF[k] / float64(np)
	}
	r.Combined = (r.LeRFAverage - r.MoRFAverage) / 2
	return r, nil
}
