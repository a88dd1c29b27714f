package fastconv

import (
	"github.com/gomlx/compute"
)

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
