package heatmap

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// toRGBA copies img into a new *image.RGBA with bounds at the origin
// (draw.Draw has fast paths for the common image types).
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// Overlay blends the colorized map over img:
//
//	out = (1 − alpha)·img + alpha·colormap(m')
//
// per channel, rounded to the nearest 8-bit level, where m' is m resized to the
// image size with ResizeBilinear (cv2 INTER_LINEAR) when the sizes differ. m is
// assumed to be in [0, 1] (see PostProcess); NaN maps to black. This is
// pytorch-grad-cam's show_cam_on_image with image_weight = 1 − alpha, except that
// the result is not re-divided by its maximum and is rounded, not truncated. The
// blend is done on alpha-premultiplied values, so a translucent img gives a
// correctly composited result whose opacity is (1 − alpha)·A + alpha. The output has img's size with
// bounds at the origin. An alpha outside [0, 1] (or NaN), a nil argument, an
// empty image or an empty map is an error.
func Overlay(img image.Image, m *Map, c *Colormap, alpha float64) (*image.RGBA, error) {
	if !(alpha >= 0 && alpha <= 1) {
		return nil, fmt.Errorf("heatmap.Overlay: alpha = %v is outside [0, 1]; use e.g. 0.5 (0 shows only the image, 1 only the heatmap)", alpha)
	}
	if img == nil || m == nil || c == nil {
		return nil, fmt.Errorf("heatmap.Overlay: image, map and colormap must all be non-nil")
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("heatmap.Overlay: image is empty (bounds %v)", b)
	}
	if m.H <= 0 || m.W <= 0 || len(m.Data) != m.H*m.W {
		return nil, fmt.Errorf("heatmap.Overlay: map is %dx%d with %d values; it needs at least one value and H*W values", m.H, m.W, len(m.Data))
	}
	w, h := b.Dx(), b.Dy()
	if m.H != h || m.W != w {
		m = ResizeBilinear(m, h, w)
	}
	out := toRGBA(img)

	// Tables: keep[p] = (1−a)·p + 0.5 for any 8-bit level p, and add[k] = a·lut[k]
	// for the colormap entry k; out = ⌊keep[p] + add[k]⌋.
	a := float32(alpha)
	var keep [256]float32
	for p := range keep {
		keep[p] = (1-a)*float32(p) + 0.5
	}
	var add [257][3]float32 // entry 256: NaN → black
	for k := 0; k < 256; k++ {
		for ch := 0; ch < 3; ch++ {
			add[k][ch] = a * float32(c.lut[k][ch])
		}
	}
	addA := a * 255
	pix := out.Pix
	for i, v := range m.Data {
		k := index(v)
		if k < 0 {
			k = 256
		}
		e := &add[k]
		p := pix[4*i : 4*i+4 : 4*i+4]
		p[0] = uint8(keep[p[0]] + e[0])
		p[1] = uint8(keep[p[1]] + e[1])
		p[2] = uint8(keep[p[2]] + e[2])
		p[3] = uint8(keep[p[3]] + addA)
	}
	return out, nil
}

// DrawBox draws the outline of box on img with colour c, composited over what is
// there (draw.Over). The lines are thickness pixels wide and lie inside box (box.Max
// is exclusive, as for every image.Rectangle); a thickness below 1 is taken as 1.
// Parts outside img are clipped. Typical use: the ground-truth or predicted box of
// a localization benchmark.
func DrawBox(img *image.RGBA, box image.Rectangle, c color.Color, thickness int) {
	if img == nil || c == nil {
		return
	}
	box = box.Canon()
	t := max(thickness, 1)
	src := image.NewUniform(c)
	// Literal rectangles (not image.Rect, which would swap reversed corners) so that
	// an edge that does not fit in a thin box is simply empty.
	r := func(x0, y0, x1, y1 int) image.Rectangle { return image.Rectangle{image.Pt(x0, y0), image.Pt(x1, y1)} }
	edges := []image.Rectangle{
		r(box.Min.X, box.Min.Y, box.Max.X, min(box.Min.Y+t, box.Max.Y)),       // top
		r(box.Min.X, max(box.Max.Y-t, box.Min.Y+t), box.Max.X, box.Max.Y),     // bottom
		r(box.Min.X, box.Min.Y+t, min(box.Min.X+t, box.Max.X), box.Max.Y-t),   // left
		r(max(box.Max.X-t, box.Min.X+t), box.Min.Y+t, box.Max.X, box.Max.Y-t), // right
	}
	for _, e := range edges {
		if r := e.Intersect(img.Bounds()); !r.Empty() {
			draw.Draw(img, r, src, image.Point{}, draw.Over)
		}
	}
}

// ImageFromHWC converts a float image in HWC layout (row, column, channel;
// channels-last as in GoMLX) with c = 1 (gray) or c = 3 (RGB) channels into an
// opaque image. Each value maps linearly from [lo, hi] to [0, 255]:
//
//	level = round(255·(v − lo)/(hi − lo)), clamped to [0, 255]; NaN → 0.
//
// Errors: non-positive h or w, c not 1 or 3, len(data) != h·w·c, or hi <= lo.
func ImageFromHWC(h, w, c int, data []float32, lo, hi float32) (*image.RGBA, error) {
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("heatmap.ImageFromHWC: size %dx%d is not positive", h, w)
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("heatmap.ImageFromHWC: %d channels; want 1 (gray) or 3 (RGB), channels last", c)
	}
	if len(data) != h*w*c {
		return nil, fmt.Errorf("heatmap.ImageFromHWC: got %d values, want h*w*c = %d*%d*%d = %d", len(data), h, w, c, h*w*c)
	}
	if !(hi > lo) || math.IsInf(float64(hi-lo), 0) {
		return nil, fmt.Errorf("heatmap.ImageFromHWC: value range [%v, %v] is empty or not finite; pass lo < hi, e.g. 0 and 1", lo, hi)
	}
	scale := 255 / (float64(hi) - float64(lo))
	level := func(v float32) uint8 {
		f := (float64(v)-float64(lo))*scale + 0.5
		switch {
		case !(f > 0): // also NaN
			return 0
		case f >= 255:
			return 255
		}
		return uint8(f)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pix := img.Pix
	for i := 0; i < h*w; i++ {
		p := pix[4*i : 4*i+4 : 4*i+4]
		if c == 1 {
			g := level(data[i])
			p[0], p[1], p[2] = g, g, g
		} else {
			p[0], p[1], p[2] = level(data[3*i]), level(data[3*i+1]), level(data[3*i+2])
		}
		p[3] = 255
	}
	return img, nil
}
