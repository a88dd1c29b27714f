package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestChunkedRowsLoop scores 11 rows of a [11, 2, 3] tensor, s_r = Σ where(x_r > 0,
// max(x_r), −x_r) + 1, computed by hand in float64, in one chunk (no loop), in chunks of
// 4 (a loop of 3 iterations of 4 rows in lanes of 2, one padded row) and of 3 (4
// iterations of 3 rows in lanes of 2 and 1, one padded row). The score uses a broadcast
// feeding a Where and AddScalar(…, 1) inside the loop body, and the graph adds the same
// float32 scalar again after the loop: the two workarounds the loop needs on GoMLX v0.28.16 and
// compute v0.1.14 (closurescalars.go, fastconv/closurebroadcast.go). Without the first
// the graph fails to build ("uses a node from a different function scope"); without the
// second it fails to run ("input 1 for node Where not computed yet").
func TestChunkedRowsLoop(t *testing.T) {
	const total = 11
	x := make([]float32, total*6)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i%5)
	}
	want := make([]float64, total)
	for r := range total {
		row := x[r*6 : (r+1)*6]
		hi := math.Inf(-1)
		for _, v := range row {
			hi = math.Max(hi, float64(v))
		}
		s := 1.0
		for _, v := range row {
			if v > 0 {
				s += hi
			} else {
				s -= float64(v)
			}
		}
		want[r] = s + 1 // the second AddScalar, after the loop
	}
	for _, chunk := range []int{total, 4, 3} {
		var buildErr error
		out, err := graph.ExecOnce(testBackend, func(g *graph.Graph) *graph.Node {
			xs := graph.Const(g, tensors.FromFlatDataAndDimensions(x, total, 2, 3))
			scores, err := camviz.ChunkedRows(g, total, chunk, dtypes.Float32, nil, func(rows *graph.Node) *graph.Node {
				xr := graph.Gather(xs, graph.InsertAxes(rows, -1)) // [m, 2, 3]
				m := rows.Shape().Dimensions[0]
				hi := graph.BroadcastToShape(graph.ReduceAndKeep(xr, graph.ReduceMax, 1, 2), xr.Shape())
				picked := graph.Where(graph.GreaterThan(xr, graph.ZerosLike(xr)), hi, graph.Neg(xr))
				return graph.AddScalar(graph.Reshape(graph.ReduceSum(picked, 1, 2), m), 1)
			})
			if err != nil {
				buildErr = err
				return graph.Zeros(g, shapes.Make(dtypes.Float32, total))
			}
			return graph.AddScalar(scores, 1)
		})
		if buildErr != nil || err != nil {
			t.Fatalf("chunks of %d: %v %v", chunk, buildErr, err)
		}
		got := tensors.MustCopyFlatData[float32](out)
		if len(got) != total {
			t.Fatalf("chunks of %d: %d scores, want %d", chunk, len(got), total)
		}
		for r := range total {
			if math.Abs(float64(got[r])-want[r]) > 1e-5*math.Max(1, math.Abs(want[r])) {
				t.Errorf("chunks of %d: score %d = %g, want %g", chunk, r, got[r], want[r])
			}
		}
	}
}

// TestChunkedRowsSharedScores marks rows as sharing their group's score and checks where
// each score comes from: 3 groups of 8 rows, s_r = 10·r + 1 computed by eval, and the
// marked rows of a group all read the score of that group's first marked row (their own
// would differ, so a wrong slot shows). Group 0 has no marked row, group 1 three, group
// 2 all eight; chunks of 5 (loop) and of 24 (one chunk: every row evaluated, the marks
// ignored, so the marked rows keep their own scores).
func TestChunkedRowsSharedScores(t *testing.T) {
	const groups, per = 3, 8
	marks := [groups][per]bool{
		{},
		{false, true, false, false, true, false, true, false},
		{true, true, true, true, true, true, true, true},
	}
	var flat []bool
	for _, g := range marks {
		flat = append(flat, g[:]...)
	}
	for _, chunk := range []int{5, groups * per} {
		out, err := graph.ExecOnce(testBackend, func(g *graph.Graph) *graph.Node {
			shared := graph.Const(g, [][]bool{flat[:per], flat[per : 2*per], flat[2*per:]})
			scores, err := camviz.ChunkedRows(g, groups*per, chunk, dtypes.Float32, shared, func(rows *graph.Node) *graph.Node {
				return graph.AddScalar(graph.MulScalar(graph.ConvertDType(rows, dtypes.Float32), 10), 1)
			})
			if err != nil {
				panic(err)
			}
			return scores
		})
		if err != nil {
			t.Fatalf("chunks of %d: %v", chunk, err)
		}
		got := tensors.MustCopyFlatData[float32](out)
		for g := range groups {
			firstMarked := -1
			for j := range per {
				r := g*per + j
				want := float32(10*r + 1)
				if marks[g][j] && chunk < groups*per {
					if firstMarked < 0 {
						firstMarked = r
					}
					want = float32(10*firstMarked + 1)
				}
				if got[r] != want {
					t.Errorf("chunks of %d: row %d (group %d, marked %v) scored %g, want %g", chunk, r, g, marks[g][j], got[r], want)
				}
			}
		}
	}
}
