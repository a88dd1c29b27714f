package fastconv

import (
	"runtime"

	"github.com/gomlx/compute"
)

// ChunkPatchBytes bounds the patch tensor built at once: a larger one is
// built and multiplied in chunks of output rows (first spatial axis), whose
// results are concatenated. Smaller buffers are reused from the backend's
// pool instead of fresh memory, which is much cheaper to touch, and a chunk
// that stays in the last-level cache is still there when the product packs
// it: the patches are written once by the Gather and read once by the
// product's packing, so larger ones make that round trip through main
// memory. 4 MiB measured best on a 2-core AMD EPYC with 32 MiB of L3 (ResNet-18
// at batch 8: 7-9% less CPU than 16 MiB, the 56×56 and 28×28 convolutions
// 12-14% less; docs/performance.md).
var ChunkPatchBytes int64 = 4 << 20

// ChunkMinRows is the fewest product rows (output positions × batch) a patch
// chunk holds, whatever ChunkPatchBytes says: every chunk's product streams
// the whole (packed) kernel once, so chunks much smaller than that would
// re-read a large kernel (4608×512 values in ResNet-18's last stage) for
// little work each.
var ChunkMinRows = 512

// patchDot multiplies the im2col patches of the canonical input
// xc = [G?, N, I_1..I_S, Cg] with the kernel kc = [G?, K…, Cg, Og'] (or
// [Og', K…, Cg] without groups), whose (K…, Cg) axes are kContract:
//
//	patches[g, n, o_1..o_S, k_1..k_S, c] = xp[g, n, o_1·s_1 + k_1·d_1, …, o_S·s_S + k_S·d_S, c]
//
// where xp is xc zero-padded (and, for input dilation, with zeros inserted
// between its elements). The patches are one Pad and one Gather: the Gather's start
// indices enumerate the output positions, and each gathered slice is the
// window [G, N, K_1..K_S, Cg], copied in contiguous runs of K_S·Cg values.
//
// A kernel-dilated axis (d > 1) is first split by phase, i ↦ (i mod d, i div d),
// with the phase axes moved before the spatial ones: tap o·s + k·d is then
// element (o·s div d) + k of phase o·s mod d, so the window over k is
// contiguous again and the copy runs stay long.
//
// The result is [G?, N, O_1..O_S, Og']. When the patches exceed
// ChunkPatchBytes, they are gathered and multiplied in chunks of output rows.
func (p *plan) patchDot(o *ops, xc, kc compute.Value, kContract, batch []int) compute.Value {
	g0, s := p.groupAxes(), p.spatial
	xp := p.patchOperand(o, xc)
	rows := p.chunkRows()
	entries := SmallProductEntries
	if entries <= 0 {
		entries = runtime.GOMAXPROCS(0)
	}
	sp := p.smallProductPlan(o, kc, kContract, batch, entries)
	if sp.rows > 0 {
		rows = sp.rows * sp.entries
	}
	if sp.perImage {
		parts := p.perImageDot(o, sp, xp, kc, kContract)
		if onPatchChunks != nil {
			onPatchChunks(len(parts))
		}
		// Chunks are [1, rows, O_2.., N']: rows of one image, then the images.
		var images []compute.Value
		perImage := (p.outSize[0] + sp.rows - 1) / sp.rows
		for i := 0; i+perImage <= len(parts); i += perImage {
			images = append(images, o.concatenate(1, parts[i:i+perImage]...))
		}
		return o.concatenate(0, images...)
	}
	var kcSplit compute.Value // kc as [entries, K, N] or [entries, N, K], built once
	var parts []compute.Value
	for r := 0; r < p.outSize[0]; r += rows {
		end := min(r+rows, p.outSize[0])
		patches := p.gatherRows(o, xp, r, end)
		if sp.entries > 1 && end-r == rows {
			if kcSplit == nil {
				kcSplit = sp.splitKernel(o, kc)
			}
			parts = append(parts, sp.splitDot(o, patches, kcSplit))
			continue
		}
		parts = append(parts, o.dot(patches, iota(g0+1+s, s+1), batch, kc, kContract, batch))
	}
	if onPatchChunks != nil {
		onPatchChunks(len(parts))
	}
	return o.concatenate(g0+1, parts...)
}

// onPatchChunks, when set (by tests), is called with the number of chunks of
// every patch product built.
var onPatchChunks func(chunks int)

// patchOperand pads xc (and splits kernel-dilated axes by phase): the operand
// of gatherRows.
func (p *plan) patchOperand(o *ops, xc compute.Value) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial

	// Padded sizes, rounded up to a multiple of the dilation on dilated axes.
	cfg := p.spatialPads(true)
	padded := make([]int, s)
	dilated, dilatedAxes := p.dilatedAxes()
	for a := range s {
		padded[a] = (p.inSize[a]-1)*p.inDil[a] + 1 + p.pads[a][0] + p.pads[a][1]
		if dilated[a] {
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
	return xp
}

// dilatedAxes returns, per spatial axis, whether its kernel taps are not
// adjacent (dilation > 1 and more than one tap), and the list of those axes.
func (p *plan) dilatedAxes() (dilated []bool, axes []int) {
	dilated = make([]bool, p.spatial)
	for a := range p.spatial {
		dilated[a] = p.kDil[a] > 1 && p.kSize[a] > 1
		if dilated[a] {
			axes = append(axes, a)
		}
	}
	return dilated, axes
}

// gatherRows gathers the patches of the output rows [row0, row1) of the first
// spatial axis from xp = p.patchOperand(…): [G?, N, row1-row0, O_2..O_S, K…, Cg].
func (p *plan) gatherRows(o *ops, xp compute.Value, row0, row1 int) compute.Value {
	g0 := p.groupAxes()
	s := p.spatial
	dilated, dilatedAxes := p.dilatedAxes()
	nd := len(dilatedAxes)

	// Start indices [rows, O_2..O_S, nd+S]: the phases of the dilated axes,
	// then the window start on every spatial axis.
	idxDims := append([]int{row1 - row0}, p.outSize[1:]...)
	count := 1
	for _, d := range idxDims {
		count *= d
	}
	flat := make([]int32, 0, count*(nd+s))
	counter := make([]int, s)
	counter[0] = row0
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
			if counter[i] < p.outSize[i] || i == 0 {
				break
			}
			counter[i] = 0
		}
	}
	indices := o.constInt32(flat, append(idxDims, nd+s)...)

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

// chunkRows returns how many output rows (first spatial axis) of patches
// patchDot gathers and multiplies at once: as many as fit in ChunkPatchBytes,
// at least one and at least ChunkMinRows product rows, at most all of them.
func (p *plan) chunkRows() int {
	rowBytes := int64(p.groups) * int64(p.n) * int64(p.cg) * int64(p.dtype.Size())
	for a := range p.spatial {
		rowBytes *= int64(p.kSize[a])
		if a > 0 {
			rowBytes *= int64(p.outSize[a])
		}
	}
	rows := int(max(1, min(int64(p.outSize[0]), ChunkPatchBytes/max(rowBytes, 1))))
	perRow := p.n // product rows per output row
	for _, o := range p.outSize[1:] {
		perRow *= o
	}
	return min(p.outSize[0], max(rows, (ChunkMinRows+perRow-1)/perRow))
}
