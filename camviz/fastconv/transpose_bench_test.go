package fastconv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkTransposeInner compares two routes for [a,b,c] → [a,c,b] on the Go
// backend (the kernel of a convolution's input gradient, 3×3×512×512 in ResNet's
// last stage, and an NCHW input): the 4-D [0,2,1,3] kernel with a trailing
// axis of 1 (one copy call per element), and the route ops.transpose takes,
// a tiled 2-D transpose [a·b, c] → [c, a·b] then [c,a,b] → [a,c,b] in runs of
// b values. The metric is ns per element.
func BenchmarkTransposeInner(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, d := range [][3]int{{9, 512, 512}, {9, 64, 64}, {8, 64, 3136}} {
		a, bb, c := d[0], d[1], d[2]
		x := randTensor(rng, []int{a, bb, c})
		routes := map[string]func(x *graph.Node) *graph.Node{
			"unit-trailing": func(x *graph.Node) *graph.Node {
				return graph.Reshape(graph.TransposeAllAxes(graph.Reshape(x, a, bb, c, 1), 0, 2, 1, 3), a, c, bb)
			},
			"2d-then-runs": func(x *graph.Node) *graph.Node {
				y := graph.Transpose(graph.Reshape(x, a*bb, c), 0, 1)
				return graph.TransposeAllAxes(graph.Reshape(y, c, a, bb), 1, 0, 2)
			},
		}
		for _, name := range []string{"unit-trailing", "2d-then-runs"} {
			route := routes[name]
			b.Run(fmt.Sprintf("%dx%dx%d/%s", a, bb, c, name), func(b *testing.B) {
				e, err := graph.NewExec(native(), route)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Finalize()
				for i := range b.N + 1 { // the first call compiles
					if i == 1 {
						b.ResetTimer()
					}
					out, err := e.Call(x)
					if err != nil {
						b.Fatal(err)
					}
					out[0].FinalizeAll()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(a*bb*c), "ns/elem")
			})
		}
	}
}
