package camviz

import (
	"fmt"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// DFF is the result of Deep Feature Factorization on one layer's activations.
type DFF struct {
	// Channels K, Components k, and the activations' batch, h, w.
	Channels, Components, Batch, H, W int
	// Concepts are the concept vectors in channel space, [K][k] row-major (W + offset).
	Concepts []float32
	// Explanations are the raw concept maps, [batch][k][h][w] row-major (H of the NMF).
	Explanations []float32
	// ReconstructionError is ‖X − W·H‖_F of the factorization of the offset activations,
	// and DataNorm is ‖X‖_F.
	ReconstructionError, DataNorm float64
}

// dffIterations bounds the coordinate-descent sweeps; dffTol stops them earlier, when 50
// sweeps lower the squared error by less than this fraction (converged to rounding: the
// descent crawls along plateaus, so a looser test stops it short of the minimum).
const (
	dffIterations = 10000
	dffTol        = 1e-13
)

// DeepFeatureFactorization is Deep Feature Factorization (Collins, Achanta & Süsstrunk,
// "Deep Feature Factorization For Concept Discovery", ECCV 2018) as pytorch-grad-cam HEAD
// frames it: the activations of a layer, over every position of every example, are
// factorised into k non-negative concepts,
//
//	X[c, n] = A_n(c) − o_c,   o_c = min_n A_n(c)      (X is K × (batch·h·w), made ≥ 0)
//	X ≈ W·H,  W ≥ 0 [K × k],  H ≥ 0 [k × batch·h·w]   (non-negative matrix factorization)
//	concepts = W + o (each a vector in channel space), explanations = H as [batch, k, h, w]
//
// so each concept is a direction in feature space and its explanation map says where it
// occurs. NMF has no unique solution: pytorch-grad-cam uses scikit-learn's NMF from a
// seeded random start, camviz hierarchical alternating least squares (coordinate descent
// on the columns of W and rows of H, the same update as scikit-learn's 'cd' solver) from a
// fixed deterministic start, to convergence. What is reproducible is the quality of the
// fit, ReconstructionError, and everything computed from a factorization: the processed
// maps ([DFF.ExplanationMaps]) and the concepts' class scores ([DFF.Scores]).
//
// acts are channels-last activations with dims [batch, h, w, K]; NaNs count as 0.
func DeepFeatureFactorization(acts []float32, dims []int, k int) (*DFF, error) {
	if len(dims) != 4 || dims[0]*dims[1]*dims[2]*dims[3] != len(acts) || len(acts) == 0 {
		return nil, fmt.Errorf("camviz.DeepFeatureFactorization: %d values for dims %v: want [batch, h, w, K]", len(acts), dims)
	}
	ch, n := dims[3], dims[0]*dims[1]*dims[2]
	if k < 1 || k > min(ch, n) {
		return nil, fmt.Errorf("camviz.DeepFeatureFactorization: %d components for %d channels and %d positions: "+
			"want 1 … %d", k, ch, n, min(ch, n))
	}
	x := make([]float64, ch*n) // X[c*n + p]
	offset := make([]float64, ch)
	for c := range offset {
		offset[c] = math.Inf(1)
	}
	for p := 0; p < n; p++ {
		for c := 0; c < ch; c++ {
			v := float64(acts[p*ch+c])
			if math.IsNaN(v) {
				v = 0
			}
			x[c*n+p] = v
			offset[c] = min(offset[c], v)
		}
	}
	var mean, norm2 float64
	for c := 0; c < ch; c++ {
		for p := 0; p < n; p++ {
			x[c*n+p] -= offset[c]
			mean += x[c*n+p]
			norm2 += x[c*n+p] * x[c*n+p]
		}
	}
	mean /= float64(ch * n)
	w, h := nmfHALS(x, ch, n, k, math.Sqrt(mean/float64(k)))
	d := &DFF{Channels: ch, Components: k, Batch: dims[0], H: dims[1], W: dims[2], DataNorm: math.Sqrt(norm2),
		ReconstructionError: math.Sqrt(nmfError(x, w, h, ch, n, k))}
	d.Concepts = make([]float32, ch*k)
	for c := 0; c < ch; c++ {
		for j := 0; j < k; j++ {
			d.Concepts[c*k+j] = float32(w[c*k+j] + offset[c])
		}
	}
	hw := dims[1] * dims[2]
	d.Explanations = make([]float32, dims[0]*k*hw)
	for j := 0; j < k; j++ {
		for p := 0; p < n; p++ {
			b, q := p/hw, p%hw
			d.Explanations[(b*k+j)*hw+q] = float32(h[j*n+p])
		}
	}
	return d, nil
}

// nmfHALS factorises x [m × n] ≥ 0 into w [m × k] and h [k × n] ≥ 0, starting from
// scale·(0.5 … 1.5) values of a fixed sequence.
func nmfHALS(x []float64, m, n, k int, scale float64) (w, h []float64) {
	seq := uint64(0x9E3779B97F4A7C15)
	next := func() float64 {
		seq ^= seq << 13
		seq ^= seq >> 7
		seq ^= seq << 17
		return scale * (0.5 + float64(seq>>11)/float64(1<<53))
	}
	w, h = make([]float64, m*k), make([]float64, k*n)
	for i := range w {
		w[i] = next()
	}
	for i := range h {
		h[i] = next()
	}
	gram := make([]float64, k*k)
	cross := make([]float64, max(m, n)*k)
	// x as [m × n] and as its transpose; w as Wᵀ [k × m]; h as [k × n].
	xv, xt := strided{x, n, 1}, strided{x, 1, n}
	wt, hv := strided{w, 1, k}, strided{h, n, 1}
	prev := math.Inf(1)
	for it := 0; it < dffIterations; it++ {
		halsSweep(hv, wt, xv, k, m, n, gram, cross) // H, with X ≈ W·H
		halsSweep(wt, hv, xt, k, n, m, gram, cross) // W, with Xᵀ ≈ Hᵀ·Wᵀ
		if it%50 == 49 {
			e := nmfError(x, w, h, m, n, k)
			if prev-e <= dffTol*prev {
				break
			}
			prev = e
		}
	}
	return w, h
}

// strided is a matrix view of a slice: element (r, c) is data[r*rs + c*cs], so that a
// row-major matrix and its transpose are views of the same values.
type strided struct {
	data   []float64
	rs, cs int
}

// halsSweep is one sweep of hierarchical alternating least squares (Cichocki & Phan,
// "Fast local algorithms for large scale nonnegative matrix and tensor factorizations",
// IEICE 2009; scikit-learn's NMF solver 'cd') over the factor f [k × n] of
// x ≈ gᵀ·f, with g [k × m] fixed and x [m × n]. With the Gram matrix G = g·gᵀ [k × k]
// and C = g·x [k × n], each row j of f in turn becomes
//
//	f_j ← max(0, f_j + (C_j − Σ_l G_jl·f_l) / G_jj)
//
// the minimiser of ‖x − gᵀ·f‖²_F over row j, the other rows fixed, under f ≥ 0 (a row
// with G_jj = 0 is left as it is). For X ≈ W·H the H step is g = Wᵀ, f = H on X; the W
// step is the same on Xᵀ ≈ Hᵀ·Wᵀ, with g = H, f = Wᵀ. gram (k·k) and cross (k·n values)
// are scratch space.
func halsSweep(f, g, x strided, k, m, n int, gram, cross []float64) {
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			gram[a*k+b] = stridedDot(g.data, a*g.rs, g.data, b*g.rs, g.cs, g.cs, m)
		}
	}
	for j := 0; j < k; j++ {
		for p := 0; p < n; p++ {
			cross[j*n+p] = stridedDot(g.data, j*g.rs, x.data, p*x.cs, g.cs, x.rs, m)
		}
	}
	for j := 0; j < k; j++ {
		if gram[j*k+j] == 0 {
			continue
		}
		for p := 0; p < n; p++ {
			v := cross[j*n+p] // minus Σ_l G_jl·f_lp, subtracted term by term
			for l, fl := 0, p*f.cs; l < k; l, fl = l+1, fl+f.rs {
				v -= gram[j*k+l] * f.data[fl]
			}
			at := j*f.rs + p*f.cs
			f.data[at] = max(f.data[at]+v/gram[j*k+j], 0)
		}
	}
}

// stridedDot is Σ_{i<n} a[ai + i·as]·b[bi + i·bs], summed in order of i (running
// offsets keep it as fast as a loop over contiguous rows).
func stridedDot(a []float64, ai int, b []float64, bi, as, bs, n int) float64 {
	var s float64
	for i := 0; i < n; i, ai, bi = i+1, ai+as, bi+bs {
		s += a[ai] * b[bi]
	}
	return s
}

// nmfError returns ‖x − w·h‖²_F.
func nmfError(x, w, h []float64, m, n, k int) float64 {
	var e float64
	for i := 0; i < m; i++ {
		for p := 0; p < n; p++ {
			v := x[i*n+p]
			for j := 0; j < k; j++ {
				v -= w[i*k+j] * h[j*n+p]
			}
			e += v * v
		}
	}
	return e
}

// DFFExplanationMaps post-processes raw concept maps [batch][k][h][w] as pytorch-grad-cam
// does (scale_cam_image per example): each concept's map is min-max scaled,
// (x − min)/(1e-7 + max(x − min)), and resized bilinearly (half-pixel centres) to
// outH × outW. It returns [batch][k] maps.
func DFFExplanationMaps(explanations []float32, batch, k, h, w, outH, outW int) ([][]*heatmap.Map, error) {
	if len(explanations) != batch*k*h*w {
		return nil, fmt.Errorf("camviz.DFFExplanationMaps: %d values for [%d %d %d %d]", len(explanations), batch, k, h, w)
	}
	out := make([][]*heatmap.Map, batch)
	for b := range out {
		out[b] = make([]*heatmap.Map, k)
		for j := range out[b] {
			i := (b*k + j) * h * w
			m, err := heatmap.FromSlice(h, w, append([]float32(nil), explanations[i:i+h*w]...))
			if err != nil {
				return nil, err
			}
			out[b][j] = heatmap.ResizeBilinear(heatmap.MinMax(m), outH, outW)
		}
	}
	return out, nil
}

// ExplanationMaps returns the concept maps post-processed as pytorch-grad-cam's
// DeepFeatureFactorization returns them, at outH × outW ([DFFExplanationMaps]).
func (d *DFF) ExplanationMaps(outH, outW int) ([][]*heatmap.Map, error) {
	return DFFExplanationMaps(d.Explanations, d.Batch, d.Components, d.H, d.W, outH, outW)
}

// DFFScores applies a linear classifier head to each concept vector, as
// pytorch-grad-cam's computation_on_concepts does with the model's last layer:
// scores[j][c] = Σ_i concepts[i][j]·kernel[i][c] + bias[c], for concepts [K][k],
// kernel [K][numClasses] (GoMLX's dense layout) and bias [numClasses] (nil for none).
// It returns [k][numClasses] row-major.
func DFFScores(concepts []float32, k int, kernel []float32, bias []float32) ([]float32, error) {
	if k < 1 || len(concepts)%k != 0 {
		return nil, fmt.Errorf("camviz.DFFScores: %d concept values for %d components", len(concepts), k)
	}
	ch := len(concepts) / k
	if len(kernel)%ch != 0 || len(kernel) == 0 {
		return nil, fmt.Errorf("camviz.DFFScores: a kernel of %d values for %d channels: want [K, numClasses]", len(kernel), ch)
	}
	nc := len(kernel) / ch
	if bias != nil && len(bias) != nc {
		return nil, fmt.Errorf("camviz.DFFScores: bias of %d values for %d classes", len(bias), nc)
	}
	out := make([]float32, k*nc)
	for j := 0; j < k; j++ {
		for c := 0; c < nc; c++ {
			var s float64
			for i := 0; i < ch; i++ {
				s += float64(concepts[i*k+j]) * float64(kernel[i*nc+c])
			}
			if bias != nil {
				s += float64(bias[c])
			}
			out[j*nc+c] = float32(s)
		}
	}
	return out, nil
}
