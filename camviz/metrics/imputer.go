package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// roadNeighbours are the NoisyLinearImputer's neighbour offsets (dy, dx) and
// weights (Rong et al. 2022; pytorch-grad-cam metrics/road.py): 1/6 for the
// four edge neighbours, 1/12 for the four diagonal ones (they sum to 1).
var roadNeighbours = [8]struct {
	dy, dx int
	w      float64
}{
	{1, 1, 1.0 / 12}, {0, 1, 1.0 / 6}, {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12},
	{0, -1, 1.0 / 6}, {-1, -1, 1.0 / 12}, {1, 0, 1.0 / 6}, {-1, 0, 1.0 / 6},
}

// imputeSystem is the sparse SPD system M·x = b of the linear imputer: one row
// per removed pixel u,
//
//	S_u·x_u − Σ_{removed v ~ u} w_uv·x_v = Σ_{kept k ~ u} w_uk·img_k
//
// with S_u the sum of the weights of u's in-image neighbours.
type imputeSystem struct {
	pix      []int32   // pixel index of each unknown
	rowStart []int32   // CSR rows of the off-diagonal weights w_uv
	col      []int32   // unknown index v
	val      []float64 // w_uv
	diag     []float64 // S_u
}

func buildImputeSystem(keep []bool, h, w int) (*imputeSystem, []int32) {
	s := &imputeSystem{}
	uidx := make([]int32, h*w) // pixel → unknown index, −1 if kept
	for p, k := range keep {
		uidx[p] = -1
		if !k {
			uidx[p] = int32(len(s.pix))
			s.pix = append(s.pix, int32(p))
		}
	}
	s.rowStart = append(s.rowStart, 0)
	for _, p := range s.pix {
		y, x := int(p)/w, int(p)%w
		sum := 0.0
		for _, nb := range roadNeighbours {
			ny, nx := y+nb.dy, x+nb.dx
			if ny < 0 || nx < 0 || ny >= h || nx >= w {
				continue
			}
			sum += nb.w
			if v := uidx[ny*w+nx]; v >= 0 {
				s.col = append(s.col, v)
				s.val = append(s.val, nb.w)
			}
		}
		s.diag = append(s.diag, sum)
		s.rowStart = append(s.rowStart, int32(len(s.col)))
	}
	return s, uidx
}

// mul sets out = M·x.
func (s *imputeSystem) mul(x, out []float64) {
	for u := range s.diag {
		acc := s.diag[u] * x[u]
		for e := s.rowStart[u]; e < s.rowStart[u+1]; e++ {
			acc -= s.val[e] * x[s.col[e]]
		}
		out[u] = acc
	}
}

// solveCG solves M·x = b by conjugate gradients with the Jacobi
// preconditioner, from the initial guess in x, until ‖b − M·x‖ ≤ tol·‖b‖.
func (s *imputeSystem) solveCG(b, x []float64, tol float64) error {
	n := len(b)
	bnorm := math.Sqrt(dot(b, b))
	if bnorm == 0 {
		clear(x) // M is SPD, so x = 0 is the solution
		return nil
	}
	r, z, p, q := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	s.mul(x, q)
	for i := range r {
		r[i] = b[i] - q[i]
		z[i] = r[i] / s.diag[i]
	}
	copy(p, z)
	rz := dot(r, z)
	maxIter := 4*n + 100
	for it := 0; it < maxIter; it++ {
		if math.Sqrt(dot(r, r)) <= tol*bnorm {
			return nil
		}
		s.mul(p, q)
		alpha := rz / dot(p, q)
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * q[i]
			z[i] = r[i] / s.diag[i]
		}
		rzNew := dot(r, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
	return fmt.Errorf("conjugate gradients did not reach relative residual %g in %d iterations (%d unknowns)", tol, maxIter, n)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// onionGuess fills x (unknown-major, c channels interleaved) layer by layer
// from the kept pixels inward: each removed pixel gets the weighted mean of its
// neighbours known before its layer. It is only CG's starting point.
func onionGuess(s *imputeSystem, uidx []int32, img []float32, h, w, c int, x []float64) {
	done := make([]bool, len(s.pix))
	val := func(p int, ch int) (float64, bool) {
		if u := uidx[p]; u >= 0 {
			return x[int(u)*c+ch], done[u]
		}
		return float64(img[p*c+ch]), true
	}
	remaining := len(s.pix)
	for remaining > 0 {
		var layer []int
		for u, p := range s.pix {
			if done[u] {
				continue
			}
			y, xx := int(p)/w, int(p)%w
			for _, nb := range roadNeighbours {
				ny, nx := y+nb.dy, xx+nb.dx
				if ny >= 0 && nx >= 0 && ny < h && nx < w {
					if _, ok := val(ny*w+nx, 0); ok {
						layer = append(layer, u)
						break
					}
				}
			}
		}
		if len(layer) == 0 {
			return // nothing kept: leave zeros
		}
		for _, u := range layer {
			y, xx := int(s.pix[u])/w, int(s.pix[u])%w
			for ch := 0; ch < c; ch++ {
				sum, wsum := 0.0, 0.0
				for _, nb := range roadNeighbours {
					ny, nx := y+nb.dy, xx+nb.dx
					if ny >= 0 && nx >= 0 && ny < h && nx < w {
						if v, ok := val(ny*w+nx, ch); ok {
							sum += nb.w * v
							wsum += nb.w
						}
					}
				}
				x[u*c+ch] = sum / wsum
			}
		}
		for _, u := range layer {
			done[u] = true
		}
		remaining -= len(layer)
	}
}

// imputeTol is the relative residual the imputer's CG solves to.
const imputeTol = 1e-9

// NoisyLinearImpute fills the removed pixels (keep[y*w+x] false) of one h×w×c
// image (HWC float32) with ROAD's noisy linear imputer (Rong et al., "A
// Consistent and Efficient Evaluation Strategy for Attribution Methods", ICML
// 2022; pytorch-grad-cam NoisyLinearImputer): per channel, every removed pixel
// equals the weighted mean of its in-image 8-neighbours (weights 1/6 edge,
// 1/12 diagonal, renormalised at the border), kept neighbours at their values
// and removed ones at their own imputed values,
//
//	x_u = Σ_{v ~ u} w_uv·x_v / Σ_{v ~ u} w_uv,
//
// a sparse SPD linear system that is solved by Jacobi-preconditioned conjugate
// gradients to relative residual 1e-9 (pytorch-grad-cam uses a direct
// spsolve); then noise·N(0, 1) is added to each removed value, drawn from rng
// channel by channel in raster order (pytorch-grad-cam's noise is unseeded).
// Kept pixels are copied unchanged.
//
// If no pixel is kept the system has no data (and is singular); the removed
// pixels are then set to 0 before the noise, i.e. the zero baseline. noise ≤ 0
// adds none and rng may then be nil.
func NoisyLinearImpute(img []float32, h, w, c int, keep []bool, noise float64, rng *rand.Rand) ([]float32, error) {
	if h <= 0 || w <= 0 || c <= 0 || len(img) != h*w*c || len(keep) != h*w {
		return nil, fmt.Errorf("metrics.NoisyLinearImpute: image of %d values and keep mask of %d for h=%d w=%d c=%d; want h·w·c values (HWC) and h·w flags", len(img), len(keep), h, w, c)
	}
	if noise > 0 && rng == nil {
		return nil, fmt.Errorf("metrics.NoisyLinearImpute: noise %v needs a random source; pass rand.New(rand.NewPCG(seed, stream))", noise)
	}
	for i, v := range img {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("metrics.NoisyLinearImpute: image value %d is %v; the image must be finite", i, v)
		}
	}
	out := append([]float32(nil), img...)
	s, uidx := buildImputeSystem(keep, h, w)
	n := len(s.pix)
	if n == 0 {
		return out, nil
	}
	x := make([]float64, n*c)
	if n < h*w {
		onionGuess(s, uidx, img, h, w, c, x)
		b, xc := make([]float64, n), make([]float64, n)
		for ch := 0; ch < c; ch++ {
			for u, p := range s.pix {
				y, xx := int(p)/w, int(p)%w
				b[u] = 0
				for _, nb := range roadNeighbours {
					ny, nx := y+nb.dy, xx+nb.dx
					if ny >= 0 && nx >= 0 && ny < h && nx < w && keep[ny*w+nx] {
						b[u] += nb.w * float64(img[(ny*w+nx)*c+ch])
					}
				}
				xc[u] = x[u*c+ch]
			}
			if err := s.solveCG(b, xc, imputeTol); err != nil {
				return nil, fmt.Errorf("metrics.NoisyLinearImpute: channel %d: %w", ch, err)
			}
			for u := range xc {
				x[u*c+ch] = xc[u]
			}
		}
	}
	for ch := 0; ch < c; ch++ {
		for u, p := range s.pix {
			v := x[u*c+ch]
			if noise > 0 {
				v += noise * rng.NormFloat64()
			}
			out[int(p)*c+ch] = float32(v)
		}
	}
	return out, nil
}
