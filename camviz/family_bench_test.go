package camviz_test

import (
	"fmt"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
)

// benchExplain times Explain of model A at relu3 (graph compiled before the timer).
func benchExplain(b *testing.B, input string, cfg camviz.Config) {
	store, fn, err := modela.Load()
	if err != nil {
		b.Fatal(err)
	}
	ex, err := camviz.NewExplainer(testBackend, store, fn, cfg)
	if err != nil {
		b.Fatal(err)
	}
	images, dims, err := modela.Input(input)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunkedMethods compares chunk sizes of Score-CAM (64 whole-model passes) and
// Ablation-CAM (64 passes of the layers after relu3) on model A, one image.
func BenchmarkChunkedMethods(b *testing.B) {
	for _, m := range chunked {
		for _, chunk := range []int{8, 64} {
			b.Run(fmt.Sprintf("%s/chunk=%d", m, chunk), func(b *testing.B) {
				benchExplain(b, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{m},
					ChunkSize: chunk})
			})
		}
	}
}

// BenchmarkGradientFamily times each gradient method (forward + backward to relu3) and
// Eigen-CAM on model A, one image.
func BenchmarkGradientFamily(b *testing.B) {
	for _, m := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodXGradCAM,
		camviz.MethodHiResCAM, camviz.MethodLayerCAM, camviz.MethodGradCAMElementWise, camviz.MethodEigenCAM,
		camviz.MethodEigenGradCAM} {
		b.Run(string(m), func(b *testing.B) {
			benchExplain(b, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{m}})
		})
	}
}
