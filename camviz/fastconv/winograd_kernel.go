package fastconv

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

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
