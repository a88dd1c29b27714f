package fastconv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func permuteKN(w []float32, k, n, parts int) []float32 { // [K,N] -> [parts, K, N/parts]
	out := make([]float32, len(w))
	np := n / parts
	i := 0
	for p := range parts {
		for r := range k {
			copy(out[i:i+np], w[r*n+p*np:r*n+p*np+np])
			i += np
		}
	}
	return out
}

func transpose2(w []float32, r, c int) []float32 {
	out := make([]float32, len(w))
	for i := range r {
		for j := range c {
			out[j*r+i] = w[i*c+j]
		}
	}
	return out
}

func BenchmarkScratchDot(b *testing.B) {
	inner, _ := gobackend.New("ops_sequential")
	be := Wrap(inner)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, l := range resnet18Forward {
		out := (l.size+2*l.pad-l.k)/l.stride + 1
		m, kk, n := out*out, l.k*l.k*l.cin, l.cout
		p := randTensor(rng, []int{m, kk})
		w := randTensor(rng, []int{kk, n})
		wf := must(tensors.CopyFlatData[float32](w))
		w2 := tensors.FromFlatDataAndDimensions(slices.Concat(wf, wf), 2, kk, n)
		wn := tensors.FromFlatDataAndDimensions(permuteKN(wf, kk, n, 2), 2, kk, n/2)
		wt := tensors.FromFlatDataAndDimensions(transpose2(wf, kk, n), n, kk)
		pt := randTensor(rng, []int{kk, m})
		mkT := func(f func(x *graph.Node) *graph.Node) func() error {
			e := must(graph.NewExec(be, f))
			return func() error {
				o, err := e.Call(pt)
				for _, t := range o {
					t.FinalizeAll()
				}
				return err
			}
		}
		_ = wn
		mk := func(f func(x *graph.Node) *graph.Node) func() error {
			e := must(graph.NewExec(be, f))
			return func() error {
				o, err := e.Call(p)
				for _, t := range o {
					t.FinalizeAll()
				}
				return err
			}
		}
		variants := []struct {
			name string
			run  func() error
		}{
			{"cur", mk(func(x *graph.Node) *graph.Node { return graph.Dot(x, graph.ConstTensor(x.Graph(), w)).Product() })},
			{"msplit", mk(func(x *graph.Node) *graph.Node {
				mm := m
				if m%2 == 1 {
					x = graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), graph.PadAxis{End: 1})
					mm++
				}
				x = graph.Reshape(x, 2, mm/2, kk)
				y := graph.DotGeneral(x, []int{2}, []int{0}, graph.ConstTensor(x.Graph(), w2), []int{1}, []int{0})
				y = graph.Reshape(y, mm, n)
				if mm != m {
					y = graph.Slice(y, graph.AxisRange(0, m))
				}
				return y
			})},
			{"swapNT", mkT(func(x *graph.Node) *graph.Node {
				y := graph.Dot(graph.ConstTensor(x.Graph(), wt), x).Product() // [N,M]
				return graph.TransposeAllAxes(y, 1, 0)
			})},
			{"swapNTnoT", mkT(func(x *graph.Node) *graph.Node {
				return graph.Dot(graph.ConstTensor(x.Graph(), wt), x).Product() // [N,M]
			})},
		}
		for _, v := range variants {
			for range 2 {
				if err := v.run(); err != nil {
					b.Fatal(err)
				}
			}
		}
		wall := make([][]time.Duration, len(variants))
		cpu := make([][]time.Duration, len(variants))
		for range b.N {
			for i, v := range variants {
				t0, c0 := time.Now(), processCPU()
				_ = v.run()
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
		for i, v := range variants {
			fmt.Printf(" | %s %6.3f/%6.3f", v.name, med(wall[i]), med(cpu[i]))
		}
		fmt.Println()
	}
}
