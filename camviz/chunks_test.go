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
			scores, err := camviz.ChunkedRows(g, total, chunk, dtypes.Float32, func(rows *graph.Node) *graph.Node {
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
