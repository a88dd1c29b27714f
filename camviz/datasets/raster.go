package datasets

// raster is an integer RGB working image (h*w*3, HWC). Values may leave [0,255]
// while drawing; they are clamped once when converted to float32.
type raster struct {
	h, w int
	pix  []int32
}

func newRaster(h, w int) *raster { return &raster{h: h, w: w, pix: make([]int32, h*w*3)} }

// rgb is an integer colour; channels are nominally in [0,255].
type rgb [3]int

// luma is the integer Rec. 601 luma (299 R + 587 G + 114 B) / 1000.
func luma(c rgb) int { return (299*c[0] + 587*c[1] + 114*c[2]) / 1000 }

func clamp255(v int) int { return min(max(v, 0), 255) }

func (c rgb) clamped() rgb { return rgb{clamp255(c[0]), clamp255(c[1]), clamp255(c[2])} }

// add returns c + d on every channel.
func (c rgb) add(d int) rgb { return rgb{c[0] + d, c[1] + d, c[2] + d} }

func (r *raster) set(x, y int, c rgb) {
	if x < 0 || y < 0 || x >= r.w || y >= r.h {
		return
	}
	o := (y*r.w + x) * 3
	r.pix[o], r.pix[o+1], r.pix[o+2] = int32(c[0]), int32(c[1]), int32(c[2])
}

// blend mixes colour c into pixel (x, y) with alpha a/255:
// p ← (p·(255−a) + c·a + 127) / 255, in integers.
func (r *raster) blend(x, y int, c rgb, a int) {
	if x < 0 || y < 0 || x >= r.w || y >= r.h {
		return
	}
	o := (y*r.w + x) * 3
	for k := range 3 {
		p := clamp255(int(r.pix[o+k]))
		r.pix[o+k] = int32((p*(255-a) + c[k]*a + 127) / 255)
	}
}

// addAt adds d[k] to the channels of pixel (x, y).
func (r *raster) addAt(x, y int, d rgb) {
	o := (y*r.w + x) * 3
	for k := range 3 {
		r.pix[o+k] += int32(d[k])
	}
}

// line draws a 1-pixel line from (x0,y0) to (x1,y1) with Bresenham's algorithm.
func (r *raster) line(x0, y0, x1, y1 int, c rgb) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		r.set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

// disc draws a filled disc of centre (cx, cy) and radius rad (pixels).
func (r *raster) disc(cx, cy, rad int, c rgb) {
	for y := cy - rad; y <= cy+rad; y++ {
		for x := cx - rad; x <= cx+rad; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
				r.set(x, y, c)
			}
		}
	}
}

// floats converts to float32 in [0,1]: v/255 after clamping to [0,255]. Division of
// two exact small integers is correctly rounded, so the result is the same on every
// machine.
func (r *raster) floats() []float32 {
	out := make([]float32, len(r.pix))
	for i, v := range r.pix {
		out[i] = float32(clamp255(int(v))) / 255
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
