package datasets

import (
	"fmt"
	"math"
)

// CanvasConfig configures FashionMNISTCanvas.
type CanvasConfig struct {
	// Size is the canvas height and width in pixels, in [16, 4096].
	Size int
	// MinScale and MaxScale bound the side of the pasted item (the whole 28×28 source
	// square after resizing) as a fraction of Size: 0 < MinScale ≤ MaxScale ≤ 1, and
	// MinScale·Size must be at least 8 pixels.
	MinScale, MaxScale float64
	// Clutter in [0,1] as in SyntheticConfig.
	Clutter float64
	// Color tints the background and the item with random colours; false keeps the
	// canvas grey (grey replicated to the 3 channels).
	Color bool
	// MaskThreshold: a pixel is an object pixel when the resized item value is
	// greater than MaskThreshold (0, the default, means "nonzero").
	MaskThreshold uint8
	// Seed selects the placement; example i depends only on (Seed, i, item i).
	Seed uint64
}

// DefaultCanvasConfig returns 64×64 colour canvases, items 26 to 58 pixels across
// (scale 0.4 to 0.9), clutter 0.5, mask threshold 0, seed 1.
func DefaultCanvasConfig() CanvasConfig {
	return CanvasConfig{Size: 64, MinScale: 0.4, MaxScale: 0.9, Clutter: 0.5, Color: true, Seed: 1}
}

// Validate returns an error naming the first invalid field of the configuration.
func (cfg CanvasConfig) Validate() error {
	if cfg.Size < 16 || cfg.Size > 4096 {
		return fmt.Errorf("datasets: CanvasConfig.Size = %d, want a value in [16, 4096]", cfg.Size)
	}
	if !(cfg.MinScale > 0 && cfg.MinScale <= cfg.MaxScale && cfg.MaxScale <= 1) {
		return fmt.Errorf("datasets: CanvasConfig scales [%g, %g] invalid, want 0 < MinScale ≤ MaxScale ≤ 1",
			cfg.MinScale, cfg.MaxScale)
	}
	if cfg.MinScale*float64(cfg.Size) < 8 {
		return fmt.Errorf("datasets: CanvasConfig.MinScale·Size = %g·%d is under 8 pixels; raise MinScale or Size",
			cfg.MinScale, cfg.Size)
	}
	if !(cfg.Clutter >= 0 && cfg.Clutter <= 1) {
		return fmt.Errorf("datasets: CanvasConfig.Clutter = %g, want a value in [0, 1]", cfg.Clutter)
	}
	return nil
}

// domainCanvas keeps the canvas generator apart from the synthetic one.
const domainCanvas = 0xca4

// FashionMNISTCanvas pastes item i (a square grey image, row-major, 0 = background,
// e.g. from LoadFashionMNIST) on a cluttered canvas to make example i, with label
// labels[i]. With the PCG generator of (Seed, i) it draws a cluttered background
// (as Synthetic does), a side s uniform in [MinScale, MaxScale]·Size pixels and a
// position with the whole s×s square inside the canvas, resizes the item to s×s by
// bilinear interpolation with half-pixel centres (integer fixed point, 1/256 steps),
// and composites an ink colour c of luma at least 70/255 away from the background
// with alpha a = v/255 for resized value v: p ← (p·(255−a) + c·a)/255. Pixel noise is
// added over everything. Mask holds the pixels with v > MaskThreshold, and Box is their
// tight box. It returns an error for mismatched lengths, a non-square item, or an item
// whose resized mask is empty (naming its index).
func FashionMNISTCanvas(cfg CanvasConfig, images [][]uint8, labels []uint8) ([]Example, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(images) != len(labels) {
		return nil, fmt.Errorf("datasets.FashionMNISTCanvas: %d images but %d labels", len(images), len(labels))
	}
	for i, img := range images {
		side := isqrt(len(img))
		if side == 0 || side*side != len(img) {
			return nil, fmt.Errorf("datasets.FashionMNISTCanvas: item %d has %d pixels, want a non-empty square image",
				i, len(img))
		}
	}
	out := make([]Example, len(images))
	errs := make([]error, len(images))
	parallelFor(len(images), func(i int) {
		out[i] = canvasExample(cfg, i, images[i], int(labels[i]))
		if out[i].Box.Empty() {
			errs[i] = fmt.Errorf("datasets.FashionMNISTCanvas: item %d has no pixel above MaskThreshold = %d "+
				"after resizing; drop it or lower MaskThreshold", i, cfg.MaskThreshold)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func canvasExample(cfg CanvasConfig, i int, item []uint8, label int) Example {
	p := newPRNG(cfg.Seed, domainCanvas, uint64(i))
	size := cfg.Size
	level := int(math.Round(cfg.Clutter * 100))
	r := newRaster(size, size)
	base := background(r, p, level, cfg.Color)

	minSide := int(math.Round(cfg.MinScale * float64(size)))
	maxSide := int(math.Round(cfg.MaxScale * float64(size)))
	s := p.between(minSide, maxSide)
	ox, oy := p.between(0, size-s), p.between(0, size-s)
	ink := contrastColor(p, base, cfg.Color)

	scaled := resizeGray(item, isqrt(len(item)), s)
	mask := make([]bool, size*size)
	for y := range s {
		for x := range s {
			v := int(scaled[y*s+x])
			if v == 0 {
				continue
			}
			r.blend(ox+x, oy+y, ink, v)
			if v > int(cfg.MaskThreshold) {
				mask[(oy+y)*size+ox+x] = true
			}
		}
	}
	addNoise(r, p, level, cfg.Color)
	return Example{
		Image: r.floats(), H: size, W: size, Label: label,
		Box: MaskBox(mask, size, size), Mask: mask,
	}
}

// resizeGray resizes a side×side grey image to s×s with bilinear interpolation and
// half-pixel centres (source coordinate (i + ½)·side/s − ½, clamped to the image),
// in fixed point with 8 fractional bits, rounding to nearest.
func resizeGray(src []uint8, side, s int) []uint8 {
	out := make([]uint8, s*s)
	coord := func(i int) (i0, i1, f int) {
		// ((2i+1)·side·256/(2s)) − 128, in 1/256 source pixels.
		c := (2*i+1)*side*256/(2*s) - 128
		c = min(max(c, 0), (side-1)*256)
		i0, f = c/256, c%256
		return i0, min(i0+1, side-1), f
	}
	for y := range s {
		y0, y1, fy := coord(y)
		for x := range s {
			x0, x1, fx := coord(x)
			top := int(src[y0*side+x0])*(256-fx) + int(src[y0*side+x1])*fx
			bot := int(src[y1*side+x0])*(256-fx) + int(src[y1*side+x1])*fx
			out[y*s+x] = uint8((top*(256-fy) + bot*fy + 1<<15) >> 16)
		}
	}
	return out
}

// isqrt returns ⌊√n⌋ for n ≥ 0.
func isqrt(n int) int {
	r := int(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
