package fastconv

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// resnet18Forward lists every convolution of ResNet-18's forward pass at 224²
// (channels last), with how many times each shape occurs.
var resnet18Forward = []struct {
	resnetLayer
	count int
}{
	{resnetLayer{"stem7x7s2_224x3", 224, 3, 64, 7, 2, 3}, 1},
	{resnetLayer{"3x3_56x64", 56, 64, 64, 3, 1, 1}, 4},
	{resnetLayer{"3x3s2_56x64to128", 56, 64, 128, 3, 2, 1}, 1},
	{resnetLayer{"1x1s2_56x64to128", 56, 64, 128, 1, 2, 0}, 1},
	{resnetLayer{"3x3_28x128", 28, 128, 128, 3, 1, 1}, 3},
	{resnetLayer{"3x3s2_28x128to256", 28, 128, 256, 3, 2, 1}, 1},
	{resnetLayer{"1x1s2_28x128to256", 28, 128, 256, 1, 2, 0}, 1},
	{resnetLayer{"3x3_14x256", 14, 256, 256, 3, 1, 1}, 3},
	{resnetLayer{"3x3s2_14x256to512", 14, 256, 512, 3, 2, 1}, 1},
	{resnetLayer{"1x1s2_14x256to512", 14, 256, 512, 1, 2, 0}, 1},
	{resnetLayer{"3x3_7x512", 7, 512, 512, 3, 1, 1}, 3},
}

// timedVariant is one way of computing a layer, timed interleaved with the others.
type timedVariant struct {
	name string
	run  func() error
	wall []time.Duration
	cpu  []time.Duration
}

// layerBatches returns the batch sizes in $FASTCONV_LAYER_BATCHES (a comma-separated
// list), or def.
func layerBatches(b *testing.B, def ...int) []int {
	s := os.Getenv("FASTCONV_LAYER_BATCHES")
	if s == "" {
		return def
	}
	var batches []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
			b.Fatalf("FASTCONV_LAYER_BATCHES=%q: want a comma-separated list of positive batch sizes", s)
		}
		batches = append(batches, n)
	}
	return batches
}

// timeInterleaved runs every variant warmup times, then b.N rounds in which each
// variant runs once in turn, recording its wall and CPU time.
func timeInterleaved(b *testing.B, warmup int, variants []*timedVariant) {
	for _, v := range variants {
		for range warmup {
			if err := v.run(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for range b.N {
		for _, v := range variants {
			t0, c0 := time.Now(), cpuTime()
			if err := v.run(); err != nil {
				b.Fatal(err)
			}
			v.wall = append(v.wall, time.Since(t0))
			v.cpu = append(v.cpu, cpuTime()-c0)
		}
	}
}

// medianMS returns the median of d in milliseconds.
func medianMS(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2]) / 1e6
}

func newConstKernelExec(b *testing.B, backend compute.Backend, c convCase, k *tensors.Tensor) func(x *tensors.Tensor) error {
	e, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node {
		return c.conv(x, graph.ConstTensor(x.Graph(), k))
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Finalize)
	return func(x *tensors.Tensor) error {
		out, err := e.Call(x)
		for _, o := range out {
			o.FinalizeAll()
		}
		return err
	}
}

// BenchmarkResNet18Layers times every convolution shape of ResNet-18's forward
// pass as camviz's explainers compile it: the Go backend configured as
// backends.GoConfig (two op executors), the kernel a graph constant (so the product caches its
// packing). For each shape it also times the bare product [M, K]·[K, N] of the
// lowering with the same constant right operand, interleaved, so that the
// difference is what the lowering adds (padding, patch gathering, LHS packing of
// the patches is in both). It prints a table (wall and CPU per call, GFLOP/s)
// and the totals weighted by how often each shape occurs. Batch sizes from
// $FASTCONV_LAYER_BATCHES (default "1").
//
//	go test -run '^$' -bench ResNet18Layers -benchtime 20x ./camviz/fastconv/
func BenchmarkResNet18Layers(b *testing.B) {
	batches := layerBatches(b, 1)
	inner, err := gobackend.New("num_executors=2") // backends.GoConfig (an import cycle away)
	if err != nil {
		b.Fatal(err)
	}
	wrapped := Wrap(inner)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, batch := range batches {
		var totalWall, totalCPU, totalDotWall, totalDotCPU, totalFlops float64
		fmt.Printf("\nbatch %d, two op executors, constant kernels\n", batch)
		fmt.Printf("%-20s %2s %8s %8s %7s | %8s %8s %7s | %s\n", "layer", "n", "wall ms", "cpu ms", "GFLOP/s",
			"dot wall", "dot cpu", "GFLOP/s", "[M,K]x[K,N]")
		for _, l := range resnet18Forward {
			c := l.convCase(batch)
			x := randTensor(rng, c.inDims)
			k := randTensor(rng, c.kDims)
			out := (l.size+2*l.pad-l.k)/l.stride + 1
			m, kk := batch*out*out, l.k*l.k*l.cin
			patches := randTensor(rng, []int{m, kk})
			kmat := randTensor(rng, []int{kk, l.cout})
			conv := newConstKernelExec(b, wrapped, c, k)
			dotExec, err := graph.NewExec(wrapped, func(p *graph.Node) *graph.Node {
				return graph.Dot(p, graph.ConstTensor(p.Graph(), kmat)).Product()
			})
			if err != nil {
				b.Fatal(err)
			}
			dot := func() error {
				out, err := dotExec.Call(patches)
				for _, o := range out {
					o.FinalizeAll()
				}
				return err
			}
			variants := []*timedVariant{{name: "conv", run: func() error { return conv(x) }}, {name: "dot", run: dot}}
			timeInterleaved(b, 2, variants)
			dotExec.Finalize()
			flops := l.flops(batch)
			cw, cc, dw, dc := medianMS(variants[0].wall), medianMS(variants[0].cpu), medianMS(variants[1].wall), medianMS(variants[1].cpu)
			fmt.Printf("%-20s %2d %8.3f %8.3f %7.1f | %8.3f %8.3f %7.1f | [%d,%d]x[%d,%d]\n", l.name, l.count,
				cw, cc, flops/cw/1e6, dw, dc, flops/dw/1e6, m, kk, kk, l.cout)
			n := float64(l.count)
			totalWall += n * cw
			totalCPU += n * cc
			totalDotWall += n * dw
			totalDotCPU += n * dc
			totalFlops += n * flops
		}
		fmt.Printf("%-20s %2s %8.3f %8.3f %7.1f | %8.3f %8.3f %7.1f |\n", "all convolutions", "",
			totalWall, totalCPU, totalFlops/totalWall/1e6, totalDotWall, totalDotCPU, totalFlops/totalDotWall/1e6)
	}
}
