package datasets

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// SyntheticConfig configures Synthetic.
type SyntheticConfig struct {
	// Size is the image height and width in pixels, in [16, 4096].
	Size int
	// NumClasses is the number of shape classes used, in [1, MaxSyntheticClasses]; the
	// classes are the first NumClasses of SyntheticClassNames(MaxSyntheticClasses).
	NumClasses int
	// MinScale and MaxScale bound the object extent (the side of the square around
	// the shape) as a fraction of Size: 0 < MinScale ≤ MaxScale ≤ 1, and MinScale·Size
	// must be at least 6 pixels.
	MinScale, MaxScale float64
	// Clutter in [0,1] scales the background noise, gradient, and the number and
	// contrast of distractor blobs and lines; 0 gives a flat background.
	Clutter float64
	// Seed selects the dataset; example i depends only on (Seed, i).
	Seed uint64
}

// DefaultSyntheticConfig returns 64×64 images of the 6 classes square, disc, triangle,
// cross, ring and striped-bar, objects 16 to 35 pixels across, clutter 0.5, seed 1.
func DefaultSyntheticConfig() SyntheticConfig {
	return SyntheticConfig{Size: 64, NumClasses: 6, MinScale: 0.25, MaxScale: 0.55, Clutter: 0.5, Seed: 1}
}

// SyntheticClassNames returns the names of the first numClasses synthetic classes, in
// label order: square, disc, triangle, cross, ring, striped-bar, diamond, frame.
// numClasses is clamped to [0, MaxSyntheticClasses], so out-of-range values give
// nil or all the names.
func SyntheticClassNames(numClasses int) []string {
	n := min(max(numClasses, 0), MaxSyntheticClasses)
	if n == 0 {
		return nil
	}
	return append([]string(nil), shapeNames[:n]...)
}

// Validate returns an error naming the first invalid field of the configuration.
func (cfg SyntheticConfig) Validate() error {
	if cfg.Size < 16 || cfg.Size > 4096 {
		return fmt.Errorf("datasets: SyntheticConfig.Size = %d, want a value in [16, 4096]", cfg.Size)
	}
	if cfg.NumClasses < 1 || cfg.NumClasses > MaxSyntheticClasses {
		return fmt.Errorf("datasets: SyntheticConfig.NumClasses = %d, want a value in [1, %d]",
			cfg.NumClasses, MaxSyntheticClasses)
	}
	if !(cfg.MinScale > 0 && cfg.MinScale <= cfg.MaxScale && cfg.MaxScale <= 1) {
		return fmt.Errorf("datasets: SyntheticConfig scales [%g, %g] invalid, want 0 < MinScale ≤ MaxScale ≤ 1",
			cfg.MinScale, cfg.MaxScale)
	}
	if cfg.MinScale*float64(cfg.Size) < 6 {
		return fmt.Errorf("datasets: SyntheticConfig.MinScale·Size = %g·%d is under 6 pixels; "+
			"raise MinScale or Size so the smallest object is at least 6 pixels across", cfg.MinScale, cfg.Size)
	}
	if !(cfg.Clutter >= 0 && cfg.Clutter <= 1) {
		return fmt.Errorf("datasets: SyntheticConfig.Clutter = %g, want a value in [0, 1]", cfg.Clutter)
	}
	return nil
}

// Synthetic returns examples 0..n-1 of the synthetic localization dataset of cfg.
// It is SyntheticRange(cfg, 0, n).
func Synthetic(cfg SyntheticConfig, n int) ([]Example, error) {
	return SyntheticRange(cfg, 0, n)
}

// SyntheticRange returns examples from, from+1, ..., from+n-1. Example i depends only
// on (cfg, i), so disjoint ranges of one seed make disjoint train and test splits.
//
// Example i has label i mod NumClasses (so classes are balanced) and is drawn with
// the PCG generator of (Seed, i): a cluttered background (see Clutter), one object of
// its class with extent uniform in [MinScale, MaxScale]·Size (1/8-pixel steps),
// uniform position with the whole object inside the image, a random orientation
// where the shape has one, a random colour whose luma differs from the background
// grey by at least 70/255, and a random texture (solid, speckled or a linear shading;
// the bar is always striped), then pixel noise over everything. Mask is the set of
// object pixels (pixel centres inside the shape) and Box its tight box.
func SyntheticRange(cfg SyntheticConfig, from, n int) ([]Example, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n < 0 || from < 0 {
		return nil, fmt.Errorf("datasets.Synthetic: from = %d, n = %d; want both ≥ 0", from, n)
	}
	out := make([]Example, n)
	parallelFor(n, func(i int) { out[i] = syntheticExample(cfg, from+i) })
	return out, nil
}

// parallelFor runs fn(0..n-1) on up to GOMAXPROCS goroutines.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// domainSynthetic keeps the synthetic generator apart from the canvas one.
const domainSynthetic = 0x5e7

// Object textures (the bar is always striped).
const (
	textureSolid = iota
	textureSpeckle
	textureShade
	numTextures
)

func syntheticExample(cfg SyntheticConfig, i int) Example {
	p := newPRNG(cfg.Seed, domainSynthetic, uint64(i))
	size := cfg.Size
	level := int(math.Round(cfg.Clutter * 100))
	label := i % cfg.NumClasses

	r := newRaster(size, size)
	base := background(r, p, level, true)

	// Extents in 1/sub pixel; products only (no add), so no fused multiply-add.
	minExt := int(math.Round(cfg.MinScale * float64(size) * sub))
	maxExt := int(math.Round(cfg.MaxScale * float64(size) * sub))
	R := p.between(minExt, maxExt) / 2
	cx := p.between(R, size*sub-R)
	cy := p.between(R, size*sub-R)
	o := p.intn(4)
	col := contrastColor(p, base, true)
	tex := p.intn(numTextures)
	shade, axisX := p.signed(30), p.coin()
	var col2 rgb // the bar's second stripe colour, between col and the background
	for k := range col2 {
		col2[k] = base[k] + (col[k]-base[k])*55/100
	}

	mask := make([]bool, size*size)
	x0, x1 := max(0, (cx-R)/sub-1), min(size-1, (cx+R)/sub+1)
	y0, y1 := max(0, (cy-R)/sub-1), min(size-1, (cy+R)/sub+1)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			dx, dy := int64(x*sub+sub/2-cx), int64(y*sub+sub/2-cy)
			in, stripe := shapeAt(label, dx, dy, int64(R), o)
			if !in {
				continue
			}
			mask[y*size+x] = true
			c := col
			switch {
			case label == classBar:
				if stripe {
					c = col2
				}
			case tex == textureSpeckle:
				c = c.add(p.signed(25))
			case tex == textureShade:
				u := dy
				if axisX {
					u = dx
				}
				c = c.add(shade * int(u) / max(R, 1))
			}
			r.set(x, y, c)
		}
	}
	addNoise(r, p, level, true)
	return Example{
		Image: r.floats(), H: size, W: size, Label: label,
		Box: MaskBox(mask, size, size), Mask: mask,
	}
}
