package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkResNet18ExecutionMode compares the ResNet-18 batch-1 forward pass
// on the Go backend with its default op scheduling (parallel executors, which
// hold worker-pool slots that the matrix products then cannot use) and with
// "ops_sequential" (what camviz/backends configured until it moved to two
// executors, backends.GoConfig; BenchmarkResNet18ForwardAB compares those),
// interleaved: each iteration runs both, and the medians and their ratio are
// reported.
//
//	go test -run '^$' -bench ResNet18ExecutionMode -benchtime 20x ./camviz/internal/cli/bench/
func BenchmarkResNet18ExecutionMode(b *testing.B) {
	_, _, img := benchSetup(b)
	var runs []func() error
	for _, config := range []string{"", "ops_sequential"} {
		inner, err := gobackend.New(config)
		if err != nil {
			b.Fatal(err)
		}
		// Tensors and variables are bound to one backend instance: a model and an image per backend.
		m, err := models.New(models.ResNet18Spec(1000, 224))
		if err != nil {
			b.Fatal(err)
		}
		img, err := img.LocalClone()
		if err != nil {
			b.Fatal(err)
		}
		e, err := model.NewExec(fastconv.Wrap(inner), m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return m.Fn(scope, x)
		})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Finalize()
		run := func() error {
			out, err := e.Exec(img)
			for _, t := range out {
				t.FinalizeAll()
			}
			return err
		}
		if err := run(); err != nil { // compile
			b.Fatal(err)
		}
		runs = append(runs, run)
	}
	var wall, cpu [2][]float64
	b.ResetTimer()
	for b.Loop() {
		for i, run := range runs {
			t0, c0 := time.Now(), cpuTime()
			if err := run(); err != nil {
				b.Fatal(err)
			}
			wall[i] = append(wall[i], ms(time.Since(t0)))
			cpu[i] = append(cpu[i], ms(cpuTime()-c0))
		}
	}
	med := func(xs []float64) float64 { v, _ := median(slices.Clone(xs)); return v }
	b.ReportMetric(med(wall[0]), "parallel-ops-ms")
	b.ReportMetric(med(wall[1]), "sequential-ops-ms")
	b.ReportMetric(med(cpu[0])/med(wall[0]), "parallel-ops-cores")
	b.ReportMetric(med(cpu[1])/med(wall[1]), "sequential-ops-cores")
	b.ReportMetric(med(wall[1])/med(wall[0]), "sequential/parallel")
}
