package datasets

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// ToImage converts an example's HWC [0,1] image to an *image.RGBA (values clamped and
// rounded to 8 bits).
func ToImage(e *Example) (*image.RGBA, error) {
	if e.H <= 0 || e.W <= 0 || len(e.Image) != e.H*e.W*3 {
		return nil, fmt.Errorf("datasets.ToImage: example is %dx%d with %d values, want H*W*3 values",
			e.H, e.W, len(e.Image))
	}
	img := image.NewRGBA(image.Rect(0, 0, e.W, e.H))
	for i := 0; i < e.H*e.W; i++ {
		for k := range 3 {
			v := math.Round(float64(e.Image[3*i+k]) * 255)
			img.Pix[4*i+k] = uint8(min(max(v, 0), 255))
		}
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

// ContactSheet lays out the examples in a grid of cols columns, each image magnified
// by an integer zoom factor (nearest neighbour) with a 2-pixel gap, and draws each
// Box as a 1-pixel outline in boxColor (the outline is drawn on the boundary pixels
// of the box, so it covers the outermost object pixels). All examples must have the
// same size.
func ContactSheet(examples []Example, cols, zoom int, boxColor color.Color) (*image.RGBA, error) {
	if len(examples) == 0 || cols < 1 || zoom < 1 {
		return nil, fmt.Errorf("datasets.ContactSheet: %d examples, cols = %d, zoom = %d; want ≥ 1 of each",
			len(examples), cols, zoom)
	}
	h, w := examples[0].H, examples[0].W
	rows := (len(examples) + cols - 1) / cols
	const gap = 2
	cw, ch := w*zoom+gap, h*zoom+gap
	sheet := image.NewRGBA(image.Rect(0, 0, cols*cw-gap, rows*ch-gap))
	for i := range sheet.Pix {
		sheet.Pix[i] = 255
	}
	for n := range examples {
		e := &examples[n]
		if e.H != h || e.W != w {
			return nil, fmt.Errorf("datasets.ContactSheet: example %d is %dx%d, example 0 is %dx%d", n, e.H, e.W, h, w)
		}
		img, err := ToImage(e)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", n, err)
		}
		ox, oy := (n%cols)*cw, (n/cols)*ch
		for y := 0; y < h*zoom; y++ {
			for x := 0; x < w*zoom; x++ {
				sheet.Set(ox+x, oy+y, img.At(x/zoom, y/zoom))
			}
		}
		b := e.Box
		if b.Empty() {
			continue
		}
		x0, y0, x1, y1 := ox+b.Min.X*zoom, oy+b.Min.Y*zoom, ox+b.Max.X*zoom-1, oy+b.Max.Y*zoom-1
		for x := x0; x <= x1; x++ {
			sheet.Set(x, y0, boxColor)
			sheet.Set(x, y1, boxColor)
		}
		for y := y0; y <= y1; y++ {
			sheet.Set(x0, y, boxColor)
			sheet.Set(x1, y, boxColor)
		}
	}
	return sheet, nil
}
