package fastconv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
)

func BenchmarkScratchDotShapes(b *testing.B) {
	inner, _ := gobackend.New("ops_sequential")
	be := Wrap(inner)
	rng := rand.New(rand.NewPCG(9, 9))
	type shp struct{ m, k, n int }
	shapes := []shp{{112, 576, 64}, {96, 576, 64}, {48, 576, 128}, {224, 147, 64}, {3136, 576, 64}, {12544, 147, 64}, {12544, 152, 64}, {12544, 168, 64}, {12544, 192, 64}, }
	var runs []func() error
	for _, s := range shapes {
		p := randTensor(rng, []int{s.m, s.k})
		w := randTensor(rng, []int{s.k, s.n})
		e := must(graph.NewExec(be, func(x *graph.Node) *graph.Node { return graph.Dot(x, graph.ConstTensor(x.Graph(), w)).Product() }))
		r := func() error {
			o, err := e.Call(p)
			for _, t := range o {
				t.FinalizeAll()
			}
			return err
		}
		r()
		r()
		runs = append(runs, r)
	}
	wall := make([][]time.Duration, len(runs))
	cpu := make([][]time.Duration, len(runs))
	for range b.N {
		for i, r := range runs {
			t0, c0 := time.Now(), processCPU()
			_ = r()
			wall[i] = append(wall[i], time.Since(t0))
			cpu[i] = append(cpu[i], processCPU()-c0)
		}
	}
	med := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / 1e6
	}
	for i, s := range shapes {
		f := 2 * float64(s.m*s.k*s.n)
		fmt.Printf("[%d,%d]x[%d,%d]  wall %.3f cpu %.3f  GFLOP/s per CPU-s %.1f\n", s.m, s.k, s.k, s.n, med(wall[i]), med(cpu[i]), f/med(cpu[i])/1e6)
	}
}
