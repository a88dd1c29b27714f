package fastconv

import (
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// WinogradMode says when a 3×3 stride-1 convolution is computed with Winograd's
// minimal filtering algorithm F(2×2, 3×3) instead of patches + one product.
type WinogradMode int

const (
	// WinogradAuto uses it for the convolutions where it measured faster
	// (see WinogradMinTiles).
	WinogradAuto WinogradMode = 0
	// WinogradOn uses it for every eligible convolution, with the algorithm
	// WinogradAuto would pick, or F(2×2, 3×3) where Auto would not use it.
	WinogradOn WinogradMode = 1
	// WinogradOff never uses it.
	WinogradOff WinogradMode = 2
	// WinogradF2 uses F(2×2, 3×3) for every eligible convolution.
	WinogradF2 WinogradMode = 3
	// WinogradF4 uses F(4×4, 3×3) for every eligible convolution.
	WinogradF4 WinogradMode = 4
)

// Winograd is the mode the lowering uses, read when a graph is built.
var Winograd = WinogradAuto

// WinogradAuto takes F(2×2, 3×3) for convolutions with at least
// WinogradMinChannels input and output channels (with fewer, the 16 products
// [tiles, Cin]·[Cin, Cout] are too thin for the Go backend's packed kernel:
// ResNet-18's 3×3 convolutions at 56×56×64 took 2.2 ms against 1.7 with patches,
// at batch 1) and enough output tiles (batch × ⌈Ho/2⌉ × ⌈Wo/2⌉):
//
//   - WinogradMinTiles when the kernel is computed in the graph (a parameter, or
//     the reversed kernel of an input gradient): its transform then costs
//     144·Cin·Cout multiply-adds per call, against 16·tiles·Cin·Cout for the
//     products themselves;
//   - WinogradMinConstTiles when it is a graph constant, transformed once: below
//     it, the products have too few rows to pay for streaming the transformed
//     kernel, 16/9 of the original's size.
//
// F(4×4, 3×3) needs 2.25 multiply-adds per output and channel pair instead of 4,
// but its float32 round-off is about 20 times larger (TestWinogradAccuracyResNet),
// which ill-conditioned methods amplify (FullGrad on pytorch-grad-cam's model A:
// 0.6% instead of 4e-7). WinogradAuto takes it, with the same thresholds, only
// inside a ScoreRegion (the re-runs of perturbation methods, which keep only the
// score of each pass); WinogradF4 selects it everywhere.
var (
	WinogradMinChannels   = 128
	WinogradMinTiles      = 64
	WinogradMinConstTiles = 16
)

// winogradAlgo is one of Winograd's minimal filtering algorithms F(m×m, 3×3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR
// 2016), for the correlation CNNs compute (y[i] = Σ_k d[i+k]·g[k]): for an α×α
// input tile d (α = m+2) and a 3×3 filter g, the m×m output tile is
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// F(2, 3) in one dimension: y0 = m1+m2+m3 and y1 = m2−m3−m4 with
// m1 = (d0−d2)g0, m2 = (d1+d2)(g0+g1+g2)/2, m3 = (d2−d1)(g0−g1+g2)/2,
// m4 = (d1−d3)g2: four multiplications for two outputs instead of six. In two
// dimensions each of the α² transformed positions ξ is one matrix product over
// the input channels, V_ξ [tiles, Cin] · U_ξ [Cin, Cout]: α²/m² multiply-adds
// per output and channel pair instead of 9 (F(2×2): 4, F(4×4): 2.25).
type winogradAlgo struct {
	m      int // output tile size
	bt, at [][]float64
	g      [][3]float64
}

// alpha is the input tile size m+2.
func (w *winogradAlgo) alpha() int { return w.m + 2 }

var (
	// winogradF2 is F(2×2, 3×3), interpolation points 0, 1, −1 and ∞.
	winogradF2 = &winogradAlgo{m: 2,
		bt: [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
		g:  [][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
		at: [][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}},
	}
	// winogradF4 is F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞.
	winogradF4 = &winogradAlgo{m: 4,
		bt: [][]float64{
			{4, 0, -5, 0, 1, 0},
			{0, -4, -4, 1, 1, 0},
			{0, 4, -4, -1, 1, 0},
			{0, -2, -1, 2, 1, 0},
			{0, 2, -1, -2, 1, 0},
			{0, 4, 0, -5, 0, 1},
		},
		g: [][3]float64{
			{1. / 4, 0, 0},
			{-1. / 6, -1. / 6, -1. / 6},
			{-1. / 6, 1. / 6, -1. / 6},
			{1. / 24, 1. / 12, 1. / 6},
			{1. / 24, -1. / 12, 1. / 6},
			{0, 0, 1},
		},
		at: [][]float64{
			{1, 1, 1, 1, 1, 0},
			{0, 1, -1, 2, -2, 0},
			{0, 1, 1, 4, 4, 0},
			{0, 1, -1, 8, -8, 1},
		},
	}
)

// inputMatrix returns Bᵀ⊗Bᵀ as [α² (ξ,ν), α² (i,j)]: V[ξν] = Σ_ij BT[ξ,i]·BT[ν,j]·d[i,j].
func (w *winogradAlgo) inputMatrix() []float64 {
	a := w.alpha()
	m := make([]float64, 0, a*a*a*a)
	for xi := range a {
		for nu := range a {
			for i := range a {
				for j := range a {
					m = append(m, w.bt[xi][i]*w.bt[nu][j])
				}
			}
		}
	}
	return m
}

// kernelMatrix returns G⊗G as [α² (ξ,ν), 9 (i,j)]: U[ξν] = Σ_ij G[ξ,i]·G[ν,j]·g[i,j].
func (w *winogradAlgo) kernelMatrix() []float64 {
	a := w.alpha()
	m := make([]float64, 0, a*a*9)
	for xi := range a {
		for nu := range a {
			for i := range 3 {
				for j := range 3 {
					m = append(m, w.g[xi][i]*w.g[nu][j])
				}
			}
		}
	}
	return m
}

// outputMatrix returns Aᵀ⊗Aᵀ as [m² (a,b), α² (ξ,ν)]: Y[ab] = Σ_ξν AT[a,ξ]·AT[b,ν]·M[ξν].
func (w *winogradAlgo) outputMatrix() []float64 {
	al := w.alpha()
	m := make([]float64, 0, w.m*w.m*al*al)
	for a := range w.m {
		for b := range w.m {
			for xi := range al {
				for nu := range al {
					m = append(m, w.at[a][xi]*w.at[b][nu])
				}
			}
		}
	}
	return m
}

// winogradEligible reports whether the convolution is one F(m×m, 3×3)
// computes: 2-D, 3×3 kernel, unit strides and dilations, no groups.
func (p *plan) winogradEligible() bool {
	if p.spatial != 2 || p.groups != 1 {
		return false
	}
	for a := range 2 {
		if p.kSize[a] != 3 || p.strides[a] != 1 || p.inDil[a] != 1 || p.kDil[a] != 1 {
			return false
		}
	}
	return true
}

// tiles returns the output tile grid of w for p: ⌈Ho/m⌉, ⌈Wo/m⌉.
func (w *winogradAlgo) tiles(p *plan) (th, tw int) {
	return (p.outSize[0] + w.m - 1) / w.m, (p.outSize[1] + w.m - 1) / w.m
}

// winogradChoice returns the algorithm the Winograd mode lowers an eligible
// convolution with, or nil for the patch product; constKernel says whether the
// kernel's transform can be computed once when the graph is built.
func (p *plan) winogradChoice(constKernel bool) *winogradAlgo {
	if !p.winogradEligible() {
		return nil
	}
	switch Winograd {
	case WinogradOff:
		return nil
	case WinogradOn, WinogradF2:
		return winogradF2
	case WinogradF4:
		return winogradF4
	}
	if p.cg < WinogradMinChannels || p.og < WinogradMinChannels {
		return nil
	}
	algos := []*winogradAlgo{winogradF2}
	if p.scoreRegion {
		algos = []*winogradAlgo{winogradF4, winogradF2}
	}
	for _, w := range algos {
		th, tw := w.tiles(p)
		if tiles := p.n * th * tw; tiles >= WinogradMinTiles || (constKernel && tiles >= WinogradMinConstTiles) {
			return w
		}
	}
	return nil
}

// lowerWinograd computes the convolution of the canonical input
// xc = [N, H, W, Cin] with w (see winogradAlgo): u is the transformed kernel
// [α², Cin, Cout] (winogradKernel or winogradKernelConst). It returns
// [N, Ho, Wo, Cout].
//
// The output is cut into T_h × T_w tiles of m×m (the last row and column of
// tiles padded when m does not divide Ho or Wo), each reading an α×α input
// tile; tiles overlap by two rows and columns. Per chunk of tile rows
// (winogradChunkRows), three matrix products do the work:
//
//  1. V [α², M, Cin] = (Bᵀ⊗Bᵀ) [α², α²] · D [α², M·Cin], where D[(i,j), t, c] is
//     input value (i,j) of tile t: one Gather of the α² shifted tile grids from
//     the input split by phase modulo m (tap (i,j) is the contiguous block of
//     phase (i mod m, j mod m) at offset (i div m, j div m)).
//  2. P [α², M, Cout] = V_ξ · U_ξ, batched over the α² positions ξ.
//  3. Y [m², M·Cout] = (Aᵀ⊗Aᵀ) [m², α²] · P, interleaved back to [N, m·rows, m·T_w, Cout].
//
// The chunks are concatenated and cropped to [N, Ho, Wo, Cout].
func (p *plan) lowerWinograd(o *ops, w *winogradAlgo, xc, u compute.Value) compute.Value {
	n, c, m := p.n, p.cg, w.m
	th, tw := w.tiles(p)
	hp, wp := m*(th+1), m*(tw+1) // padded input: m·T+2 rows cover every tile, rounded to m

	cfg := make([]compute.PadAxis, 4)
	for a, size := range []int{hp, wp} {
		padded := p.inSize[a] + p.pads[a][0] + p.pads[a][1]
		cfg[1+a] = compute.PadAxis{Start: p.pads[a][0], End: p.pads[a][1] + size - padded}
	}
	xp := o.pad(xc, p.dtype, cfg) // [N, hp, wp, C]

	// Split rows and columns by phase: [m (row phase), m (col phase), N, hp/m, wp/m, C].
	xs := o.transpose(o.reshape(xp, []int{n, hp / m, m, wp / m, m, c}), []int{2, 4, 0, 1, 3, 5})
	a2 := w.alpha() * w.alpha()
	bt := o.constFloat(p.dtype, w.inputMatrix(), a2, a2)
	at := o.constFloat(p.dtype, w.outputMatrix(), m*m, a2)
	rows := p.winogradChunkRows(w)
	var parts []compute.Value
	for r := 0; r < th; r += rows {
		parts = append(parts, p.winogradRows(o, w, xs, u, bt, at, r, min(r+rows, th)))
	}
	y := o.concatenate(1, parts...) // [N, m·th, m·tw, Cout]
	return o.slice(y, []int{0, 0, 0, 0}, []int{n, p.outSize[0], p.outSize[1], p.og}, []int{1, 1, 1, 1})
}

// winogradRows computes the output tile rows [r0, r1) of lowerWinograd from
// the phase-split input xs: [N, m·(r1−r0), m·T_w, Cout].
func (p *plan) winogradRows(o *ops, w *winogradAlgo, xs, u, bt, at compute.Value, r0, r1 int) compute.Value {
	n, c, k, m, al := p.n, p.cg, p.og, w.m, w.alpha()
	rows := r1 - r0
	_, tw := w.tiles(p)
	idx := make([]int32, 0, al*al*4)
	for i := range al {
		for j := range al {
			idx = append(idx, int32(i%m), int32(j%m), int32(r0+i/m), int32(j/m))
		}
	}
	indices := o.constInt32(idx, al*al, 4)
	// D [α², N, rows, tw, C]: axes 0, 1 collapsed; each slice is contiguous in runs of tw·C.
	d := o.gather(xs, indices, 1, []int{1, 2, 3, 4}, []int{0, 1}, []int{0, 1, 3, 4}, []int{1, 1, n, rows, tw, c})
	t := n * rows * tw
	v := o.reshape(o.dot(bt, []int{1}, nil, o.reshape(d, []int{al * al, t * c}), []int{0}, nil), []int{al * al, t, c})
	prod := o.dot(v, []int{2}, []int{0}, u, []int{1}, []int{0})                          // [α², M, Cout]
	y := o.dot(at, []int{1}, nil, o.reshape(prod, []int{al * al, t * k}), []int{0}, nil) // [m², M·Cout]
	y = o.transpose(o.reshape(y, []int{m, m, n, rows, tw, k}), []int{2, 3, 0, 4, 1, 5})
	return o.reshape(y, []int{n, m * rows, m * tw, k})
}

// winogradChunkRows returns how many tile rows lowerWinograd transforms and
// multiplies at once: as many as keep the gathered tiles D within
// ChunkPatchBytes, but at least ChunkMinRows tiles (each chunk's product
// streams the whole transformed kernel), at least one row, at most all.
func (p *plan) winogradChunkRows(w *winogradAlgo) int {
	th, tw := w.tiles(p)
	al := w.alpha()
	rowBytes := int64(al*al) * int64(p.n) * int64(tw) * int64(p.cg) * int64(p.dtype.Size())
	rows := int(max(1, min(int64(th), ChunkPatchBytes/max(rowBytes, 1))))
	perRow := p.n * tw
	return min(th, max(rows, (ChunkMinRows+perRow-1)/perRow))
}

// winogradKernel transforms the canonical kernel kc = [3, 3, Cin, Cout] inside
// the graph: U [α², Cin, Cout] = (G⊗G) [α², 9] · kc [9, Cin·Cout].
func (p *plan) winogradKernel(o *ops, w *winogradAlgo, kc compute.Value) compute.Value {
	a2 := w.alpha() * w.alpha()
	g := o.constFloat(p.dtype, w.kernelMatrix(), a2, 9)
	u := o.dot(g, []int{1}, nil, o.reshape(kc, []int{9, p.cg * p.og}), []int{0}, nil)
	return o.reshape(u, []int{a2, p.cg, p.og})
}

// winogradKernelConst transforms a constant kernel when the graph is built and
// returns U [α², Cin, Cout] as a graph constant (whose packing the Go backend's
// product caches). kernel is the kernel's flat data in its own layout
// (p.kDims, p.axes), float32 or float64. The sums are in float64.
func (p *plan) winogradKernelConst(o *ops, w *winogradAlgo, kernel any) compute.Value {
	a := p.axes
	strides := make([]int, len(p.kDims))
	s := 1
	for ax := len(p.kDims) - 1; ax >= 0; ax-- {
		strides[ax] = s
		s *= p.kDims[ax]
	}
	var at func(i int) float64
	switch flat := kernel.(type) {
	case []float32:
		at = func(i int) float64 { return float64(flat[i]) }
	case []float64:
		at = func(i int) float64 { return flat[i] }
	default:
		o.err = notCovered("constant kernel of type %T", kernel)
		return nil
	}
	gg := w.kernelMatrix()
	a2 := w.alpha() * w.alpha()
	cIn, cOut := p.cg, p.og
	pairs := cIn * cOut
	// The kernel as [tap (i,j), Cin, Cout] in float64, then U[ξ] = Σ_tap GG[ξ,tap]·g[tap]
	// as one pass over the contiguous [Cin, Cout] block per non-zero coefficient (64 of
	// F(2×2)'s 144): ~10 ms for a 3×3×512×512 kernel where a loop over channel pairs
	// reading 9 strided taps each took ~100 ms.
	taps := make([]float64, 9*pairs)
	sh, sw := strides[a.KernelSpatial[0]], strides[a.KernelSpatial[1]]
	sc, so := strides[a.KernelInputChannels], strides[a.KernelOutputChannels]
	for i := range 3 {
		for j := range 3 {
			block := taps[(i*3+j)*pairs : (i*3+j+1)*pairs]
			for ci := range cIn {
				base := i*sh + j*sw + ci*sc
				row := block[ci*cOut : (ci+1)*cOut]
				for co := range row {
					row[co] = at(base + co*so)
				}
			}
		}
	}
	u := make([]float64, a2*pairs)
	for xi := range a2 {
		dst := u[xi*pairs : (xi+1)*pairs]
		for t, g := range gg[xi*9 : xi*9+9] {
			if g == 0 {
				continue
			}
			for n, v := range taps[t*pairs : (t+1)*pairs] {
				dst[n] += g * v
			}
		}
	}
	return o.constFloat(p.dtype, u, a2, cIn, cOut)
}

// constFloat adds a constant of the given float dtype from float64 values.
func (o *ops) constFloat(dtype dtypes.DType, flat []float64, dims ...int) compute.Value {
	if o.err != nil {
		return nil
	}
	var v compute.Value
	if dtype == dtypes.Float64 {
		v, o.err = o.f.Constant(flat, dims...)
		return v
	}
	f32 := make([]float32, len(flat))
	for i, x := range flat {
		f32[i] = float32(x)
	}
	v, o.err = o.f.Constant(f32, dims...)
	return v
}

func init() {
	switch os.Getenv("FASTCONV_WINOGRAD") {
	case "off":
		Winograd = WinogradOff
	case "on":
		Winograd = WinogradOn
	case "f2":
		Winograd = WinogradF2
	case "f4":
		Winograd = WinogradF4
	}
}
