package fastconv

import (
	"github.com/gomlx/compute"
)

// lower adds to f the ops computing the convolution of x with k described by
// p, and returns the output in the layout p.axes asks for. kConst is the
// kernel's flat data when k is a graph constant, else nil.
func (p *plan) lower(f compute.Function, x, k compute.Value, kConst any) (compute.Value, error) {
	o := &ops{f: f}
	var batch []int
	if p.groupAxes() == 1 {
		batch = []int{0}
	}
	xc := p.canonicalInput(o, x) // [G?, N, I_1..I_S, Cg]
	var y compute.Value          // [G?, N, O_1..O_S, Og]
	phases, poly := p.polyphase()
	wino := p.winogradChoice(kConst != nil)
	switch {
	case p.pointwise() && (allOnes(p.inDil) || allOnes(p.strides)):
		y = p.lowerPointwise(o, xc, p.canonicalKernel(o, k), batch)
	case poly:
		y = p.lowerPolyphase(o, xc, p.canonicalKernel(o, k), phases, batch)
	case wino != nil:
		var u compute.Value
		if kConst != nil {
			u = p.winogradKernelConst(o, wino, kConst)
		} else {
			u = p.winogradKernel(o, wino, p.canonicalKernel(o, k))
		}
		y = p.lowerWinograd(o, wino, xc, u)
		p.winograd = wino
	case p.kernelChannelsLast():
		// [Og, K_1..K_S, Cg]: the product's "transposed" layout.
		y = p.patchDot(o, xc, p.outerOutputKernel(o, k), iota(1, p.spatial+1), batch)
	default:
		g0 := p.groupAxes() // [G?, K_1..K_S, Cg, Og]
		y = p.patchDot(o, xc, p.canonicalKernel(o, k), iota(g0, p.spatial+1), batch)
	}
	out := p.toOutput(o, y)
	return out, o.err
}

// groupAxes is 1 if the canonical tensors carry a leading group axis, else 0.
func (p *plan) groupAxes() int {
	if p.groups > 1 {
		return 1
	}
	return 0
}

func (p *plan) pointwise() bool { return allOnes(p.kSize) }

func allOnes(v []int) bool {
	for _, x := range v {
		if x != 1 {
			return false
		}
	}
	return true
}

// splitAxis returns dims with axis split into (groups, dims[axis]/groups) when
// groups > 1, and pos, the position in the split dims of each original axis
// (for the split axis, the position of its groups part).
func splitAxis(dims []int, axis, groups int) (split, pos []int) {
	pos = make([]int, len(dims))
	for i, d := range dims {
		pos[i] = len(split)
		if i == axis && groups > 1 {
			split = append(split, groups, d/groups)
			continue
		}
		split = append(split, d)
	}
	return split, pos
}

// canonicalInput reshapes and transposes x to [G?, N, I_1..I_S, Cg].
// With channel groups the channel axis is split as (G, Cg); with batch groups
// the batch axis is split as (G, N): the group index is the outer one, as in
// XLA's (and the Go backend's) ConvGeneral.
func (p *plan) canonicalInput(o *ops, x compute.Value) compute.Value {
	a := p.axes
	splitAt := a.InputChannels
	if p.batchGrp {
		splitAt = a.InputBatch
	}
	dims, pos := splitAxis(p.inDims, splitAt, p.groups)
	var perm []int
	nPos, cPos := pos[a.InputBatch], pos[a.InputChannels]
	if p.groups > 1 {
		perm = append(perm, pos[splitAt])
		if p.batchGrp {
			nPos++
		} else {
			cPos++
		}
	}
	perm = append(perm, nPos)
	for _, ax := range a.InputSpatial {
		perm = append(perm, pos[ax])
	}
	perm = append(perm, cPos)
	return o.transpose(o.reshape(x, dims), perm)
}

// canonicalKernel reshapes and transposes k to [G?, K_1..K_S, Cg, Og], the
// output channels split as (G, Og).
func (p *plan) canonicalKernel(o *ops, k compute.Value) compute.Value {
	a := p.axes
	dims, pos := splitAxis(p.kDims, a.KernelOutputChannels, p.groups)
	var perm []int
	ogPos := pos[a.KernelOutputChannels]
	if p.groups > 1 {
		perm = append(perm, ogPos)
		ogPos++
	}
	for _, ax := range a.KernelSpatial {
		perm = append(perm, pos[ax])
	}
	perm = append(perm, pos[a.KernelInputChannels], ogPos)
	return o.transpose(o.reshape(k, dims), perm)
}

// kernelChannelsLast reports whether the kernel's input channels are its
// last axis with no groups, as in the kernel of GoMLX's gradient w.r.t. the
// input of a channels-last convolution ([K_1..K_S, Og, Cg]: the forward
// kernel with its channel axes swapped).
func (p *plan) kernelChannelsLast() bool {
	return p.groups == 1 && p.axes.KernelInputChannels == len(p.kDims)-1
}

// outerOutputKernel transposes k (see kernelChannelsLast) to [Og, K_1..K_S, Cg],
// which the DotGeneral contracts over its trailing axes (the Go backend's
// "transposed" GEMM layout). For [K…, Og, Cg] this copies whole runs of Cg
// values, where the [K…, Cg, Og] layout transposes every element (for
// ResNet-18's input gradients, 11M kernel elements per backward pass).
func (p *plan) outerOutputKernel(o *ops, k compute.Value) compute.Value {
	a := p.axes
	perm := []int{a.KernelOutputChannels}
	perm = append(perm, a.KernelSpatial...)
	perm = append(perm, a.KernelInputChannels)
	return o.transpose(k, perm)
}

// toOutput transposes y = [G?, N, O_1..O_S, Og] to the output layout, merging
// (G, Og) into the output channel axis.
func (p *plan) toOutput(o *ops, y compute.Value) compute.Value {
	a := p.axes
	g0 := p.groupAxes()
	var perm []int
	for ax := range p.outDims {
		switch ax {
		case a.OutputBatch:
			perm = append(perm, g0)
		case a.OutputChannels:
			if g0 == 1 {
				perm = append(perm, 0)
			}
			perm = append(perm, g0+1+p.spatial)
		default:
			for i, sp := range a.OutputSpatial {
				if sp == ax {
					perm = append(perm, g0+1+i)
				}
			}
		}
	}
	return o.reshape(o.transpose(y, perm), p.outDims)
}

// spatialPads returns the PadAxis configuration of the canonical input
// [G?, N, I_1..I_S, Cg] for the convolution's paddings and input dilations.
func (p *plan) spatialPads(withInterior bool) []compute.PadAxis {
	g0 := p.groupAxes()
	cfg := make([]compute.PadAxis, g0+2+p.spatial)
	for a := range p.spatial {
		c := compute.PadAxis{Start: p.pads[a][0], End: p.pads[a][1]}
		if withInterior {
			c.Interior = p.inDil[a] - 1
		}
		cfg[g0+1+a] = c
	}
	return cfg
}

// lowerPointwise handles 1x1 kernels, where the convolution is a per-position
// linear map of the channels, which commutes with zero padding, input
// dilation and strided sub-sampling: those are applied on whichever side of
// the DotGeneral is smaller. It requires no input dilation or unit strides.
func (p *plan) lowerPointwise(o *ops, xc, kc compute.Value, batch []int) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial
	var kdims []int
	if g0 == 1 {
		kdims = append(kdims, p.groups)
	}
	kc = o.reshape(kc, append(kdims, p.cg, p.og)) // [G?, Cg, Og]
	if allOnes(p.inDil) {
		xp := o.pad(xc, p.dtype, p.spatialPads(false))
		rank := g0 + 2 + s
		starts, limits, strides := make([]int, rank), make([]int, rank), make([]int, rank)
		for i := range rank {
			strides[i] = 1
		}
		if g0 == 1 {
			limits[0] = p.groups
		}
		limits[g0], limits[rank-1] = p.n, p.cg
		for a := range s {
			limits[g0+1+a] = (p.outSize[a]-1)*p.strides[a] + 1
			strides[g0+1+a] = p.strides[a]
		}
		xs := o.slice(xp, starts, limits, strides)
		return o.dot(xs, []int{rank - 1}, batch, kc, []int{g0}, batch)
	}
	// Unit strides: dilate and pad after the product.
	y := o.dot(xc, []int{g0 + 1 + s}, batch, kc, []int{g0}, batch)
	return o.pad(y, p.dtype, p.spatialPads(true))
}
