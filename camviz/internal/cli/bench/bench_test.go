package bench

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// resnet18 is the full-width ResNet-18 at 224×224 shared by the benchmarks
// (its 11.7M random weights are initialised once, on first use).
var resnet18 = sync.OnceValues(func() (*models.Model, error) {
	return models.New(models.ResNet18Spec(1000, 224))
})

var benchBackend = sync.OnceValues(backends.New)

func benchSetup(b *testing.B) (compute.Backend, *models.Model, *tensors.Tensor) {
	b.Helper()
	backend, err := benchBackend()
	if err != nil {
		b.Fatal(err)
	}
	m, err := resnet18()
	if err != nil {
		b.Fatal(err)
	}
	return backend, m, randomTensor(rand.New(rand.NewPCG(5, 6)), 1, 224, 224, 3)
}

// loop times fn after one untimed call (compilation, variable initialisation)
// and reports the process CPU time per operation next to the wall time.
func loop(b *testing.B, fn func() error) {
	b.Helper()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cpuTime()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkResNet18 measures a full-width ResNet-18 on one 224×224 image with
// the default backend: the forward pass, and Explain with Grad-CAM at
// layer4.1, Grad-CAM at all 8 blocks in one pass, Grad-CAM++ and Eigen-CAM at
// layer4.1 (argmax target). Run e.g.:
//
//	go test -run '^$' -bench ResNet18 -benchtime 10x ./camviz/internal/cli/bench/
func BenchmarkResNet18(b *testing.B) {
	backend, m, img := benchSetup(b)
	b.Run("forward", func(b *testing.B) {
		e, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return m.Fn(scope, x)
		})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Finalize()
		loop(b, func() error {
			out, err := e.Exec(img)
			for _, t := range out {
				t.FinalizeAll()
			}
			return err
		})
	})
	for _, tc := range []struct {
		name   string
		layers []string
		method camviz.Method
	}{
		{"GradCAM/layer4.1", []string{"layer4.1"}, camviz.MethodGradCAM},
		{"GradCAM/8blocks", m.Layers[1:], camviz.MethodGradCAM},
		{"GradCAMPlusPlus/layer4.1", []string{"layer4.1"}, camviz.MethodGradCAMPlusPlus},
		{"EigenCAM/layer4.1", []string{"layer4.1"}, camviz.MethodEigenCAM},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ex, err := m.Explainer(backend, tc.layers, tc.method)
			if err != nil {
				b.Fatal(err)
			}
			loop(b, func() error {
				_, err := ex.Explain(img, camviz.ArgmaxTarget())
				return err
			})
		})
	}
}
