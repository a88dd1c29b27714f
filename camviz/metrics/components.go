package metrics

import (
	"image"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// component is one 8-connected set of foreground pixels.
type component struct {
	box   image.Rectangle // tight half-open bounding box
	size  int             // number of pixels
	first int             // raster index (y*W+x) of its first pixel
}

// mapOK reports whether m is a usable map: non-nil, positive size, H·W values.
func mapOK(m *heatmap.Map) bool {
	return m != nil && m.H > 0 && m.W > 0 && len(m.Data) == m.H*m.W
}

// normalizedLevels returns the min-max normalised map in float64,
//
//	n(x, y) = (m(x, y) − min m) / (max m − min m),
//
// with min and max over the finite values. A constant map gives all zeros (as
// wsolevaluation's normalize_scoremap); non-finite pixels get −Inf, so they are
// below every threshold.
func normalizedLevels(m *heatmap.Map) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	out := make([]float64, len(m.Data))
	for i, v := range m.Data {
		f := float64(v)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			out[i] = math.Inf(-1)
		case hi > lo:
			out[i] = (f - lo) / (hi - lo)
		}
	}
	return out
}

// labelComponents finds the 8-connected components of the true pixels of the
// h×w mask, in raster order of their first pixel.
func labelComponents(mask []bool, h, w int) []component {
	seen := make([]bool, len(mask))
	var comps []component
	var stack []int
	for start, on := range mask {
		if !on || seen[start] {
			continue
		}
		c := component{first: start, box: image.Rect(start%w, start/w, start%w+1, start/w+1)}
		seen[start] = true
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			c.size++
			c.box = c.box.Union(image.Rect(x, y, x+1, y+1))
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					if q := ny*w + nx; mask[q] && !seen[q] {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
		}
		comps = append(comps, c)
	}
	return comps
}

// largestBySize returns the index of the component with the most pixels; ties
// go to the one whose first pixel comes first in raster order.
func largestBySize(comps []component) int {
	best := -1
	for i, c := range comps {
		if best < 0 || c.size > comps[best].size || (c.size == comps[best].size && c.first < comps[best].first) {
			best = i
		}
	}
	return best
}

// BoxesFromMap thresholds the min-max normalised map at tau and returns the
// bounding boxes of the foreground's 8-connected components (Choe et al. 2020,
// wsolevaluation's compute_bboxes_from_scoremaps):
//
//	foreground = { (x, y) : n(x, y) > tau },  n = (m − min m)/(max m − min m)
//
// With allComponents false (MaxBoxAcc, "V1") it returns the box of the largest
// component, by pixel count, ties to the component whose first pixel comes first
// in raster order; with allComponents true (MaxBoxAccV2's multi-contour
// evaluation) the boxes of all components, in raster order of their first pixel.
// Boxes are tight and half-open. It returns nil when no pixel exceeds tau: for a
// constant map (n ≡ 0) whenever tau ≥ 0; for a nil or malformed map.
// Non-finite pixels are never foreground.
//
// Where wsolevaluation differs (BoxesFromMapWSOL reproduces it):
//   - it quantises the map to uint8 (⌊255·m⌋) and keeps pixels above
//     ⌊tau·max⌋ of the quantised map;
//   - it ranks contours by cv2.contourArea, the area of the polygon through the
//     boundary pixels' centres (a one-pixel-wide component has area 0), not by
//     pixel count, so V1 can pick a different component;
//   - its multi-contour mode also scores the boxes of hole contours (RETR_TREE);
//   - its boxes are one pixel larger right and below (x1 = x+w, clipped to W−1,
//     read as inclusive), and an empty foreground gives the box (0,0,0,0);
//   - it does not min-max normalise, but requires maps in [0, 1].
func BoxesFromMap(m *heatmap.Map, tau float32, allComponents bool) []image.Rectangle {
	if !mapOK(m) {
		return nil
	}
	return boxesFromLevels(normalizedLevels(m), m.H, m.W, float64(tau), allComponents)
}

// boxesFromLevels is BoxesFromMap on normalised levels with a float64 τ.
func boxesFromLevels(lv []float64, h, w int, tau float64, all bool) []image.Rectangle {
	mask := make([]bool, len(lv))
	for i, v := range lv {
		mask[i] = v > tau
	}
	return pickBoxes(labelComponents(mask, h, w), all)
}

// pickBoxes returns the largest component's box, or all boxes.
func pickBoxes(comps []component, all bool) []image.Rectangle {
	if len(comps) == 0 {
		return nil
	}
	if !all {
		return []image.Rectangle{comps[largestBySize(comps)].box}
	}
	out := make([]image.Rectangle, len(comps))
	for i, c := range comps {
		out[i] = c.box
	}
	return out
}
