package metrics

import (
	"fmt"
	"image"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// describeBadMap says what is wrong with a map that fails mapOK.
func describeBadMap(m *heatmap.Map) string {
	switch {
	case m == nil:
		return "map is nil"
	case m.H <= 0 || m.W <= 0:
		return fmt.Sprintf("map size %dx%d is not positive", m.H, m.W)
	default:
		return fmt.Sprintf("map is %dx%d but holds %d values, want %d", m.H, m.W, len(m.Data), m.H*m.W)
	}
}

// checkMap returns an error naming image i if its map is malformed or holds a
// NaN or ±Inf.
func checkMap(i int, m *heatmap.Map) error {
	if !mapOK(m) {
		return fmt.Errorf("image %d: %s", i, describeBadMap(m))
	}
	for p, v := range m.Data {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("image %d: map value at (x=%d, y=%d) is %v; maps must be finite (check the model's output, or clean the map with heatmap.MinMax, which maps non-finite values to 0)", i, p%m.W, p/m.W, v)
		}
	}
	return nil
}

// checkMapRange01 is checkMap plus the requirement 0 ≤ value ≤ 1.
func checkMapRange01(i int, m *heatmap.Map) error {
	if err := checkMap(i, m); err != nil {
		return err
	}
	for p, v := range m.Data {
		if v < 0 || v > 1 {
			return fmt.Errorf("image %d: map value %v at (x=%d, y=%d) is outside [0, 1]; normalise each map first (heatmap.MinMax or heatmap.PostProcess)", i, v, p%m.W, p/m.W)
		}
	}
	return nil
}

// checkBoxes requires at least one box per image, each non-empty and
// overlapping the h×w image.
func checkBoxes(i int, boxes []image.Rectangle, h, w int) error {
	if len(boxes) == 0 {
		return fmt.Errorf("image %d has no ground-truth box; box metrics are defined only for images that contain the object, so leave such images out", i)
	}
	bounds := image.Rect(0, 0, w, h)
	for j, b := range boxes {
		if b.Dx() <= 0 || b.Dy() <= 0 {
			return fmt.Errorf("image %d: ground-truth box %d %v is empty; boxes are half-open (Max exclusive), convert inclusive corners with InclusiveBox", i, j, b)
		}
		if !b.Overlaps(bounds) {
			return fmt.Errorf("image %d: ground-truth box %d %v lies outside the %dx%d map; boxes must be in the map's pixel coordinates (resize boxes or maps to the image size)", i, j, b, w, h)
		}
	}
	return nil
}
