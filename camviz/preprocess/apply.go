package preprocess

import "fmt"

// Apply turns a picture into the model's input: rgb is the picture already resized to
// Height×Width, [H, W, 3] float32 RGB in [0, 1] (datasets.LoadImage gives that). For
// every pixel and model channel k:
//
//	v = picture channel k (RGB) or 2−k (BGR), or the mean of R, G, B (1 channel)
//	v = v · 255                      (range 0–255)
//	x[k] = (v − Mean[k]) / Std[k]
//
// The result is [C, H, W] when channelsFirst (ONNX/PyTorch layout), else [H, W, C].
func (p Plan) Apply(rgb []float32, channelsFirst bool) ([]float32, error) {
	h, w, c := p.Height, p.Width, p.Channels
	if len(rgb) != h*w*3 {
		return nil, fmt.Errorf("preprocess: picture of %d values, want %d×%d×3 = %d", len(rgb), h, w, h*w*3)
	}
	if len(p.Mean) != c || len(p.Std) != c {
		return nil, fmt.Errorf("preprocess: the plan has %d means and %d stds for %d channels; make it with Resolve", len(p.Mean), len(p.Std), c)
	}
	scale := float32(1)
	if p.Range == Range0255 {
		scale = 255
	}
	out := make([]float32, h*w*c)
	for px := range h * w {
		for k := range c {
			var v float32
			switch {
			case c == 1:
				v = (rgb[3*px] + rgb[3*px+1] + rgb[3*px+2]) / 3
			case p.BGR:
				v = rgb[3*px+2-k]
			default:
				v = rgb[3*px+k]
			}
			v = (v*scale - p.Mean[k]) / p.Std[k]
			if channelsFirst {
				out[k*h*w+px] = v
			} else {
				out[px*c+k] = v
			}
		}
	}
	return out, nil
}
