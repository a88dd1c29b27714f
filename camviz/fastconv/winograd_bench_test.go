package fastconv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkWinogradLayers times ResNet-18's 3×3 stride-1 convolutions three
// ways, interleaved: the patch product (Winograd off), Winograd with the kernel
// a graph constant (transformed when the graph is built, as camviz's explainers
// compile a model), and Winograd with the kernel a parameter (transformed in the
// graph at every call, as in Score-CAM's chunk graphs). Batch sizes from
// $FASTCONV_LAYER_BATCHES (default "1,16").
//
//	go test -run '^$' -bench WinogradLayers -benchtime 20x ./camviz/fastconv/
func BenchmarkWinogradLayers(b *testing.B) {
	batches := layerBatches(b, 1, 16)
	inner, err := gobackend.New("num_executors=2") // backends.GoConfig (an import cycle away)
	if err != nil {
		b.Fatal(err)
	}
	wrapped := Wrap(inner)
	rng := rand.New(rand.NewPCG(8, 8))
	saved := Winograd
	defer func() { Winograd = saved }()
	// compiled builds and compiles fn under mode m (graphs read the mode when built).
	compiled := func(m WinogradMode, fn func([]*graph.Node) []*graph.Node, args ...any) func() error {
		Winograd = m
		defer func() { Winograd = saved }()
		e, err := graph.NewExec(wrapped, fn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Finalize)
		call := func() error {
			out, err := e.Call(args...)
			for _, o := range out {
				o.FinalizeAll()
			}
			return err
		}
		if err := call(); err != nil {
			b.Fatal(err)
		}
		return call
	}
	for _, batch := range batches {
		fmt.Printf("\nbatch %d: wall / CPU ms per call (medians), GFLOP/s of the direct convolution's work\n", batch)
		fmt.Printf("%-12s %2s | %-22s | %-22s | %-22s | %-22s\n", "layer", "n", "patches", "F(2,3), const kernel", "F(4,3), const kernel", "F(4,3), param kernel")
		var totals [4][2]float64
		for _, l := range resnet18Forward {
			if l.k != 3 || l.stride != 1 {
				continue
			}
			c := l.convCase(batch)
			x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
			constFn := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{c.conv(in[0], graph.ConstTensor(in[0].Graph(), k))}
			}
			paramFn := func(in []*graph.Node) []*graph.Node { return []*graph.Node{c.conv(in[0], in[1])} }
			kp := must(k.LocalClone())
			variants := []*timedVariant{
				{name: "patches", run: compiled(WinogradOff, constFn, x)},
				{name: "F2 const", run: compiled(WinogradF2, constFn, x)},
				{name: "F4 const", run: compiled(WinogradF4, constFn, x)},
				{name: "F4 param", run: compiled(WinogradF4, paramFn, x, kp)},
			}
			timeInterleaved(b, 1, variants)
			flops := l.flops(batch)
			fmt.Printf("%-12s %2d", l.name, l.count)
			for i, v := range variants {
				w, cpu := medianMS(v.wall), medianMS(v.cpu)
				totals[i][0] += float64(l.count) * w
				totals[i][1] += float64(l.count) * cpu
				fmt.Printf(" | %6.2f / %6.2f %5.0f", w, cpu, flops/w/1e6)
			}
			fmt.Println()
		}
		fmt.Printf("%-15s", "all (weighted)")
		for _, t := range totals {
			fmt.Printf(" | %6.2f / %6.2f      ", t[0], t[1])
		}
		fmt.Println()
	}
}
