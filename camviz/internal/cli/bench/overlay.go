package bench

import (
	"bytes"
	"fmt"
	"image"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

var goalOverlay = &goal{Limit: 3, AtMost: true}

// texturedImage is a size×size RGB picture with a smooth gradient plus
// deterministic noise of ±5 levels, about a photograph's entropy for the PNG
// encoder (a flat image compresses far better than real pictures do).
func texturedImage(size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	s := uint32(12345)
	for y := range size {
		for x := range size {
			i := img.PixOffset(x, y)
			base := [3]int{x * 255 / size, y * 255 / size, (x + y) * 127 / size}
			for c := range 3 {
				s ^= s << 13
				s ^= s >> 17
				s ^= s << 5
				img.Pix[i+c] = uint8(min(max(base[c]+int(s%11)-5, 0), 255))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// camMap is a size×size map in [0, 1] as Result.Final returns: a 7×7 raw map
// (ResNet's last block) post-processed (ReLU, min-max, bilinear resize).
func camMap(size int) *heatmap.Map {
	raw := heatmap.NewMap(7, 7)
	for y := range 7 {
		for x := range 7 {
			raw.Data[y*7+x] = float32(math.Sin(float64(x)/2) * math.Cos(float64(y)/3))
		}
	}
	return heatmap.PostProcess(raw, size, size)
}

// overlayRow times heatmap.Overlay (Jet, alpha 0.5) of a 224×224 map on a
// 224×224 image plus heatmap.EncodePNG. Each repetition runs inner overlays
// and the per-overlay time is reported.
func overlayRow(opts options) (row, error) {
	const size, inner = 224, 20
	img, m := texturedImage(size), camMap(size)
	var buf bytes.Buffer
	once := func() error {
		out, err := heatmap.Overlay(img, m, heatmap.Jet, 0.5)
		if err != nil {
			return err
		}
		buf.Reset()
		return heatmap.EncodePNG(&buf, out)
	}
	t, err := measure(opts.Warmup, opts.Reps, func() error {
		for range inner {
			if err := once(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return row{}, fmt.Errorf("overlay: %w", err)
	}
	return row{ID: "overlay", Section: "Heatmap (camviz/heatmap)", Name: "224×224 overlay (Jet) + PNG encoding",
		Value: ms(t.Wall) / inner, Unit: "ms", CPU: ms(t.CPU) / inner, Goal: goalOverlay,
		Note: fmt.Sprintf("%d-byte PNG", buf.Len())}, nil
}
