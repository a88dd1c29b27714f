package heatmap

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// gistRainbowSegments are matplotlib's gist_rainbow control points (x, r, g, b).
var gistRainbowSegments = [][4]float64{
	{0.000, 1.00, 0.00, 0.16}, {0.030, 1.00, 0.00, 0.00}, {0.215, 1.00, 1.00, 0.00}, {0.400, 0.00, 1.00, 0.00},
	{0.586, 0.00, 1.00, 1.00}, {0.770, 0.00, 0.00, 1.00}, {0.954, 1.00, 0.00, 1.00}, {1.000, 1.00, 0.00, 0.75},
}

// GistRainbow returns matplotlib's gist_rainbow colour for f in [0, 1] as RGB in [0, 1],
// as matplotlib samples it: from its 256-entry table, entry min(⌊256·f⌋, 255), each entry
// the piecewise-linear colour at i/255. Deep Feature Factorization colours concept i of k
// with GistRainbow(i/k), after the DFF paper's code.
func GistRainbow(f float64) [3]float64 {
	i := min(max(int(f*256), 0), 255)
	x := float64(i) / 255
	for s := 1; s < len(gistRainbowSegments); s++ {
		a, b := gistRainbowSegments[s-1], gistRainbowSegments[s]
		if x <= b[0] {
			t := (x - a[0]) / (b[0] - a[0])
			return [3]float64{a[1] + t*(b[1]-a[1]), a[2] + t*(b[2]-a[2]), a[3] + t*(b[3]-a[3])}
		}
	}
	last := gistRainbowSegments[len(gistRainbowSegments)-1]
	return [3]float64{last[1], last[2], last[3]}
}

// FactorizationOverlay colours concept maps over an image, as pytorch-grad-cam's
// show_factorization_on_image (without its legend): each pixel takes the colour of its
// strongest concept, c_i = GistRainbow(i/k), at that concept's value as brightness (the
// V of HSV), and the result is
//
//	out = ⌊255 · (imageWeight·img + (1 − imageWeight)·c_i·⌊255·e_i⌋/255)⌋
//
// img is h·w·3 RGB values in [0, 1] (channels last) and explanations k maps h×w in
// [0, 1] (camviz's DFF explanation maps, at the image's size). The library converts each colour to 8-bit HSV and back
// with OpenCV, which moves channels by a few units of 255; camviz scales the RGB colour
// directly (the colours have V = 1, so that is the same up to that rounding). It returns
// h·w·3 bytes.
func FactorizationOverlay(img []float32, h, w int, explanations []*Map, imageWeight float64) ([]uint8, error) {
	if len(img) != h*w*3 || len(explanations) == 0 {
		return nil, fmt.Errorf("heatmap.FactorizationOverlay: %d image values for %d×%d and %d maps: want h·w·3 RGB values "+
			"and at least one map", len(img), h, w, len(explanations))
	}
	for i, e := range explanations {
		if e.H != h || e.W != w {
			return nil, fmt.Errorf("heatmap.FactorizationOverlay: map %d is %d×%d, the image %d×%d: resize the maps first",
				i, e.H, e.W, h, w)
		}
	}
	k := len(explanations)
	colors := make([][3]float64, k)
	for i := range colors {
		colors[i] = GistRainbow(float64(i) / float64(k))
	}
	out := make([]uint8, h*w*3)
	for p := 0; p < h*w; p++ {
		best := 0
		for i := 1; i < k; i++ {
			if explanations[i].Data[p] > explanations[best].Data[p] {
				best = i
			}
		}
		v := math.Floor(255*float64(explanations[best].Data[p])) / 255
		for c := 0; c < 3; c++ {
			x := imageWeight*float64(img[3*p+c]) + (1-imageWeight)*colors[best][c]*v
			out[3*p+c] = uint8(min(max(math.Floor(255*x), 0), 255))
		}
	}
	return out, nil
}

// FactorizationImage is [FactorizationOverlay] on a picture: the concept maps (any size;
// resized bilinearly to the picture) drawn in their colours over img.
func FactorizationImage(img image.Image, maps []*Map, imageWeight float64) (*image.RGBA, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("heatmap.FactorizationImage: the image is nil or empty")
	}
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	rgb := make([]float32, h*w*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			i := 3 * (y*w + x)
			rgb[i], rgb[i+1], rgb[i+2] = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255
		}
	}
	resized := make([]*Map, len(maps))
	for j, m := range maps {
		if m == nil {
			return nil, fmt.Errorf("heatmap.FactorizationImage: map %d is nil", j)
		}
		resized[j] = ResizeBilinear(m, h, w)
	}
	pix, err := FactorizationOverlay(rgb, h, w, resized, imageWeight)
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < h*w; p++ {
		out.Pix[4*p], out.Pix[4*p+1], out.Pix[4*p+2], out.Pix[4*p+3] = pix[3*p], pix[3*p+1], pix[3*p+2], 255
	}
	return out, nil
}
