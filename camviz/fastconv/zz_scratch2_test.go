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

func BenchmarkScratchChunk(b *testing.B) {
	inner, _ := gobackend.New("ops_sequential")
	be := Wrap(inner)
	rng := rand.New(rand.NewPCG(9, 9))
	sizes := []int64{4 << 20, 129024, 258048, 197568}
	ChunkMinRows = 0
	defer func() { ChunkMinRows = 512 }()
	defer func(v int64) { ChunkPatchBytes = v }(ChunkPatchBytes)
	for _, l := range resnet18Forward {
		c := l.convCase(scratchBatch)
		x := randTensor(rng, c.inDims)
		k := randTensor(rng, c.kDims)
		var runs []func() error
		for _, s := range sizes {
			ChunkPatchBytes = s
			e := must(graph.NewExec(be, func(x *graph.Node) *graph.Node { return c.conv(x, graph.ConstTensor(x.Graph(), k)) }))
			r := func() error {
				o, err := e.Call(x)
				for _, t := range o {
					t.FinalizeAll()
				}
				return err
			}
			for range 2 {
				if err := r(); err != nil {
					b.Fatal(err)
				}
			}
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
		fmt.Printf("%-20s", l.name)
		for i, s := range sizes {
			fmt.Printf(" | %4dK %6.3f/%6.3f", s>>10, med(wall[i]), med(cpu[i]))
		}
		fmt.Println()
	}
}

var scratchBatch = 1
