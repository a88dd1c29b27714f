package metrics

import (
	"fmt"
	"image"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// The 8 neighbours in clockwise order in image coordinates (y grows downward):
// E, SE, S, SW, W, NW, N, NE.
var (
	dirX = [8]int{1, 1, 0, -1, -1, -1, 0, 1}
	dirY = [8]int{0, 1, 1, 1, 0, -1, -1, -1}
)

// dirIndex returns the index in dirX/dirY of the unit step (dx, dy).
func dirIndex(dx, dy int) int {
	for d := range dirX {
		if dirX[d] == dx && dirY[d] == dy {
			return d
		}
	}
	return -1
}

// outerContourArea traces the outer border of the component whose first raster
// pixel is (sx, sy) with Suzuki & Abe's border following (1985; the algorithm
// behind cv2.findContours), and returns the area of the polygon through the
// traced pixel centres (shoelace formula), which is cv2.contourArea of that
// contour. An isolated pixel, or a component one pixel wide, has area 0.
func outerContourArea(mask []bool, h, w, sx, sy int) float64 {
	on := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && mask[y*w+x] }
	// Step 3.1: clockwise from the west neighbour (a 0-pixel) to the first 1-pixel.
	d1 := -1
	for k := 0; k < 8; k++ {
		if d := (4 + k) % 8; on(sx+dirX[d], sy+dirY[d]) {
			d1 = d
			break
		}
	}
	if d1 < 0 {
		return 0
	}
	x1, y1 := sx+dirX[d1], sy+dirY[d1]
	px, py, cx, cy := x1, y1, sx, sy // (i2, j2) and (i3, j3) of step 3.2
	twiceArea := 0
	for steps := 0; steps <= 4*h*w+8; steps++ {
		// Step 3.3: counterclockwise from the element after (i2, j2).
		d2 := dirIndex(px-cx, py-cy)
		nx, ny := cx, cy
		for k := 1; k <= 8; k++ {
			if d := (d2 - k + 16) % 8; on(cx+dirX[d], cy+dirY[d]) {
				nx, ny = cx+dirX[d], cy+dirY[d]
				break
			}
		}
		twiceArea += cx*ny - nx*cy // edge (i3, j3) → (i4, j4)
		// Step 3.5: back at the start, coming from (i1, j1).
		if nx == sx && ny == sy && cx == x1 && cy == y1 {
			break
		}
		px, py, cx, cy = cx, cy, nx, ny
	}
	return math.Abs(float64(twiceArea)) / 2
}

// holeBoxes returns, for every hole of the mask (a 4-connected component of
// 0-pixels that does not touch the image border), the bounding box of its hole
// contour: the hole's own box grown by one pixel on each side, since
// cv2.findContours traces a hole along the 1-pixels around it.
func holeBoxes(mask []bool, h, w int) []image.Rectangle {
	seen := make([]bool, len(mask))
	var out []image.Rectangle
	var stack []int
	for start, on := range mask {
		if on || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		box := image.Rect(start%w, start/w, start%w+1, start/w+1)
		touches := false
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			box = box.Union(image.Rect(x, y, x+1, y+1))
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				touches = true
			}
			for d := 0; d < 8; d += 2 { // E, S, W, N
				nx, ny := x+dirX[d], y+dirY[d]
				if nx < 0 || ny < 0 || nx >= w || ny >= h {
					continue
				}
				if q := ny*w + nx; !mask[q] && !seen[q] {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
		if !touches {
			out = append(out, box.Inset(-1))
		}
	}
	return out
}

// wsolBox applies wsolevaluation's box convention to a tight half-open box:
// (x, y, x+w, y+h) clipped to (W−1, H−1) and read as inclusive corners, i.e.
// one pixel more to the right and below unless the box touches that border.
func wsolBox(r image.Rectangle, w, h int) image.Rectangle {
	return image.Rect(r.Min.X, r.Min.Y, min(r.Max.X+1, w), min(r.Max.Y+1, h))
}

// wsolQuantize returns ⌊255·m⌋ per pixel (numpy's astype(uint8) of scoremap·255)
// and its maximum. m must hold finite values in [0, 1].
func wsolQuantize(m *heatmap.Map) (q []int, maxQ int, err error) {
	q = make([]int, len(m.Data))
	for i, v := range m.Data {
		if !(v >= 0 && v <= 1) {
			return nil, 0, fmt.Errorf("map value %v at (x=%d, y=%d) is outside [0, 1]; wsolevaluation's protocol needs normalised maps (use heatmap.MinMax)", v, i%m.W, i/m.W)
		}
		q[i] = int(float64(v) * 255)
		maxQ = max(maxQ, q[i])
	}
	return q, maxQ, nil
}

// wsolBoxesAtCut reproduces wsolevaluation's scoremap2bbox for the quantised
// map q and the integer threshold cut (foreground: q > cut).
func wsolBoxesAtCut(q []int, h, w, cut int, all bool) []image.Rectangle {
	mask := make([]bool, len(q))
	for i, v := range q {
		mask[i] = v > cut
	}
	comps := labelComponents(mask, h, w)
	if len(comps) == 0 {
		return []image.Rectangle{image.Rect(0, 0, 1, 1)} // their [0, 0, 0, 0]
	}
	var raw []image.Rectangle
	if all {
		for _, c := range comps {
			raw = append(raw, c.box)
		}
		raw = append(raw, holeBoxes(mask, h, w)...)
	} else {
		best, bestArea := 0, -1.0
		for i, c := range comps {
			// >=: ties go to the contour found last in raster order, which
			// OpenCV lists first (and Python's max keeps the first maximum).
			if a := outerContourArea(mask, h, w, c.first%w, c.first/w); a >= bestArea {
				best, bestArea = i, a
			}
		}
		raw = []image.Rectangle{comps[best].box}
	}
	for i := range raw {
		raw[i] = wsolBox(raw[i], w, h)
	}
	return raw
}

// BoxesFromMapWSOL reproduces wsolevaluation's compute_bboxes_from_scoremaps
// (Choe et al. 2020) at one threshold tau, in this package's half-open boxes:
//
//   - q = ⌊255·m⌋ (uint8); foreground = { q > ⌊tau·max q⌋ } (cv2.threshold);
//   - contours as cv2.findContours(RETR_TREE): outer borders of 8-connected
//     components and borders of holes (4-connected 0-regions);
//   - V1 (allComponents false): the contour of largest cv2.contourArea, ties to
//     the component whose first pixel comes last in raster order (OpenCV lists
//     top-level contours in reverse order of discovery and Python's max keeps
//     the first maximum); V2: every outer and hole contour;
//   - each box is (x, y, min(x+w, W−1), min(y+h, H−1)) read as inclusive, and an
//     empty foreground gives the single pixel (0, 0, 0, 0).
//
// m must hold finite values in [0, 1] (wsolevaluation's check_scoremap_validity).
// BoxesFromMap is the cleaner default; see it for the differences.
func BoxesFromMapWSOL(m *heatmap.Map, tau float32, allComponents bool) ([]image.Rectangle, error) {
	if !mapOK(m) {
		return nil, fmt.Errorf("metrics.BoxesFromMapWSOL: %s", describeBadMap(m))
	}
	q, maxQ, err := wsolQuantize(m)
	if err != nil {
		return nil, fmt.Errorf("metrics.BoxesFromMapWSOL: %w", err)
	}
	cut := int(math.Floor(float64(tau) * float64(maxQ)))
	return wsolBoxesAtCut(q, m.H, m.W, cut, allComponents), nil
}
