package tailslack_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/tailslack"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkTailSlack is the same-run A/B of the workaround: a small conv net (three
// 3×3 convolutions with 24 channels, bias and ReLU, on a 2×32×32×3 batch: the tails
// and broadcasts the fault needs) on a fastconv backend without the slack and on one
// with it. With -count N the two sub-benchmarks alternate N times in one process.
//
//	go test ./camviz/tailslack -run '^$' -bench TailSlack -count 6
func BenchmarkTailSlack(b *testing.B) {
	var rng *rand.Rand
	tensor := func(dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 0.2
		}
		return tensors.FromFlatDataAndDimensions(x, dims...)
	}
	net := func(in []*graph.Node) *graph.Node {
		h := in[0]
		for _, k := range in[1:4] {
			h = graph.Convolve(h, k).PadSame().Done()
			h = graph.Max(graph.Add(h, row(in[4], 4)), graph.ScalarZero(h.Graph(), h.DType()))
		}
		return graph.ReduceSum(h, 1, 2)
	}
	// Both executables are built first, then called alternately, so that both see the
	// same machine load; the reported metrics are each one's mean time per call and the
	// ratio with/without.
	type variant struct {
		e    *graph.Exec
		args []any
		ns   time.Duration
	}
	var vs []*variant
	for _, slack := range []string{"0", "64"} {
		b.Setenv(tailslack.EnvVar, slack)
		inner, err := gobackend.New("")
		if err != nil {
			b.Fatal(err)
		}
		e, err := graph.NewExec(fastconv.Wrap(inner), net)
		if err != nil {
			b.Fatal(err)
		}
		// The same values for both (tensors are tied to the backend they first ran on).
		rng = rand.New(rand.NewPCG(1, 2))
		args := []any{tensor(2, 32, 32, 3), tensor(3, 3, 3, 24), tensor(3, 3, 24, 24), tensor(3, 3, 24, 24), tensor(24)}
		if _, err := e.Call(args...); err != nil {
			b.Fatal(err)
		}
		vs = append(vs, &variant{e: e, args: args})
	}
	b.ResetTimer()
	for i := range b.N {
		for k := range vs {
			v := vs[(i+k)%2] // alternate which goes first
			start := time.Now()
			if _, err := v.e.Call(v.args...); err != nil {
				b.Fatal(err)
			}
			v.ns += time.Since(start)
		}
	}
	off, on := float64(vs[0].ns)/float64(b.N), float64(vs[1].ns)/float64(b.N)
	b.ReportMetric(off, "ns/call-slack0")
	b.ReportMetric(on, "ns/call-slack64")
	b.ReportMetric(on/off, "with/without")
}
