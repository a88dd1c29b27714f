package fastconv

import (
	"runtime"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// SmallProductsMode says when patchDot cuts the product of a convolution with
// few output channels (at most SmallProductMaxN) into chunks of output rows
// small enough for the Go backend's direct matrix-product kernel, which
// multiplies without packing the patches first: products of fewer than
// smallProductMACs multiply-adds (batch·M·N·K) take it (compute v0.1.14,
// SmallMatMulSizeThreshold). The packed ("large") kernel reuses each packed
// patch value over the N output channels only, so for N = 64 packing costs
// about a third of the product (ResNet-18's stem: [12544,147]·[147,64] at
// 33-51 GFLOP/s per CPU-second, where the direct kernel runs [96,576]·[576,64]
// at 82-87).
//
// At batch sizes where not even one output row of all the images fits, the
// chunks hold rows of one image (up to SmallProductMaxImages images): ResNet-18
// at batch 8, 9% less CPU and 8% less wall time on one core.
//
// The catch: the direct kernel splits work over the product's batch axis
// only, so a chunk of a batch-1 convolution runs on one core (unless
// SmallProductEntries splits it), where the packed kernel uses them all. On
// one core the cut is a pure saving; on two, the CPU saved about pays for the
// core lost (ResNet-18's batch-1 forward: 4-5 ms less CPU, −6 to −9%, and as
// much wall time under load; estimated neutral on an idle machine); with more
// cores the packed kernel's parallelism wins. See docs/performance.md, "The
// batch-1 forward pass layer by layer".
type SmallProductsMode int

const (
	// SmallProductsAuto cuts when GOMAXPROCS ≤ SmallProductsMaxProcs.
	// (The package's iota function shadows the builtin: explicit values.)
	SmallProductsAuto SmallProductsMode = 0
	// SmallProductsOn always cuts.
	SmallProductsOn SmallProductsMode = 1
	// SmallProductsOff never cuts.
	SmallProductsOff SmallProductsMode = 2
)

// SmallProducts is the mode patchDot uses, read when a graph is built.
var SmallProducts = SmallProductsAuto

// SmallProductsMaxProcs is the most cores (GOMAXPROCS) for which
// SmallProductsAuto cuts products.
var SmallProductsMaxProcs = 2

func smallProductsOn() bool {
	switch SmallProducts {
	case SmallProductsOn:
		return true
	case SmallProductsAuto:
		return runtime.GOMAXPROCS(0) <= SmallProductsMaxProcs
	}
	return false
}

// SmallProductEntries is the number of equal batch entries a cut chunk of a
// batch-1 convolution without groups is multiplied as (the patches reshaped,
// the kernel broadcast once per convolution), all under the threshold
// together: the direct kernel runs one entry per core. 1, the default, keeps
// each chunk on one core: with ops_sequential the 2-entry split cost 1-5 ms
// more CPU per ResNet-18 forward pass than it saved (goroutines started per
// small product) under load; on an idle machine it is not measured. 0 means
// GOMAXPROCS. When not even one output row per entry fits, a chunk is one
// entry.
var SmallProductEntries = 1

// SmallProductMaxImages is the largest batch that SmallProducts cuts image by
// image (when not even one output row of the whole batch fits under the
// threshold): each image then costs its own Slice, Gathers and products, and
// the kernel-gradient convolutions of training, whose "batch" is the input
// channels, would otherwise become hundreds of small ops.
var SmallProductMaxImages = 16

// SmallProductMaxN is the most output channels (the product's N) for which
// SmallProducts chunks a convolution.
var SmallProductMaxN = 64

// smallProductMACs is the Go backend's threshold (in multiply-adds,
// batch·M·N·K) below which DotGeneral uses its direct kernel.
const smallProductMACs = 4 << 20

// smallProductPlan is how patchDot cuts a product for the direct kernel: rows
// output rows per batch entry, entries batch entries per chunk (rows 0: not
// cut), and, when perImage, chunks of one image at a time.
type smallProductPlan struct {
	rows, entries int
	k, n          int  // contracted size and output channels of the product
	outerN        bool // the kernel is [N, K…] (contracted axes last), else [K…, N]
	perRow        int  // product rows per output row (∏ O_2..O_S)
	spatial       int  // S, the number of spatial axes
	perImage      bool // chunks hold rows of one image (batch > 1), not of all
}

// smallProductPlan returns the plan for multiplying the patches of p with kc
// (contracted axes kContract, batch axes batch) as procs batch entries, or a
// zero plan when SmallProducts is off, the product has more than SmallProductMaxN output
// channels, or not even one output row fits under smallProductMACs. Entries
// greater than 1 need a batch-1 convolution without groups.
func (p *plan) smallProductPlan(o *ops, kc compute.Value, kContract, batch []int, procs int) smallProductPlan {
	if !smallProductsOn() || o.err != nil {
		return smallProductPlan{}
	}
	ks, err := o.f.Shape(kc)
	if err != nil {
		return smallProductPlan{}
	}
	sp := smallProductPlan{k: 1, n: 1, perRow: 1, spatial: p.spatial}
	for ax, d := range ks.Dimensions {
		switch {
		case slices.Contains(kContract, ax):
			sp.k *= d
		case !slices.Contains(batch, ax):
			sp.n *= d
		}
	}
	if sp.n > SmallProductMaxN {
		return smallProductPlan{}
	}
	sp.outerN = len(kContract) > 0 && kContract[0] > 0 && len(batch) == 0
	for _, d := range p.outSize[1:] {
		sp.perRow *= d
	}
	rowMACs := int64(p.groups) * int64(p.n) * int64(sp.perRow) * int64(sp.k) * int64(sp.n)
	if p.n == 1 && p.groups == 1 && procs > 1 {
		if rows := (smallProductMACs - 1) / (int64(procs) * rowMACs); rows >= 1 && int(rows)*procs <= p.outSize[0] {
			sp.rows, sp.entries = int(rows), procs
			return sp
		}
	}
	rows := (smallProductMACs - 1) / rowMACs
	if rows < 1 {
		// Not one output row of the whole batch fits: cut per image when a row
		// of one image does (batch > 1 without groups).
		if p.n == 1 || p.n > SmallProductMaxImages || p.groups != 1 {
			return smallProductPlan{}
		}
		if rows = (smallProductMACs - 1) / (rowMACs / int64(p.n)); rows < 1 {
			return smallProductPlan{}
		}
		sp.perImage = true
	}
	sp.rows, sp.entries = int(min(rows, int64(p.outSize[0]))), 1
	return sp
}

// splitKernel reshapes kc to [K, N] (or [N, K]) and broadcasts it to
// [entries, K, N] (or [entries, N, K]).
func (sp smallProductPlan) splitKernel(o *ops, kc compute.Value) compute.Value {
	dims := []int{sp.k, sp.n}
	if sp.outerN {
		dims = []int{sp.n, sp.k}
	}
	k2 := o.reshape(kc, dims)
	if o.err != nil {
		return k2
	}
	s, err := o.f.Shape(k2)
	if err != nil {
		o.err = err
		return k2
	}
	var v compute.Value
	v, o.err = o.f.BroadcastInDim(k2, shapes.Make(s.DType, sp.entries, dims[0], dims[1]), []int{1, 2})
	return v
}

// splitDot multiplies one chunk of patches, [1, entries·rows, O_2..O_S, K…, Cg],
// by kcSplit (splitKernel) as entries batch entries of rows output rows each,
// and returns [1, entries·rows, O_2..O_S, N].
func (sp smallProductPlan) splitDot(o *ops, patches, kcSplit compute.Value) compute.Value {
	m := sp.rows * sp.perRow
	lhs := o.reshape(patches, []int{sp.entries, m, sp.k})
	rhsContract := 1
	if sp.outerN {
		rhsContract = 2
	}
	y := o.dot(lhs, []int{2}, []int{0}, kcSplit, []int{rhsContract}, []int{0}) // [entries, m, N]
	if o.err != nil {
		return y
	}
	ps, err := o.f.Shape(patches)
	if err != nil {
		o.err = err
		return y
	}
	return o.reshape(y, append(slices.Clone(ps.Dimensions[:sp.spatial+1]), sp.n))
}

// perImageDot multiplies the patches of xp (patchOperand's output, batch axis
// first, no groups) with kc image by image, in chunks of sp.rows output rows,
// and returns [N, O_1..O_S, N'] (the chunks concatenated).
func (p *plan) perImageDot(o *ops, sp smallProductPlan, xp, kc compute.Value, kContract []int) []compute.Value {
	xs, err := o.f.Shape(xp)
	if err != nil {
		o.err = err
		return nil
	}
	img := *p
	img.n = 1
	rank := len(xs.Dimensions)
	var parts []compute.Value
	for n := range p.n {
		starts, limits, strides := make([]int, rank), slices.Clone(xs.Dimensions), make([]int, rank)
		for i := range strides {
			strides[i] = 1
		}
		starts[0], limits[0] = n, n+1
		xn := o.slice(xp, starts, limits, strides)
		for r := 0; r < p.outSize[0]; r += sp.rows {
			patches := img.gatherRows(o, xn, r, min(r+sp.rows, p.outSize[0]))
			parts = append(parts, o.dot(patches, iota(1+p.spatial, p.spatial+1), nil, kc, kContract, nil))
		}
	}
	return parts
}
