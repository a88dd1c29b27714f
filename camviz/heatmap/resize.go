package heatmap

import "math"

// taps holds, for each output index along one axis, the two source indices and
// the weight of the second one: out = (1−f)·src[i0] + f·src[i1].
type taps struct {
	i0, i1 []int
	f      []float32
}

// halfPixelTaps computes OpenCV INTER_LINEAR / torch align_corners=False sampling:
// src = (d + 0.5)·(in/out) − 0.5, clamped to [0, in−1] at both edges.
func halfPixelTaps(in, out int) taps {
	t := taps{make([]int, out), make([]int, out), make([]float32, out)}
	scale := float64(in) / float64(out)
	for d := 0; d < out; d++ {
		src := (float64(d)+0.5)*scale - 0.5
		if src < 0 {
			src = 0
		}
		i0 := int(math.Floor(src))
		f := src - float64(i0)
		if i0 >= in-1 {
			i0, f = in-1, 0
		}
		t.i0[d], t.i1[d], t.f[d] = i0, min(i0+1, in-1), float32(f)
	}
	return t
}

// alignCornersTaps computes torch align_corners=True sampling:
// src = d·(in−1)/(out−1) (0 when out == 1), so the corner pixels coincide.
func alignCornersTaps(in, out int) taps {
	t := taps{make([]int, out), make([]int, out), make([]float32, out)}
	scale := 0.0
	if out > 1 {
		scale = float64(in-1) / float64(out-1)
	}
	for d := 0; d < out; d++ {
		src := float64(d) * scale
		i0 := min(int(math.Floor(src)), in-1)
		t.i0[d], t.i1[d], t.f[d] = i0, min(i0+1, in-1), float32(src-float64(i0))
	}
	return t
}

// resample applies separable bilinear interpolation with the given taps:
// first along x for every source row that is needed, then along y.
func resample(m *Map, ty, tx taps) *Map {
	h, w := len(ty.f), len(tx.f)
	out := NewMap(h, w)
	// Horizontal pass over all source rows (cheap: source maps are small).
	rows := make([]float32, m.H*w)
	for y := 0; y < m.H; y++ {
		src := m.Data[y*m.W : (y+1)*m.W]
		dst := rows[y*w : (y+1)*w]
		i0, i1, fx := tx.i0[:len(dst)], tx.i1[:len(dst)], tx.f[:len(dst)]
		for x := range dst {
			f := fx[x]
			dst[x] = src[i0[x]]*(1-f) + src[i1[x]]*f
		}
	}
	for y := 0; y < h; y++ {
		f := ty.f[y]
		r0 := rows[ty.i0[y]*w : ty.i0[y]*w+w]
		r1 := rows[ty.i1[y]*w : ty.i1[y]*w+w]
		dst := out.Data[y*w : (y+1)*w]
		r0, r1 = r0[:len(dst)], r1[:len(dst)]
		for x := range dst {
			dst[x] = r0[x]*(1-f) + r1[x]*f
		}
	}
	return out
}

// ResizeBilinear resizes m to h×w exactly as OpenCV cv2.resize(x, (w, h)) with the
// default INTER_LINEAR does for float32 maps, which is also torch
// interpolate(mode="bilinear", align_corners=False):
//
//	src = (d + 0.5)·(in/out) − 0.5,  clamped to [0, in−1],
//	out[d] = (1 − f)·x[⌊src⌋] + f·x[min(⌊src⌋+1, in−1)],  f = src − ⌊src⌋
//
// separably along y and x (half-pixel centres, edge clamping). It is the resize
// pytorch-grad-cam applies to every CAM. The map is not re-normalised. A
// non-positive h or w gives an empty map; an empty m gives an all-zero h×w map.
func ResizeBilinear(m *Map, h, w int) *Map {
	if h <= 0 || w <= 0 {
		return &Map{}
	}
	if m.H <= 0 || m.W <= 0 {
		return NewMap(h, w)
	}
	return resample(m, halfPixelTaps(m.H, h), halfPixelTaps(m.W, w))
}

// ResizeBilinearAlignCorners resizes m to h×w as torch nn.UpsamplingBilinear2d does
// (interpolate with align_corners=True), which Score-CAM (Wang et al. 2020) uses
// in pytorch-grad-cam to upsample activations into masks:
//
//	src = d·(in − 1)/(out − 1)   (0 when out = 1)
//
// so the first and last pixels of input and output coincide. Sizes are handled as
// in ResizeBilinear.
func ResizeBilinearAlignCorners(m *Map, h, w int) *Map {
	if h <= 0 || w <= 0 {
		return &Map{}
	}
	if m.H <= 0 || m.W <= 0 {
		return NewMap(h, w)
	}
	return resample(m, alignCornersTaps(m.H, h), alignCornersTaps(m.W, w))
}
