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

// chunkedRows evaluates rows 0 … total−1 in chunks of chunk rows (the last one may be
// smaller) and returns the concatenated scores [total]. eval receives the chunk's row
// indices [m] int32 and returns its scores [m].
//
// The chunks are unrolled in the graph, so it compiles once per input shape, and are
// chained: chunk i+1's row indices pass through a graph.SchedulingBarrier that depends on
// chunk i's scores, so no pass of chunk i+1 can start before chunk i is done, and at most
// one chunk's intermediate values are alive at a time (whatever the backend's scheduler
// does with independent nodes).
func chunkedRows(g *graph.Graph, total, chunk int, eval func(rows *graph.Node) *graph.Node) (*graph.Node, error) {
	if chunk <= 0 {
		return nil, fmt.Errorf("chunk size %d: give a positive number of forward passes per chunk", chunk)
	}
	var parts []*graph.Node
	var prev *graph.Node
	for start := 0; start < total; start += chunk {
		m := min(chunk, total-start)
		rows := graph.AddScalar(graph.Iota(g, shapes.Make(dtypes.Int32, m), 0), start)
		if prev != nil {
			rows = graph.SchedulingBarrier(rows, prev)
		}
		scores := eval(rows)
		parts = append(parts, scores)
		prev = scores
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return graph.Concatenate(parts, 0), nil
}

// rowsToExampleChannel splits pass indices r = b·K + k into the example b and channel k.
func rowsToExampleChannel(rows *graph.Node, k int) (examples, channels *graph.Node) {
	kk := graph.Scalar(rows.Graph(), dtypes.Int32, k)
	return graph.Div(rows, kk), graph.Rem(rows, kk)
}

// gatherRows picks x[idx[i]] along axis 0 for idx [m] int32: [m, ...].
func gatherRows(x, idx *graph.Node) *graph.Node {
	return graph.Gather(x, graph.InsertAxes(idx, -1))
}
