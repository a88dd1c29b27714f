//go:build unix

package nb

import (
	"image"
	"image/color"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// A result with 1000 classes and no ClassNames is captioned with the bundled ImageNet-1k
// names; explicit names win.
func TestExplorerAddResultImageNetNames(t *testing.T) {
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	// logits[c] = (c+1)·Σ pixels: 1000 classes.
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		s := graph.ReduceSum(camviz.Tap(images, "pixels"), 1, 2, 3)
		scale := graph.AddScalar(graph.Iota(images.Graph(), shapes.Make(images.DType(), 1000), 0), 1)
		return graph.Mul(graph.ExpandAxes(s, -1), graph.ExpandAxes(scale, 0))
	}
	ex, err := camviz.NewExplainer(backend, nil, fn, camviz.Config{Layers: []string{"pixels"}, Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats([]float32{0, 1, 0, 1}, []int{1, 2, 2, 1}, camviz.ClassTarget(281))
	if err != nil {
		t.Fatal(err)
	}
	white := solid(2, 2, color.RGBA{255, 255, 255, 255})
	for _, c := range []struct {
		names []string
		want  string
	}{
		{nil, "pixels · GradCAM · tabby, score 564 · map 2×2"}, // score (281+1)·2
		{make([]string, 1000), "pixels · GradCAM · , score 564 · map 2×2"},
	} {
		e := NewExplorer("imagenet")
		if err := e.AddResult(res, ResultOptions{Images: []image.Image{white}, ClassNames: c.names}); err != nil {
			t.Fatal(err)
		}
		page, err := e.HTML()
		if err != nil {
			t.Fatal(err)
		}
		if d := parseExplorer(t, page); d.Captions[0] != c.want {
			t.Errorf("caption %q, want %q", d.Captions[0], c.want)
		}
	}
}
