package camviz

import (
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/graph"
)

// Test-time augmentation of pytorch-grad-cam's aug_smooth (ttach
// Compose([HorizontalFlip(), Multiply(factors=[0.9, 1, 1.1])])): 6 passes, in ttach's
// order, flip ∈ {no, yes} (outer) × factor ∈ {0.9, 1, 1.1} (inner).
const augPasses = 6

var augFactors = [3]float64{0.9, 1, 1.1}

// augIdentityPass is the pass without flip and with factor 1: the images themselves.
const augIdentityPass = 1

func augFlipped(pass int) bool { return pass >= 3 }

// augmentImages returns the 6 augmented copies of images stacked along the batch axis,
// pass-major: row p·batch + b is example b under pass p. The flip reverses the width
// axis (2 for [batch, H, W, C], 3 for channels-first [batch, C, H, W]); the factor
// multiplies every value, in the images' dtype as torch does.
func augmentImages(images *graph.Node, channelsFirst bool) *graph.Node {
	wAxis := 2
	if channelsFirst {
		wAxis = 3
	}
	flipped := graph.Reverse(images, wAxis)
	parts := make([]*graph.Node, 0, augPasses)
	for _, src := range []*graph.Node{images, flipped} {
		for _, f := range augFactors {
			if f == 1 {
				parts = append(parts, src)
			} else {
				parts = append(parts, graph.MulScalar(src, f))
			}
		}
	}
	return graph.Concatenate(parts, 0)
}

// augAverage averages the 6 passes' final maps of one example as pytorch-grad-cam's
// forward_augmentation_smoothing does: each final map is flipped back (for the flipped
// passes) and the 6 are averaged without re-normalising, so the maximum is usually
// below 1.
func augAverage(finals []*heatmap.Map) *heatmap.Map {
	h, w := finals[0].H, finals[0].W
	sum := make([]float64, h*w)
	for p, m := range finals {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sx := x
				if augFlipped(p) {
					sx = w - 1 - x
				}
				sum[y*w+x] += float64(m.Data[y*w+sx])
			}
		}
	}
	out := heatmap.NewMap(h, w)
	for i, s := range sum {
		out.Data[i] = float32(s / float64(len(finals)))
	}
	return out
}
