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
//
// A kernel-dilated axis (d > 1) is first split by phase, i ↦ (i mod d, i div d),
// with the phase axes moved before the spatial ones: tap o·s + k·d is then
// element (o·s div d) + k of phase o·s mod d, so the window over k is
// contiguous again and the copy runs stay long.
func (p *plan) patches(o *ops, xc compute.Value) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial

	// Padded sizes, rounded up to a multiple of the dilation on dilated axes.
	cfg := p.spatialPads(true)
	padded := make([]int, s)
	dilated := make([]bool, s)
	var dilatedAxes []int
	for a := range s {
		padded[a] = (p.inSize[a]-1)*p.inDil[a] + 1 + p.pads[a][0] + p.pads[a][1]
		dilated[a] = p.kDil[a] > 1 && p.kSize[a] > 1
		if dilated[a] {
			dilatedAxes = append(dilatedAxes, a)
			d := p.kDil[a]
			extra := (d - padded[a]%d) % d
			cfg[g0+1+a].End += extra
			padded[a] += extra
		}
	}
	xp := o.pad(xc, p.dtype, cfg)

	// Phase split of the dilated axes: [G?, N, φ_a (dilated a)…, P_1 (or P_a/d_a)…, Cg].
	nd := len(dilatedAxes)
	if nd > 0 {
		var split []int
		if g0 == 1 {
			split = append(split, p.groups)
		}
		split = append(split, p.n)
		perm := iota(0, g0+1)
		pos := make([]int, s) // position of spatial axis a in split; its phase is at pos+1
		for a := range s {
			pos[a] = len(split)
			if dilated[a] {
				split = append(split, padded[a]/p.kDil[a], p.kDil[a])
			} else {
				split = append(split, padded[a])
			}
		}
		split = append(split, p.cg)
		for _, a := range dilatedAxes {
			perm = append(perm, pos[a]+1)
		}
		for a := range s {
			perm = append(perm, pos[a])
		}
		perm = append(perm, len(split)-1)
		xp = o.transpose(o.reshape(xp, split), perm)
	}

	// Start indices [O_1..O_S, nd+S]: the phases of the dilated axes, then
	// the window start on every spatial axis.
	count := 1
	for _, d := range p.outSize {
		count *= d
	}
	flat := make([]int32, 0, count*(nd+s))
	counter := make([]int, s)
	for range count {
		for _, a := range dilatedAxes {
			flat = append(flat, int32(counter[a]*p.strides[a]%p.kDil[a]))
		}
		for a := range s {
			v := counter[a] * p.strides[a]
			if dilated[a] {
				v /= p.kDil[a]
			}
			flat = append(flat, int32(v))
		}
		for i := s - 1; i >= 0; i-- {
			counter[i]++
			if counter[i] < p.outSize[i] {
				break
			}
			counter[i] = 0
		}
	}
	indices := o.constInt32(flat, append(append([]int{}, p.outSize...), nd+s)...)

	// Gather: operand axes [G?, N, φ…, spatial…, Cg]; the phase axes are
	// collapsed (slice size 1), the spatial ones give the K-wide windows.
	startIndexMap := iota(g0+1, nd+s)
	collapsed := iota(g0+1, nd)
	var sliceSizes, offsets []int
	if g0 == 1 {
		sliceSizes = append(sliceSizes, p.groups)
		offsets = append(offsets, 0)
	}
	sliceSizes = append(sliceSizes, p.n)
	offsets = append(offsets, g0)
	for range nd {
		sliceSizes = append(sliceSizes, 1)
	}
	for a := range s {
		sliceSizes = append(sliceSizes, p.kSize[a])
		offsets = append(offsets, g0+1+s+a)
	}
	sliceSizes = append(sliceSizes, p.cg)
	offsets = append(offsets, g0+1+2*s)
	return o.gather(xp, indices, s, offsets, collapsed, startIndexMap, sliceSizes)
}
