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

// widen builds W2[i, j', c, (dx, o)] = W[i, j'-s*dx, c, o] for T adjacent outputs with stride s.
func widen(w []float32, kh, kw, cin, cout, T, s int) ([]float32, int) {
	kw2 := kw + (T-1)*s
	out := make([]float32, kh*kw2*cin*T*cout)
	for i := range kh {
		for j2 := range kw2 {
			for c := range cin {
				for dx := range T {
					j := j2 - s*dx
					if j < 0 || j >= kw {
						continue
					}
					for o := range cout {
						out[((i*kw2+j2)*cin+c)*T*cout+dx*cout+o] = w[((i*kw+j)*cin+c)*cout+o]
					}
				}
			}
		}
	}
	return out, kw2
}

func BenchmarkScratchWide(b *testing.B) {
	inner, _ := gobackend.New("ops_sequential")
	be := Wrap(inner)
	rng := rand.New(rand.NewPCG(9, 9))
	type cs struct {
		name                       string
		size, cin, cout, k, s, pad int
		T                          int
	}
	for _, l := range []cs{{"stem T2", 224, 3, 64, 7, 2, 3, 2}, {"stem T4", 224, 3, 64, 7, 2, 3, 4}, {"56x64 T2", 56, 64, 64, 3, 1, 1, 2}, {"28x128 T2", 28, 128, 128, 3, 1, 1, 2}} {
		x := randTensor(rng, []int{1, l.size, l.size, l.cin})
		k := randTensor(rng, []int{l.k, l.k, l.cin, l.cout})
		kf := must(tensors.CopyFlatData[float32](k))
		w2f, kw2 := widen(kf, l.k, l.k, l.cin, l.cout, l.T, l.s)
		w2 := tensors.FromFlatDataAndDimensions(w2f, l.k, kw2, l.cin, l.T*l.cout)
		out := (l.size+2*l.pad-l.k)/l.s + 1
		ax := channelsLast(2)
		orig := must(graph.NewExec(be, func(x *graph.Node) *graph.Node {
			return graph.ConvGeneral(x, graph.ConstTensor(x.Graph(), k), ax, []int{l.s, l.s}, [][2]int{{l.pad, l.pad}, {l.pad, l.pad}}, nil, nil, 1, 1)
		}))
		wide := must(graph.NewExec(be, func(x *graph.Node) *graph.Node {
			y := graph.ConvGeneral(x, graph.ConstTensor(x.Graph(), w2), ax, []int{l.s, l.T * l.s}, [][2]int{{l.pad, l.pad}, {l.pad, l.pad + l.T*l.s}}, nil, nil, 1, 1)
			// crop extra output columns
			y = graph.Slice(y, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, out/l.T))
			return graph.Reshape(y, 1, out, out, l.cout)
		}))
		a := must(orig.Call(x))[0]
		bb := must(wide.Call(x))[0]
		fmt.Printf("%s shapes %v %v relErr %.3g\n", l.name, a.Shape(), bb.Shape(), relErr(must(tensors.CopyFlatData[float32](bb)), must(tensors.CopyFlatData[float32](a))))
		runs := []func() error{
			func() error { o, err := orig.Call(x); o[0].FinalizeAll(); return err },
			func() error { o, err := wide.Call(x); o[0].FinalizeAll(); return err },
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
		fmt.Printf("%-10s orig wall %.3f cpu %.3f | wide wall %.3f cpu %.3f\n", l.name, med(wall[0]), med(cpu[0]), med(wall[1]), med(cpu[1]))
	}
}
