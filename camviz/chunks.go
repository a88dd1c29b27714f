package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// ScoreFn scores a chunk of perturbed forward passes for Score-CAM and Ablation-CAM:
// inputs holds the chunk's perturbed tensors, one row per pass, and examples [m] int32
// the batch example each row belongs to; it returns the target score of each row, [m].
type ScoreFn func(inputs, examples *graph.Node) *graph.Node

// chunkedRows evaluates rows 0 … total−1 in chunks of at most chunk rows and returns the
// scores [total] in dtype. eval receives the chunk's row indices [m] int32 and returns
// its scores [m]. shared, when not nil, is [G, total/G] bool marking the rows of each
// group (rows g·total/G onwards) known to share one score: the chunk loop evaluates one
// of them per group (see rowOrder); elsewhere all rows are evaluated, with the same
// result.
//
// When the backend has closures (the Go backend, XLA), the chunks are the iterations of
// one graph.While loop: eval is built once per lane (see chunkLanes), so the compiled
// graph holds the same few copies of the re-run model whatever the number of chunks,
// and each iteration's intermediate values are freed before the next starts. The
// n = ⌈total/chunk⌉ iterations take ⌈total/n⌉ rows each, so at most n − 1 rows are
// padding: they repeat the last row and their scores are dropped.
//
// Without closures the chunks are unrolled in the graph (one copy of eval per chunk)
// and chained: chunk i+1's row indices pass through a graph.SchedulingBarrier that
// depends on chunk i's scores, so at most one chunk's intermediate values are alive at
// a time (whatever the backend's scheduler does with independent nodes).
func chunkedRows(g *graph.Graph, total, chunk int, dtype dtypes.DType, shared *graph.Node, eval func(rows *graph.Node) *graph.Node) (*graph.Node, error) {
	if chunk <= 0 {
		return nil, fmt.Errorf("chunk size %d: give a positive number of forward passes per chunk", chunk)
	}
	if total <= 0 {
		return nil, fmt.Errorf("%d forward passes: nothing to score", total)
	}
	n := (total + chunk - 1) / chunk
	if n == 1 {
		return graph.ConvertDType(eval(graph.Iota(g, shapes.Make(dtypes.Int32, total), 0)), dtype), nil
	}
	if !chunkLoop(g) {
		return unrolledRows(g, total, chunk, dtype, eval), nil
	}
	size := (total + n - 1) / n
	order := newRowOrder(g, total, size, n, shared)
	var cond, body *graph.Function
	ok := withClosureScalars(g, func() {
		cond = graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			i := graph.Parameter(g, "chunk", shapes.Make(dtypes.Int32))
			_ = graph.Parameter(g, "scores", shapes.Make(dtype, n*size))
			return []*graph.Node{graph.LessThan(i, order.iterations)}
		})
	})
	if !ok {
		return unrolledRows(g, total, chunk, dtype, eval), nil
	}
	withClosureScalars(g, func() {
		body = graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			i := graph.Parameter(g, "chunk", shapes.Make(dtypes.Int32))
			acc := graph.Parameter(g, "scores", shapes.Make(dtype, n*size))
			start := graph.MulScalar(i, size)
			slots := graph.Add(graph.Iota(g, shapes.Make(dtypes.Int32, size), 0), start)
			rows := order.rows(graph.MinScalar(slots, total-1))
			scores := evalLanes(rows, size, dtype, eval)
			acc = graph.DynamicUpdateSlice(acc, scores, []*graph.Node{start})
			return []*graph.Node{graph.AddScalar(i, 1), acc}
		})
	})
	state := graph.While(cond, body, graph.Scalar(g, dtypes.Int32, 0), graph.Zeros(g, shapes.Make(dtype, n*size)))
	return order.scores(state[1], total), nil
}

// rowOrder is the order in which the chunk loop evaluates the rows. Without shared rows
// it is 0 … total−1 in n iterations. With shared [G, total/G] bool (rows g·P … g·P+P−1
// form group g; the rows marked in a group are known to share one score, such as
// Score-CAM's all-zero maps of one example, whose masked images are all zero and whose
// target is the example's), the unmarked rows and the first marked row of each group
// come first, in order, and the loop stops after the iterations that hold them: each
// group's marked rows are scored once.
type rowOrder struct {
	// iterations is the number of loop iterations, an int32 scalar of the main function.
	iterations *graph.Node
	// perm [total] int32 lists the rows in evaluation order (slot → row), and slot
	// [total] int32 says where each row's score is (row → slot); nil without shared rows.
	perm, slot *graph.Node
}

func newRowOrder(g *graph.Graph, total, size, n int, shared *graph.Node) rowOrder {
	if shared == nil {
		return rowOrder{iterations: graph.Scalar(g, dtypes.Int32, n)}
	}
	groups := shared.Shape().Dimensions[0]
	marked := graph.ConvertDType(shared, dtypes.Int32)                                              // [G, P]
	first := graph.LogicalAnd(shared, graph.Equal(graph.CumSum(marked, 1), graph.OnesLike(marked))) // first marked row of its group
	evaluated := graph.Reshape(graph.LogicalOr(graph.LogicalNot(shared), first), total)
	ev := graph.ConvertDType(evaluated, dtypes.Int32)
	before := graph.CumSum(ev, 0) // evaluated rows up to and including r
	nEval := graph.ReduceAllSum(ev)
	r := graph.Iota(g, shapes.Make(dtypes.Int32, total), 0)
	// An evaluated row goes to slot before−1; the others after all evaluated rows, in order
	// (those slots are never run).
	pos := graph.Where(evaluated, graph.AddScalar(before, -1), graph.Add(nEval, graph.Sub(r, before)))
	perm := graph.Scatter(graph.InsertAxes(pos, -1), r, shapes.Make(dtypes.Int32, total), false, true)
	iterations := graph.Div(graph.AddScalar(nEval, size-1), graph.Scalar(g, dtypes.Int32, size))
	// A marked row reads its group's first marked row's slot.
	firstSlot := graph.ReduceSum(graph.Mul(graph.Reshape(pos, groups, total/groups), graph.ConvertDType(first, dtypes.Int32)), 1) // [G]
	groupSlot := graph.Reshape(graph.BroadcastToShape(graph.InsertAxes(firstSlot, -1), shared.Shape()), total)
	slot := graph.Where(evaluated, pos, groupSlot)
	return rowOrder{iterations: iterations, perm: perm, slot: slot}
}

// rows maps slots [m] to the rows evaluated there.
func (o rowOrder) rows(slots *graph.Node) *graph.Node {
	if o.perm == nil {
		return slots
	}
	return gatherRows(o.perm, slots)
}

// scores returns the rows' scores [total] from the loop's scores by slot.
func (o rowOrder) scores(bySlot *graph.Node, total int) *graph.Node {
	if o.slot == nil {
		return graph.Slice(bySlot, graph.AxisRange(0, total))
	}
	return gatherRows(bySlot, o.slot)
}

// unrolledRows is chunkedRows for backends without closures.
func unrolledRows(g *graph.Graph, total, chunk int, dtype dtypes.DType, eval func(rows *graph.Node) *graph.Node) *graph.Node {
	var parts []*graph.Node
	var prev *graph.Node
	for start := 0; start < total; start += chunk {
		m := min(chunk, total-start)
		rows := graph.AddScalar(graph.Iota(g, shapes.Make(dtypes.Int32, m), 0), start)
		if prev != nil {
			rows = graph.SchedulingBarrier(rows, prev)
		}
		scores := graph.ConvertDType(eval(rows), dtype)
		parts = append(parts, scores)
		prev = scores
	}
	return graph.Concatenate(parts, 0)
}

// chunkLoop reports whether chunked passes on g's backend run as the iterations of one
// loop (see chunkedRows) rather than unrolled.
func chunkLoop(g *graph.Graph) bool { return g.Backend().Capabilities().Functions }

// rowsToExampleChannel splits pass indices r = b·K + k into the example b and channel k.
func rowsToExampleChannel(rows *graph.Node, k int) (examples, channels *graph.Node) {
	kk := graph.Scalar(rows.Graph(), dtypes.Int32, k)
	return graph.Div(rows, kk), graph.Rem(rows, kk)
}

// gatherRows picks x[idx[i]] along axis 0 for idx [m] int32: [m, ...].
func gatherRows(x, idx *graph.Node) *graph.Node {
	return graph.Gather(x, graph.InsertAxes(idx, -1))
}

// chunkLanes is how many independent groups the rows of one loop iteration are split
// into, each scored by its own copy of eval. The groups share no values, so the Go
// backend's executor runs the ops of one (the gathers, slices, pads and copies around
// each convolution's products, a quarter of Score-CAM's CPU time and single-threaded)
// while the other's products use the second core. Score-CAM at layer4.1 of ResNet-18
// (512 passes in chunks of 16, 2 cores, load ≈ 1.6): 12.7-12.8 s with one group,
// 11.3 s with 2 of 8 (1.97 cores busy instead of 1.75), 11.3 s with 4 of 4; the
// memory is the chunk's either way.
const chunkLanes = 2

// evalLanes scores rows [size] in up to chunkLanes groups (sizes differing by at most
// one) and returns their scores in order, [size] in dtype.
func evalLanes(rows *graph.Node, size int, dtype dtypes.DType, eval func(rows *graph.Node) *graph.Node) *graph.Node {
	lanes := min(chunkLanes, size)
	if lanes <= 1 {
		return graph.ConvertDType(eval(rows), dtype)
	}
	parts := make([]*graph.Node, lanes)
	start := 0
	for l := range lanes {
		n := size / lanes
		if l < size%lanes {
			n++
		}
		parts[l] = graph.ConvertDType(eval(graph.Slice(rows, graph.AxisRange(start, start+n))), dtype)
		start += n
	}
	return graph.Concatenate(parts, 0)
}
