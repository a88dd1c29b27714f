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

func BenchmarkScratchTranspose(b *testing.B) {
	inner, _ := gobackend.New("ops_sequential")
	be := Wrap(inner)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, d := range [][2]int{{64, 12544}, {64, 3136}, {12544, 64}, {128, 784}} {
		x := randTensor(rng, []int{d[0], d[1]})
		e := must(graph.NewExec(be, func(x *graph.Node) *graph.Node { return graph.TransposeAllAxes(x, 1, 0) }))
		cp := must(graph.NewExec(be, func(x *graph.Node) *graph.Node { return graph.Add(x, x) }))
		runs := []func() error{
			func() error { o, err := e.Call(x); o[0].FinalizeAll(); return err },
			func() error { o, err := cp.Call(x); o[0].FinalizeAll(); return err },
		}
		for _, r := range runs {
			r()
			r()
		}
		wall := make([][]time.Duration, 2)
		cpu := make([][]time.Duration, 2)
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
		fmt.Printf("%v transpose wall %.3f cpu %.3f | add wall %.3f cpu %.3f\n", d, med(wall[0]), med(cpu[0]), med(wall[1]), med(cpu[1]))
	}
}
