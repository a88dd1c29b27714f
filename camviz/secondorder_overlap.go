package camviz

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// gatherAtWindowMax is Sᵀv for max pooling S with any windows, overlapping included: for
// each window w (an element of the pooled output, shaped outDims), the value of v at the
// window's maximum of operand,
//
//	(Sᵀv)[w] = v[argmax_{p ∈ w} operand[p]],
//
// the argmax being the first maximum in row-major window order, positions in the padding
// never chosen: the rule the backends' SelectAndScatterMax follows (GoMLX's Go backend
// replaces its choice only on a strictly larger value, XLA keeps it on ≥), so that the
// second derivative routes through the same positions as the first.
//
// It loops over the window's offsets d (9 for 3×3): at each, the strided slices
// operand[w·s + d] and v[w·s + d] of the padded inputs (operand padded with −∞, v with 0)
// replace the running maximum and its v where strictly larger.
func gatherAtWindowMax(operand, v *graph.Node, window, strides []int, paddings [][2]int, outDims []int) *graph.Node {
	g := operand.Graph()
	rank := operand.Rank()
	if len(paddings) > 0 {
		cfg := make([]compute.PadAxis, rank)
		for i, p := range paddings {
			cfg[i] = compute.PadAxis{Start: p[0], End: p[1]}
		}
		operand = graph.Pad(operand, graph.Infinity(g, operand.DType(), -1), cfg...)
		v = graph.Pad(v, graph.ScalarZero(g, v.DType()), cfg...)
	}
	var best, sel *graph.Node
	offset := make([]int, rank)
	specs := make([]graph.SliceAxisSpec, rank)
	for {
		for i := range rank {
			specs[i] = graph.AxisRange(offset[i], offset[i]+(outDims[i]-1)*strides[i]+1).Stride(strides[i])
		}
		a, b := graph.Slice(operand, specs...), graph.Slice(v, specs...)
		if best == nil {
			best, sel = a, b
		} else {
			larger := graph.GreaterThan(a, best)
			best, sel = graph.Where(larger, a, best), graph.Where(larger, b, sel)
		}
		// Next offset, row-major (the last axis fastest).
		i := rank - 1
		for ; i >= 0; i-- {
			offset[i]++
			if offset[i] < window[i] {
				break
			}
			offset[i] = 0
		}
		if i < 0 {
			return sel
		}
	}
}
