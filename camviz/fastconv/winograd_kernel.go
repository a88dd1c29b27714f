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
	strides := rowMajorStrides(p.kDims)
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
	// Per input channel: its 9 taps as [tap, Cout] rows in float64, then each of U's α²
	// rows U[ξ, ci, :] = Σ_tap GG[ξ,tap]·row[tap] over the non-zero coefficients (64 of
	// F(2×2)'s 144), rounded once into the output's dtype. The buffers are one input
	// channel's, so the only large allocation is U itself (a graph build transforms
	// every wide kernel of the model: full-size float64 scratch copies made ~200 MB of
	// garbage per ResNet-18 compile).
	sh, sw := strides[a.KernelSpatial[0]], strides[a.KernelSpatial[1]]
	sc, so := strides[a.KernelInputChannels], strides[a.KernelOutputChannels]
	taps := make([]float64, 9*cOut)
	acc := make([]float64, cOut)
	var u32 []float32
	var u64 []float64
	if p.dtype == dtypes.Float64 {
		u64 = make([]float64, a2*cIn*cOut)
	} else {
		u32 = make([]float32, a2*cIn*cOut)
	}
	for ci := range cIn {
		for t := range 9 {
			base := (t/3)*sh + (t%3)*sw + ci*sc
			row := taps[t*cOut : (t+1)*cOut]
			for co := range row {
				row[co] = at(base + co*so)
			}
		}
		for xi := range a2 {
			clear(acc)
			for t, g := range gg[xi*9 : xi*9+9] {
				if g == 0 {
					continue
				}
				for co, v := range taps[t*cOut : (t+1)*cOut] {
					acc[co] += g * v
				}
			}
			off := (xi*cIn + ci) * cOut
			if u64 != nil {
				copy(u64[off:off+cOut], acc)
				continue
			}
			for co, v := range acc {
				u32[off+co] = float32(v)
			}
		}
	}
	if o.err != nil {
		return nil
	}
	var v compute.Value
	if u64 != nil {
		v, o.err = o.f.Constant(u64, a2, cIn, cOut)
	} else {
		v, o.err = o.f.Constant(u32, a2, cIn, cOut)
	}
	return v
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
