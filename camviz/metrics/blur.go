package metrics

import "math"

// riseKernel1D returns the 1-D factor k of RISE's blur kernel (Petsiuk et al.
// 2018, evaluation.py gkern(klen=11, nsig=5)): scipy.ndimage.gaussian_filter of
// an 11-sample delta at the centre with σ = 5 (truncate 4, so a 41-tap
// Gaussian, normalised) and mode "reflect" (d c b a | a b c d | d c b a). The
// 2-D kernel is k[y]·k[x], because filtering a separable delta is separable.
func riseKernel1D() []float64 {
	const n, sigma, radius = 11, 5.0, 20 // radius = int(4·σ + 0.5)
	w := make([]float64, 2*radius+1)
	sum := 0.0
	for j := -radius; j <= radius; j++ {
		w[j+radius] = math.Exp(-0.5 * float64(j*j) / (sigma * sigma))
		sum += w[j+radius]
	}
	fold := func(i int) int { // scipy "reflect" (half-sample symmetric)
		m := ((i % (2 * n)) + 2*n) % (2 * n)
		if m >= n {
			m = 2*n - 1 - m
		}
		return m
	}
	k := make([]float64, n)
	for p := 0; p < n; p++ {
		for j := -radius; j <= radius; j++ {
			if fold(p+j) == n/2 {
				k[p] += w[j+radius] / sum
			}
		}
	}
	return k
}

// riseBlur blurs one HWC image as RISE's substrate: a per-channel 2-D
// convolution with the 11×11 kernel of riseKernel1D and zero padding of 5
// (torch conv2d(padding=klen//2)), so the borders darken. It runs separably in
// float64; RISE's float32 kernel and convolution agree with it to float32
// rounding.
func riseBlur(img []float32, h, w, c int) []float32 {
	k := riseKernel1D()
	r := len(k) / 2
	tmp := make([]float64, h*w*c)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for ch := 0; ch < c; ch++ {
				s := 0.0
				for d := -r; d <= r; d++ {
					if xx := x + d; xx >= 0 && xx < w {
						s += k[d+r] * float64(img[(y*w+xx)*c+ch])
					}
				}
				tmp[(y*w+x)*c+ch] = s
			}
		}
	}
	out := make([]float32, h*w*c)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for ch := 0; ch < c; ch++ {
				s := 0.0
				for d := -r; d <= r; d++ {
					if yy := y + d; yy >= 0 && yy < h {
						s += k[d+r] * tmp[(yy*w+x)*c+ch]
					}
				}
				out[(y*w+x)*c+ch] = float32(s)
			}
		}
	}
	return out
}
