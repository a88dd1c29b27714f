package metrics

import (
	"fmt"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// ScoreFn returns the model's target score for each of n images, given as
// float32 NHWC (len(images) = n·h·w·c, image i starting at i·h·w·c). The score
// is whatever the metric should follow: a softmax probability for Average Drop
// and RISE, the raw logit to match pytorch-grad-cam's ClassifierOutputTarget.
// A ScoreFn is where GoMLX (or any model) enters; this package never imports it.
type ScoreFn func(images []float32, n, h, w, c int) ([]float32, error)

// Batch is n images in float32 NHWC layout, in the model's input normalisation.
type Batch struct {
	Pixels     []float32
	N, H, W, C int
	// Index, when set, holds each image's position in the dataset (N values, ≥ 0).
	// ROAD seeds image i's noise with Index[i] instead of its running count, so an
	// evaluation split into shards and merged (ROADAccumulator.Merge) draws the same
	// noise as a single pass. The other metrics ignore it.
	Index []int
}

// image returns image i's H·W·C values.
func (b Batch) image(i int) []float32 {
	n := b.H * b.W * b.C
	return b.Pixels[i*n : (i+1)*n]
}

// empty reports a batch of no images with no maps: Updates treat it as a no-op.
func (b Batch) empty(maps []*heatmap.Map) bool {
	return b.N == 0 && len(b.Pixels) == 0 && len(maps) == 0
}

// check validates the batch and one finite H×W map per image.
func (b Batch) check(maps []*heatmap.Map) error {
	if b.N <= 0 || b.H <= 0 || b.W <= 0 || b.C <= 0 {
		return fmt.Errorf("batch shape N=%d H=%d W=%d C=%d: all must be positive (an empty batch, N = 0 with no pixels and no maps, is accepted as a no-op)", b.N, b.H, b.W, b.C)
	}
	if len(b.Pixels) != b.N*b.H*b.W*b.C {
		return fmt.Errorf("batch holds %d values, want N·H·W·C = %d·%d·%d·%d = %d (NHWC)", len(b.Pixels), b.N, b.H, b.W, b.C, b.N*b.H*b.W*b.C)
	}
	if b.Index != nil && len(b.Index) != b.N {
		return fmt.Errorf("batch has %d Index values for %d images; give one per image, or none", len(b.Index), b.N)
	}
	for i, g := range b.Index {
		if g < 0 {
			return fmt.Errorf("batch Index[%d] = %d is negative; use the image's position in the dataset", i, g)
		}
	}
	if len(maps) != b.N {
		return fmt.Errorf("%d maps for %d images; pass one map per image", len(maps), b.N)
	}
	for i, m := range maps {
		if err := checkMap(i, m); err != nil {
			return err
		}
		if m.H != b.H || m.W != b.W {
			return fmt.Errorf("image %d: map is %dx%d but the image is %dx%d; resize the map first (heatmap.ResizeBilinear or heatmap.PostProcess)", i, m.H, m.W, b.H, b.W)
		}
	}
	return nil
}

// scorer calls a ScoreFn on generated images, at most batch at a time.
type scorer struct {
	fn         ScoreFn
	h, w, c    int
	batch      int
	scoreCalls int
}

// score fills count images with fill(j, dst) and returns their scores.
func (s *scorer) score(count int, fill func(j int, dst []float32) error) ([]float64, error) {
	size := s.h * s.w * s.c
	out := make([]float64, 0, count)
	buf := make([]float32, min(s.batch, count)*size)
	for start := 0; start < count; start += s.batch {
		nb := min(s.batch, count-start)
		for j := 0; j < nb; j++ {
			if err := fill(start+j, buf[j*size:(j+1)*size]); err != nil {
				return nil, err
			}
		}
		got, err := s.fn(buf[:nb*size], nb, s.h, s.w, s.c)
		s.scoreCalls++
		if err != nil {
			return nil, fmt.Errorf("ScoreFn failed on %d images of %dx%dx%d: %w", nb, s.h, s.w, s.c, err)
		}
		if len(got) != nb {
			return nil, fmt.Errorf("ScoreFn returned %d scores for %d images; it must return one target score per image", len(got), nb)
		}
		for j, v := range got {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("ScoreFn returned %v for image %d of a call; scores must be finite", v, j)
			}
			out = append(out, float64(v))
		}
	}
	return out, nil
}

// defaultBatch is the number of images per ScoreFn call when a config leaves it 0.
const defaultBatch = 32

func batchSize(n int) (int, error) {
	switch {
	case n == 0:
		return defaultBatch, nil
	case n < 0:
		return 0, fmt.Errorf("BatchSize %d is negative; use 0 for the default (%d) or a positive count", n, defaultBatch)
	}
	return n, nil
}
