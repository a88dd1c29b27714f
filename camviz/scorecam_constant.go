package camviz

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// passOrder is an order of Score-CAM's n passes: Perm[i] is the pass run at position i,
// Pos[p] the position of pass p (Perm[Pos[p]] = p); both [n] int32.
type passOrder struct{ Perm, Pos *graph.Node }

// constantLastOrder orders the passes of maps [n, h, w] so that those whose map is
// constant (max = min) come last, each group in its original order. A constant map
// upsamples to a nearly constant mask — exactly constant for the usual case, an all-zero
// map — so the constant passes fill whole chunks at the end, which [skipConstantChunk]
// can skip. The order only groups them: whether a chunk is skipped is decided on its
// actual masks.
func constantLastOrder(maps *graph.Node) *passOrder {
	n := maps.Shape().Dimensions[0]
	g := maps.Graph()
	constant := graph.Equal(graph.ReduceMax(maps, 1, 2), graph.ReduceMin(maps, 1, 2))
	one, zero := graph.Scalar(g, dtypes.Int32, 1), graph.Scalar(g, dtypes.Int32, 0)
	isConst := graph.Where(constant, one, zero)
	varying := graph.Sub(one, isConst)
	// Varying pass p goes to (varying passes up to p) − 1; constant pass p to the number of
	// varying passes + (constant passes up to p) − 1.
	pos := graph.Where(constant,
		graph.Add(graph.ReduceAllSum(varying), graph.Sub(graph.CumSum(isConst, 0), one)),
		graph.Sub(graph.CumSum(varying, 0), one))
	perm := graph.Scatter(graph.InsertAxes(pos, -1), graph.Iota(g, shapes.Make(dtypes.Int32, n), 0),
		shapes.Make(dtypes.Int32, n), false, true)
	return &passOrder{Perm: perm, Pos: pos}
}

// skipConstantChunk returns score(masked, examples) [m] when some mask of the chunk
// varies, and zeroScores [m] (each pass's example scored on a zero image) when every mask
// is constant (pred true): a constant mask normalises to all zeros, (M − min)/(max − min
// + ε) = 0, so every masked image of such a chunk is a zero image. The model runs inside
// the branch taken only (graph.If). skipped is the number of passes not run, an int32
// scalar.
func skipConstantChunk(pred, zeroScores, masked, examples *graph.Node, score ScoreFn) (scores, skipped *graph.Node) {
	g := pred.Graph()
	m := zeroScores.Shape().Dimensions[0]
	skip := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		// A new node, not the captured one: the branch's output is its own buffer.
		return []*graph.Node{graph.Add(zeroScores, graph.ZerosLike(zeroScores))}
	})
	compute := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		return []*graph.Node{graph.ConvertDType(score(masked, examples), zeroScores.DType())}
	})
	scores = graph.If(pred, skip, compute)[0]
	// The chunk's own values that the branches capture stay alive until the If is done:
	// without this the Go backend (compute v0.1.14) freed and reused them before the
	// branch read them (wrong scores, or an index out of range, in
	// TestScoreCAMSkipsConstantChunks and TestScoreCAMConstantChannelsModelA).
	scores = graph.SchedulingBarrier(scores, zeroScores, masked, examples)
	skipped = graph.Where(pred, graph.Scalar(g, dtypes.Int32, m), graph.Scalar(g, dtypes.Int32, 0))
	return scores, skipped
}
