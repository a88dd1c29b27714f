package fastconv

import (
	"github.com/gomlx/compute"
)

// patches extracts the im2col patch tensor from the canonical input
// xc = [G?, N, I_1..I_S, Cg]:
//
//	patches[g, n, o_1..o_S, k_1..k_S, c] = xp[g, n, o_1·s_1 + k_1·d_1, …, o_S·s_S + k_S·d_S, c]
//
// where xp is xc zero-padded (and, for input dilation, with zeros inserted
// between its elements). It is one Pad and one Gather: the Gather's start
// indices enumerate the output positions, and each gathered slice is the
// window [G, N, K_1..K_S, Cg], copied in contiguous runs of K_S·Cg values.
// A kernel-dilated axis cannot be a window axis (its taps are not adjacent),
// so its taps are enumerated by the start indices too, with a slice of size 1.
func (p *plan) patches(o *ops, xc compute.Value) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial
	xp := o.pad(xc, p.dtype, p.spatialPads(true))

	dilated := make([]bool, s)
	var dilatedAxes []int
	for a := range s {
		dilated[a] = p.kDil[a] > 1 && p.kSize[a] > 1
		if dilated[a] {
			dilatedAxes = append(dilatedAxes, a)
		}
	}

	// Start indices: [O_1..O_S, K_a for dilated a..., S].
	var idxDims []int
	idxDims = append(idxDims, p.outSize...)
	for _, a := range dilatedAxes {
		idxDims = append(idxDims, p.kSize[a])
	}
	count := 1
	for _, d := range idxDims {
		count *= d
	}
	flat := make([]int32, 0, count*s)
	counter := make([]int, len(idxDims))
	for range count {
		for a := range s {
			v := counter[a] * p.strides[a]
			flat = append(flat, int32(v))
		}
		for i, a := range dilatedAxes {
			flat[len(flat)-s+a] += int32(counter[s+i] * p.kDil[a])
		}
		for i := len(counter) - 1; i >= 0; i-- {
			counter[i]++
			if counter[i] < idxDims[i] {
				break
			}
			counter[i] = 0
		}
	}
	indices := o.constInt32(flat, append(idxDims, s)...)

	// Gather configuration.
	startIndexMap := iota(g0+1, s)
	var sliceSizes, collapsed, offsets []int
	outRank := g0 + 2 + 2*s
	if g0 == 1 {
		sliceSizes = append(sliceSizes, p.groups)
		offsets = append(offsets, 0)
	}
	sliceSizes = append(sliceSizes, p.n)
	offsets = append(offsets, g0)
	for a := range s {
		if dilated[a] {
			sliceSizes = append(sliceSizes, 1)
			collapsed = append(collapsed, g0+1+a)
			continue
		}
		sliceSizes = append(sliceSizes, p.kSize[a])
		offsets = append(offsets, g0+1+s+a)
	}
	sliceSizes = append(sliceSizes, p.cg)
	offsets = append(offsets, outRank-1)
	return o.gather(xp, indices, len(idxDims), offsets, collapsed, startIndexMap, sliceSizes)
}
