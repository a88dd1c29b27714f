package camviz_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// randomImages returns n·h·w·2 values for tinyModel (two input channels).
func randomImages(seed uint64, n, h, w int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*h*w*2)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func gradCAMRaw(t *testing.T, ex *camviz.Explainer, x []float32, dims []int, target camviz.Target) []float32 {
	t.Helper()
	res, err := ex.ExplainFloats(x, dims, target)
	if err != nil {
		t.Fatalf("Explain %v %s: %v", dims, target, err)
	}
	raw, err := res.Raw("a2", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	var out []float32
	for _, m := range raw {
		out = append(out, m.Data...)
	}
	return out
}

// TestCompiledGraphCacheBounded explains 40 input shapes and 40 function targets on one
// Explainer (GoMLX refused the 33rd shape, and every target kept its graph forever):
// the Explainer keeps at most Config.MaxCompiledGraphs graphs, and a shape whose graph
// was evicted gives the same maps when it comes back.
func TestCompiledGraphCacheBounded(t *testing.T) {
	ex, err := camviz.NewExplainer(testBackend, model.NewStore(), tinyModel, camviz.Config{
		Layers: []string{"a2"}, Methods: []camviz.Method{camviz.MethodGradCAM}, MaxCompiledGraphs: 4})
	if err != nil {
		t.Fatal(err)
	}
	first := randomImages(1, 1, 1, 2)
	want := gradCAMRaw(t, ex, first, []int{1, 1, 2, 2}, camviz.ArgmaxTarget())
	for h := 2; h <= 40; h++ {
		gradCAMRaw(t, ex, randomImages(uint64(h), 1, h, 2), []int{1, h, 2, 2}, camviz.ArgmaxTarget())
		if n := ex.CompiledGraphs(); n > 4 {
			t.Fatalf("after %d shapes the Explainer keeps %d compiled graphs, more than MaxCompiledGraphs=4", h, n)
		}
	}
	for i := range 40 {
		c := i % 2
		fn := camviz.FuncTarget(fmt.Sprintf("logit%d-%d", c, i), func(logits *graph.Node) *graph.Node {
			return graph.Reshape(graph.Slice(logits, graph.AxisRange(), graph.AxisElem(c)), logits.Shape().Dimensions[0])
		})
		got := gradCAMRaw(t, ex, first, []int{1, 1, 2, 2}, fn)
		byClass := gradCAMRaw(t, ex, first, []int{1, 1, 2, 2}, camviz.ClassTarget(c))
		if !slices.Equal(got, byClass) {
			t.Fatalf("FuncTarget logit %d gives %v, ClassTarget(%d) %v", c, got, c, byClass)
		}
	}
	if n := ex.CompiledGraphs(); n > 4 {
		t.Fatalf("after 40 function targets the Explainer keeps %d compiled graphs", n)
	}
	if got := gradCAMRaw(t, ex, first, []int{1, 1, 2, 2}, camviz.ArgmaxTarget()); !slices.Equal(got, want) {
		t.Fatalf("the first shape after eviction gives %v, first time %v", got, want)
	}
}

// TestCompiledGraphCacheDefault runs 40 shapes with the default bound (16) and 100
// class pairs (which share one graph: the classes are a graph input).
func TestCompiledGraphCacheDefault(t *testing.T) {
	ex, err := camviz.NewExplainer(testBackend, model.NewStore(), tinyModel, camviz.Config{
		Layers: []string{"a2"}, Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= 40; h++ {
		gradCAMRaw(t, ex, randomImages(uint64(h), 1, h, 1), []int{1, h, 1, 2}, camviz.ArgmaxTarget())
	}
	if n := ex.CompiledGraphs(); n != camviz.DefaultMaxCompiledGraphs {
		t.Fatalf("after 40 shapes: %d compiled graphs, want the default bound %d", n, camviz.DefaultMaxCompiledGraphs)
	}
	x := randomImages(9, 2, 1, 1)
	for i := range 100 {
		gradCAMRaw(t, ex, x, []int{2, 1, 1, 2}, camviz.ClassTarget(i%2, (i/2)%2))
	}
	if n := ex.CompiledGraphs(); n > camviz.DefaultMaxCompiledGraphs {
		t.Fatalf("after 100 class pairs: %d compiled graphs", n)
	}
	_, err = camviz.NewExplainer(testBackend, model.NewStore(), tinyModel, camviz.Config{
		Layers: []string{"a2"}, Methods: []camviz.Method{camviz.MethodGradCAM}, MaxCompiledGraphs: -1})
	if err == nil || !strings.Contains(err.Error(), "MaxCompiledGraphs") {
		t.Fatalf("MaxCompiledGraphs -1: got %v, want an error naming it", err)
	}
}
