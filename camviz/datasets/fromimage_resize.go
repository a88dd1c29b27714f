package datasets

import (
	"fmt"
	"image"
)

// FromImageResized is ResizeBilinear(FromImage(img), outH, outW) — the same HWC float32
// RGB values in [0, 1], bit for bit — computed without the full-size float picture:
// each source row is converted and resized horizontally once, into one of two row
// buffers, and every output row mixes the two rows it needs,
//
//	out(i, j) = top(j)·(1−fy) + bot(j)·fy,  top(j) = src(y0, x0)·(1−fx) + src(y0, x1)·fx,
//
// which is ResizeBilinear's arithmetic in its order (see ResizeBilinear for the taps).
// For a 256² PNG resized to 224² this skips a 786 kB intermediate and a pass over it.
// The result is written into dst when it has the capacity (dst[:outH·outW·3]), else
// into a new slice. Images other than *image.RGBA and *image.NRGBA go through FromImage
// and ResizeBilinear. Errors: non-positive output sizes, an output over MaxPixels, or a
// nil or empty image.
func FromImageResized(img image.Image, outH, outW int, dst []float32) ([]float32, error) {
	if outH <= 0 || outW <= 0 {
		return nil, fmt.Errorf("datasets.FromImageResized: output size %dx%d, want both positive", outH, outW)
	}
	if outW > MaxPixels/outH {
		return nil, fmt.Errorf("datasets.FromImageResized: output size %dx%d is over the limit of %d pixels (datasets.MaxPixels)",
			outH, outW, MaxPixels)
	}
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("datasets.FromImageResized: the image is nil or empty; pass a decoded picture")
	}
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	var row func(y int, out []float32)
	switch m := img.(type) {
	case *image.RGBA:
		row = func(y int, out []float32) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			for x, i := 0, 0; x < len(src); x, i = x+4, i+3 {
				out[i], out[i+1], out[i+2] = unit8[src[x]], unit8[src[x+1]], unit8[src[x+2]]
			}
		}
	case *image.NRGBA:
		row = func(y int, out []float32) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			for x, i := 0, 0; x < len(src); x, i = x+4, i+3 {
				if a := uint32(src[x+3]); a == 0xff {
					out[i], out[i+1], out[i+2] = unit8[src[x]], unit8[src[x+1]], unit8[src[x+2]]
				} else {
					for k := range 3 {
						out[i+k] = float32(uint32(src[x+k])*0x101*a/0xff) / 65535
					}
				}
			}
		}
	default:
		pix, ih, iw := FromImage(img)
		out, err := ResizeBilinear(pix, ih, iw, 3, outH, outW)
		if err != nil {
			return nil, err
		}
		if n := len(out); cap(dst) >= n {
			return append(dst[:0], out...), nil
		}
		return out, nil
	}
	const c = 3
	n := outH * outW * c
	if cap(dst) >= n {
		dst = dst[:n]
	} else {
		dst = make([]float32, n)
	}
	ty, tx := bilinearTaps(h, outH), bilinearTaps(w, outW)
	src := make([]float32, w*c)
	// rows[k] holds source row rowOf[k] resized horizontally (−1: none yet).
	var rows [2][]float32
	rowOf := [2]int{-1, -1}
	rows[0], rows[1] = make([]float32, outW*c), make([]float32, outW*c)
	resized := func(y int) []float32 {
		for k := range rows {
			if rowOf[k] == y {
				return rows[k]
			}
		}
		// Replace the buffer not holding the other row this output row needs: rows are
		// visited in increasing order, so the older (smaller) one goes.
		k := 0
		if rowOf[1] < rowOf[0] {
			k = 1
		}
		row(y, src)
		out := rows[k]
		for j, xx := range tx {
			f, g := xx.f, 1-xx.f
			s0, s1 := src[xx.i0*c:][:c:c], src[xx.i1*c:][:c:c]
			o := out[j*c:][:c:c]
			o[0], o[1], o[2] = s0[0]*g+s1[0]*f, s0[1]*g+s1[1]*f, s0[2]*g+s1[2]*f
		}
		rowOf[k] = y
		return out
	}
	o := 0
	for _, yy := range ty {
		// i0 ≤ i1 and both grow with the output row, so fetching i1 never evicts i0.
		top := resized(yy.i0)
		bot := resized(yy.i1)
		f, g := yy.f, 1-yy.f
		out := dst[o : o+len(top)]
		bot = bot[:len(top)]
		for j, t := range top {
			out[j] = t*g + bot[j]*f
		}
		o += len(top)
	}
	return dst, nil
}
