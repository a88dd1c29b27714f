package fastconv

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// resnetLayer is one convolution shape of ResNet-18 (channels last).
type resnetLayer struct {
	name               string
	size, cin, cout, k int
	stride, pad        int
}

var resnet18 = []resnetLayer{
	{"stem7x7s2_224x3", 224, 3, 64, 7, 2, 3},
	{"3x3_56x64", 56, 64, 64, 3, 1, 1},
	{"3x3s2_56x64to128", 56, 64, 128, 3, 2, 1},
	{"3x3_28x128", 28, 128, 128, 3, 1, 1},
	{"3x3_14x256", 14, 256, 256, 3, 1, 1},
	{"3x3_7x512", 7, 512, 512, 3, 1, 1},
	{"1x1s2_56x64to128", 56, 64, 128, 1, 2, 0},
}

func (l resnetLayer) convCase(batch int) convCase {
	return convCase{name: l.name, inDims: []int{batch, l.size, l.size, l.cin}, kDims: []int{l.k, l.k, l.cin, l.cout},
		axes: channelsLast(2), strides: []int{l.stride, l.stride}, pads: [][2]int{{l.pad, l.pad}, {l.pad, l.pad}}}
}

// flops is 2·B·Ho·Wo·Cout·K·K·Cin, the multiply-adds of the forward conv.
func (l resnetLayer) flops(batch int) float64 {
	out := (l.size+2*l.pad-l.k)/l.stride + 1
	return 2 * float64(batch*out*out*l.cout*l.k*l.k*l.cin)
}

func benchExec(b *testing.B, backend compute.Backend, fn func([]*graph.Node) []*graph.Node, flops float64, args ...*tensors.Tensor) {
	e, err := graph.NewExec(backend, fn)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Finalize()
	in := make([]any, len(args))
	for i, a := range args {
		in[i] = a
	}
	if _, err := e.Call(in...); err != nil { // compile and warm up
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		out, err := e.Call(in...)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	b.ReportMetric(flops*float64(b.N)/time.Since(start).Seconds()/1e9, "GFLOP/s")
}

// BenchmarkConv measures the forward conv of ResNet-18's layers, lowered
// (fastconv) and native. GFLOP/s counts 2·B·Ho·Wo·Cout·K·K·Cin.
// Run e.g.: go test -run '^$' -bench 'Conv/.*/b1/' ./camviz/fastconv/
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, l := range resnet18 {
		for _, batch := range []int{1, 8} {
			c := l.convCase(batch)
			fn := func(in []*graph.Node) []*graph.Node { return []*graph.Node{c.conv(in[0], in[1])} }
			for _, v := range []struct {
				name    string
				backend compute.Backend
			}{{"fastconv", Wrap(native())}, {"native", native()}} {
				b.Run(fmt.Sprintf("%s/b%d/%s", l.name, batch, v.name), func(b *testing.B) {
					benchExec(b, v.backend, fn, l.flops(batch), randTensor(rng, c.inDims), randTensor(rng, c.kDims))
				})
			}
		}
	}
}

// BenchmarkConvGrad measures forward + gradients w.r.t. input and kernel of
// Σ conv(x,k)·w. GFLOP/s counts 3× the forward FLOPs (the two gradients each
// cost as much as the forward conv).
func BenchmarkConvGrad(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, l := range resnet18 {
		for _, batch := range []int{1, 8} {
			c := l.convCase(batch)
			out, _ := c.outShape()
			fn := func(in []*graph.Node) []*graph.Node {
				loss := graph.ReduceAllSum(graph.Mul(c.conv(in[0], in[1]), in[2]))
				return graph.Gradient(loss, in[0], in[1])
			}
			for _, v := range []struct {
				name    string
				backend compute.Backend
			}{{"fastconv", Wrap(native())}, {"native", native()}} {
				b.Run(fmt.Sprintf("%s/b%d/%s", l.name, batch, v.name), func(b *testing.B) {
					benchExec(b, v.backend, fn, 3*l.flops(batch),
						randTensor(rng, c.inDims), randTensor(rng, c.kDims), randTensor(rng, out.Dimensions))
				})
			}
		}
	}
}

// BenchmarkMatMul is the ceiling: the DotGeneral of the lowering alone,
// [B·Ho·Wo, K·K·Cin] x [K·K·Cin, Cout], on the plain Go backend.
func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, l := range resnet18 {
		for _, batch := range []int{1, 8} {
			out := (l.size+2*l.pad-l.k)/l.stride + 1
			m, kk := batch*out*out, l.k*l.k*l.cin
			b.Run(fmt.Sprintf("%s/b%d", l.name, batch), func(b *testing.B) {
				benchExec(b, native(), func(in []*graph.Node) []*graph.Node {
					return []*graph.Node{graph.Dot(in[0], in[1]).Product()}
				}, l.flops(batch), randTensor(rng, []int{m, kk}), randTensor(rng, []int{kk, l.cout}))
			})
		}
	}
}
