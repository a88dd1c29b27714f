package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkResNet18ForwardConst measures the forward pass of the full-width
// ResNet-18 at 224² as the bench command and the Explainers compile it: the
// graph is built after the variables have values, so the Go backend embeds the
// weights as constants and caches the packing of the products' kernels
// (BenchmarkResNet18/forward compiles first and takes them as parameters).
// Batch sizes 1 and 8. Profile one with e.g.:
//
//	go test -run '^$' -bench 'ResNet18ForwardConst/b1' -benchtime 100x -cpuprofile cpu.prof ./camviz/internal/cli/bench/
func BenchmarkResNet18ForwardConst(b *testing.B) {
	backend, m, _ := benchSetup(b)
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("b%d", batch), func(b *testing.B) {
			img := randomTensor(rand.New(rand.NewPCG(5, 6)), batch, 224, 224, 3)
			e, run := constForwardExec(b, backend, m, img)
			defer e.Finalize()
			loop(b, func() error { return run(e) })
		})
	}
}

// constForwardExec compiles m's forward pass on backend after a first graph
// has initialised the variables, so that this one embeds the weights as
// constants (as the bench command's and the Explainers' graphs do). The graph
// itself is built at e's first call; run executes e on img and frees the outputs.
func constForwardExec(b *testing.B, backend compute.Backend, m *models.Model, img *tensors.Tensor) (e *model.Exec, run func(*model.Exec) error) {
	newExec := func() *model.Exec {
		e, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return m.Fn(scope, x)
		})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	run = func(e *model.Exec) error {
		out, err := e.Exec(img)
		for _, t := range out {
			t.FinalizeAll()
		}
		return err
	}
	initExec := newExec() // the first graph initialises the variables
	if err := run(initExec); err != nil {
		b.Fatal(err)
	}
	initExec.Finalize()
	return newExec(), run
}
