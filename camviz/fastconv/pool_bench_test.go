package fastconv

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkMaxPool measures ResNet-18's stem max-pool (3×3, stride 2,
// padding 1, on the 112×112×64 stem output), lowered and native: the pooling
// alone ("forward") and with its gradient, SelectAndScatterMax ("grad").
// cpu-ns/op is the process's CPU time per operation (all threads): on a
// shared machine wall time includes waiting for a core.
// Run e.g.: go test -run '^$' -bench MaxPool ./camviz/fastconv/
func BenchmarkMaxPool(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	c := poolCase{name: "stem", op: compute.ReduceOpMax, dims: []int{1, 112, 112, 64}, window: []int{1, 3, 3, 1},
		strides: []int{1, 2, 2, 1}, pads: [][2]int{{0, 0}, {1, 1}, {1, 1}, {0, 0}}}
	x, w := randTensor(rng, c.dims), randTensor(rng, c.outDims())
	for _, grads := range []bool{false, true} {
		for _, v := range []struct {
			name    string
			backend compute.Backend
		}{{"fastconv", Wrap(native())}, {"native", native()}} {
			kind := map[bool]string{false: "forward", true: "grad"}[grads]
			b.Run(fmt.Sprintf("%s/%s/%s", c.name, kind, v.name), func(b *testing.B) {
				fn := c.graphFn(grads)
				e, err := graph.NewExec(v.backend, func(in []*graph.Node) []*graph.Node { return fn(in) })
				if err != nil {
					b.Fatal(err)
				}
				defer e.Finalize()
				xc, wc := must(x.LocalClone()), must(w.LocalClone())
				var cpu0 time.Duration
				for i := range b.N + 1 { // the first call compiles
					if i == 1 {
						b.ResetTimer()
						cpu0 = cpuTime()
					}
					out, err := e.Call(xc, wc)
					if err != nil {
						b.Fatal(err)
					}
					for _, o := range out {
						o.FinalizeAll()
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
