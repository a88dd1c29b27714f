package heatmap

import (
	"fmt"
	"math"
)

// minMaxEps is pytorch-grad-cam's denominator guard in scale_cam_image.
const minMaxEps = 1e-7

// ReLU returns a new map with max(x, 0) elementwise. NaN stays NaN, as with
// numpy.maximum (MinMax then maps it to 0).
func ReLU(m *Map) *Map {
	out := m.Clone()
	for i, v := range out.Data {
		if v < 0 {
			out.Data[i] = 0
		}
	}
	return out
}

// MinMax returns pytorch-grad-cam's per-image normalisation (scale_cam_image):
//
//	x ← x − min(x);  x ← x / (1e-7 + max(x))
//
// The 1e-7 is added after subtracting the minimum, so a constant or all-zero map
// gives all zeros (never NaN), and the maximum maps to 1 − O(1e-7/range).
//
// Non-finite values (NaN, ±Inf) have no defined place in the scale: they are
// treated as 0 when finding the minimum and maximum, and their output is 0.
// The result therefore never holds NaN.
//
// The arithmetic follows numpy's float32 steps (x − min in float32, the
// denominator float32(1e-7 + float64(max))); on the pytorch-grad-cam reference
// maps PostProcess agrees bit for bit. A range too wide for float32 is handled
// in float64.
func MinMax(m *Map) *Map {
	out := &Map{H: m.H, W: m.W, Data: make([]float32, len(m.Data))}
	minMaxInto(out.Data, m.Data)
	return out
}

// minMaxInto writes MinMax of src into dst (len(dst) == len(src); they may be
// the same slice).
func minMaxInto(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	// Fast pass with plain comparisons (NaN compares false and is skipped).
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	hasNaN := false
	for _, v := range src {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		if v != v {
			hasNaN = true
		}
	}
	nonFinite := hasNaN || math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0)
	if nonFinite { // redo the range over finite values only, with 0 for the others
		lo, hi = 0, 0
		for _, v := range src {
			if v-v == 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	span := float64(hi) - float64(lo)
	switch {
	case span > math.MaxFloat32: // x − min would overflow float32
		den := minMaxEps + span
		for i, v := range src {
			if v-v == 0 {
				dst[i] = float32((float64(v) - float64(lo)) / den)
			} else {
				dst[i] = 0
			}
		}
	case nonFinite:
		den := float32(minMaxEps + float64(hi-lo))
		for i, v := range src {
			if v-v == 0 {
				dst[i] = (v - lo) / den
			} else {
				dst[i] = 0
			}
		}
	default:
		den := float32(minMaxEps + float64(hi-lo))
		for i, v := range src {
			dst[i] = (v - lo) / den
		}
	}
}

// ScaleLayer is the per-layer step of pytorch-grad-cam (BaseCAM.compute_cam_per_layer
// followed by scale_cam_image):
//
//	resize(minmax(relu(raw)))
//
// with resize = ResizeBilinear (cv2 INTER_LINEAR) to h×w, skipped when the map
// already has that size or when h or w is not positive. Its outputs are what
// AggregateLayers expects, one per target layer.
func ScaleLayer(raw *Map, h, w int) *Map {
	x := MinMax(ReLU(raw))
	if h <= 0 || w <= 0 || (h == x.H && w == x.W) {
		return x
	}
	return ResizeBilinear(x, h, w)
}

// PostProcess is pytorch-grad-cam's full post-processing for one target layer
// (Selvaraju et al. 2017, as implemented by pytorch-grad-cam v1.5.5 BaseCAM):
//
//	final = minmax(resize(minmax(relu(raw))))
//
// raw is the map at feature resolution (before ReLU); h×w is the input image size.
// The resize is cv2.resize INTER_LINEAR (ResizeBilinear) and is skipped when raw
// is already h×w or when h or w is not positive. The second min-max matters:
// bilinear upsampling does not reproduce the exact 0 and 1 extremes. The result
// is in [0, 1] and never NaN (see MinMax).
//
// PostProcess(raw, h, w) equals AggregateLayers of the single ScaleLayer(raw, h, w).
func PostProcess(raw *Map, h, w int) *Map {
	x := ScaleLayer(raw, h, w) // a new map, normalised in place below
	minMaxInto(x.Data, x.Data)
	return x
}

// AggregateLayers combines per-layer maps as pytorch-grad-cam's
// aggregate_multi_layers does:
//
//	final = minmax( (1/L) Σ_l max(layer_l, 0) )
//
// The inputs must all have the same size. To reproduce the library exactly, pass
// ScaleLayer(raw_l, H, W) for each layer l (one min-max, then the resize);
// passing PostProcess outputs instead re-normalises each layer to exactly [0, 1]
// before averaging, which weights the layers slightly differently.
// It returns an error for an empty list, a nil map, or mismatched sizes.
func AggregateLayers(finals []*Map) (*Map, error) {
	if len(finals) == 0 {
		return nil, fmt.Errorf("heatmap.AggregateLayers: no maps given; pass one map per target layer")
	}
	for i, m := range finals {
		if m == nil {
			return nil, fmt.Errorf("heatmap.AggregateLayers: map %d is nil", i)
		}
		if m.H != finals[0].H || m.W != finals[0].W || len(m.Data) != m.H*m.W {
			return nil, fmt.Errorf("heatmap.AggregateLayers: map %d is %dx%d (%d values) but map 0 is %dx%d; resize every layer to the input size first (ScaleLayer)",
				i, m.H, m.W, len(m.Data), finals[0].H, finals[0].W)
		}
	}
	h, w := finals[0].H, finals[0].W
	sum := make([]float64, h*w)
	for _, m := range finals {
		for i, v := range m.Data {
			if v > 0 {
				sum[i] += float64(v)
			} else if v != v {
				sum[i] = math.NaN() // MinMax turns it into 0
			}
		}
	}
	mean := NewMap(h, w)
	n := float64(len(finals))
	for i, s := range sum {
		mean.Data[i] = float32(s / n)
	}
	minMaxInto(mean.Data, mean.Data)
	return mean, nil
}
