package fastconv

import (
	"github.com/gomlx/compute"
)

// phaseAxis is the polyphase decomposition of one spatial axis of a
// stride-1 convolution with input dilation D (see lowerPolyphase).
type phaseAxis struct {
	phases     int     // R = D
	eMin, step int     // input offset of sub-kernel tap j: eMin + j·step
	taps       int     // Kp, taps of the sub-kernels
	q          int     // Q = ceil(O/D), outputs per phase
	tap        [][]int // tap[j][r]: kernel tap k feeding sub-kernel tap j of phase r, or -1
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// newPhaseAxis decomposes one axis: with y = D·q + r, tap k of the kernel
// reads input element q + e with e = (r + k·d - lo)/D, and only when D
// divides r + k·d - lo; otherwise it reads an inserted zero.
func newPhaseAxis(bigD, d, lo, k, o int) phaseAxis {
	pa := phaseAxis{phases: bigD, q: (o + bigD - 1) / bigD}
	type use struct{ r, k, e int }
	var uses []use
	for r := range bigD {
		for kk := range k {
			if z := r + kk*d - lo; z%bigD == 0 {
				uses = append(uses, use{r, kk, z / bigD})
			}
		}
	}
	pa.eMin, pa.step = uses[0].e, 0
	eMax := uses[0].e
	for _, u := range uses {
		pa.eMin, eMax = min(pa.eMin, u.e), max(eMax, u.e)
	}
	for _, u := range uses {
		pa.step = gcd(pa.step, u.e-pa.eMin)
	}
	pa.step = max(pa.step, 1)
	pa.taps = (eMax-pa.eMin)/pa.step + 1
	pa.tap = make([][]int, pa.taps)
	for j := range pa.tap {
		pa.tap[j] = make([]int, bigD)
		for r := range pa.tap[j] {
			pa.tap[j][r] = -1
		}
	}
	for _, u := range uses {
		pa.tap[(u.e-pa.eMin)/pa.step][u.r] = u.k
	}
	return pa
}

// polyphase returns the decomposition of every spatial axis if the lowering
// applies (unit strides, some input dilation, 2 or more taps) and reads
// fewer patch values than the plain lowering of the dilated input.
func (p *plan) polyphase() ([]phaseAxis, bool) {
	if !allOnes(p.strides) || allOnes(p.inDil) || p.pointwise() {
		return nil, false
	}
	axes := make([]phaseAxis, p.spatial)
	plain, poly := 1, 1
	for a := range p.spatial {
		axes[a] = newPhaseAxis(p.inDil[a], p.kDil[a], p.pads[a][0], p.kSize[a], p.outSize[a])
		plain *= p.outSize[a] * p.kSize[a]
		poly *= axes[a].q * axes[a].phases * axes[a].taps
	}
	return axes, poly < plain
}

// lowerPolyphase computes a stride-1 convolution with input dilation D
// without multiplying the inserted zeros (the "sub-pixel convolution" form of
// a transposed convolution, Shi et al. 2016, "Real-Time Single Image and
// Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural
// Network"). Per axis, output y = D·q + r (phase r) is
//
//	out[D·q + r] = Σ_j x[q + eMin + j·step] · W'[j, r],   W'[j, r] = k[tap[j][r]] (0 if none)
//
// so the R = ∏D phases become R·Og output channels of ONE convolution of the
// undilated input with the sub-kernels W' (gathered from the kernel), whose
// output [G?, N, Q…, (R…, Og)] is interleaved back to [G?, N, (Q·D)…, Og] and
// cropped to O. It returns [G?, N, O_1..O_S, Og].
func (p *plan) lowerPolyphase(o *ops, xc, kc compute.Value, axes []phaseAxis, batch []int) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial

	// Sub-kernels W' [G?, Kp…, Cg, R…, Og], gathered from the kernel padded
	// with one zero tap at the end of each spatial axis (tap -1 reads it).
	kcfg := make([]compute.PadAxis, g0+s+2)
	for a := range s {
		kcfg[g0+a].End = 1
	}
	kp := o.pad(kc, p.dtype, kcfg)
	var idxDims []int
	for a := range s {
		idxDims = append(idxDims, axes[a].taps)
	}
	rTotal := 1
	for a := range s {
		idxDims = append(idxDims, axes[a].phases)
		rTotal *= axes[a].phases
	}
	count := 1
	for _, d := range idxDims {
		count *= d
	}
	flat := make([]int32, 0, count*s)
	counter := make([]int, 2*s)
	for range count {
		for a := range s {
			k := axes[a].tap[counter[a]][counter[s+a]]
			if k < 0 {
				k = p.kSize[a]
			}
			flat = append(flat, int32(k))
		}
		for i := 2*s - 1; i >= 0; i-- {
			counter[i]++
			if counter[i] < idxDims[i] {
				break
			}
			counter[i] = 0
		}
	}
	indices := o.constInt32(flat, append(idxDims, s)...)
	var sliceSizes, offsets []int
	if g0 == 1 {
		sliceSizes, offsets = append(sliceSizes, p.groups), append(offsets, 0)
	}
	for range s {
		sliceSizes = append(sliceSizes, 1)
	}
	sliceSizes = append(sliceSizes, p.cg, p.og)
	offsets = append(offsets, g0+s, g0+2*s+1)
	sub := o.gather(kp, indices, 2*s, offsets, iota(g0, s), iota(g0, s), sliceSizes)
	var subDims []int
	if g0 == 1 {
		subDims = append(subDims, p.groups)
	}
	for a := range s {
		subDims = append(subDims, axes[a].taps)
	}
	sub = o.reshape(sub, append(subDims, p.cg, rTotal*p.og))

	// The sub-convolution: undilated input, Kp taps spaced by step, Q outputs.
	sp := *p
	sp.inDil, sp.strides = make([]int, s), make([]int, s)
	sp.kSize, sp.kDil, sp.outSize = make([]int, s), make([]int, s), make([]int, s)
	sp.pads = make([][2]int, s)
	for a, pa := range axes {
		sp.inDil[a], sp.strides[a] = 1, 1
		sp.kSize[a], sp.kDil[a], sp.outSize[a] = pa.taps, pa.step, pa.q
		eMax := pa.eMin + (pa.taps-1)*pa.step
		sp.pads[a] = [2]int{-pa.eMin, pa.q + eMax - p.inSize[a]}
	}
	sp.og = rTotal * p.og
	y := sp.patchDot(o, xc, sub, iota(g0, s+1), batch)

	// Interleave: [G?, N, Q…, R…, Og] → [G?, N, Q_1, R_1, …, Og] → [G?, N, Q_1·R_1, …, Og].
	dims := []int{}
	if g0 == 1 {
		dims = append(dims, p.groups)
	}
	dims = append(dims, p.n)
	for a := range s {
		dims = append(dims, axes[a].q)
	}
	for a := range s {
		dims = append(dims, axes[a].phases)
	}
	dims = append(dims, p.og)
	y = o.reshape(y, dims)
	perm := iota(0, g0+1)
	var merged []int
	merged = append(merged, dims[:g0+1]...)
	for a := range s {
		perm = append(perm, g0+1+a, g0+1+s+a)
		merged = append(merged, axes[a].q*axes[a].phases)
	}
	perm = append(perm, g0+1+2*s)
	merged = append(merged, p.og)
	y = o.reshape(o.transpose(y, perm), merged)

	// Crop to O on each spatial axis.
	rank := len(merged)
	starts, limits, strides := make([]int, rank), slicesClone(merged), make([]int, rank)
	for i := range strides {
		strides[i] = 1
	}
	for a := range s {
		limits[g0+1+a] = p.outSize[a]
	}
	return o.slice(y, starts, limits, strides)
}

func slicesClone(v []int) []int { return append([]int(nil), v...) }
