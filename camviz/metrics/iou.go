package metrics

import "image"

// InclusiveBox converts a box given by inclusive corner pixels (x0, y0, x1, y1),
// the convention of wsolevaluation's metadata and of most WSOL code, to the
// half-open image.Rectangle used by this package: Rect(x0, y0, x1+1, y1+1).
// (0, 0, 0, 0) is the single pixel at the origin, as in wsolevaluation.
func InclusiveBox(x0, y0, x1, y1 int) image.Rectangle {
	return image.Rect(x0, y0, x1+1, y1+1)
}

// boxArea is the number of pixels of a half-open box; 0 for empty or inverted boxes.
func boxArea(r image.Rectangle) int {
	if r.Dx() <= 0 || r.Dy() <= 0 {
		return 0
	}
	return r.Dx() * r.Dy()
}

// IoU returns the intersection over union of two boxes, counted in pixels:
//
//	IoU(a, b) = |a ∩ b| / (|a| + |b| − |a ∩ b|)
//
// with |r| = Dx·Dy for the half-open box r (Min inclusive, Max exclusive). This
// is exactly wsolevaluation's calculate_multiple_iou, which uses inclusive
// corners and areas (x1−x0+1)(y1−y0+1), on the boxes InclusiveBox converts.
// As there, a zero denominator (both boxes empty) gives 0. Empty or inverted
// rectangles (Dx ≤ 0 or Dy ≤ 0) have area 0.
func IoU(a, b image.Rectangle) float64 {
	inter := 0
	if boxArea(a) > 0 && boxArea(b) > 0 {
		inter = boxArea(a.Intersect(b))
	}
	union := boxArea(a) + boxArea(b) - inter
	if union <= 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// bestIoU is the largest IoU between any predicted box and any ground-truth box
// (wsolevaluation: max over the IoU matrix of the boxes at one threshold), 0
// when there are no predictions.
func bestIoU(pred, gt []image.Rectangle) float64 {
	best := 0.0
	for _, p := range pred {
		for _, g := range gt {
			if v := IoU(p, g); v > best {
				best = v
			}
		}
	}
	return best
}
