package camviz_test

import (
	"math/rand/v2"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestInGraphPostProcessing checks the graph versions of the resizes and of the final
// post-processing against the heatmap package (cv2 / torch semantics), on random maps
// with negative values, and that an all-zero map stays zero.
func TestInGraphPostProcessing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const b, h, w, outH, outW = 2, 5, 7, 16, 11
	data := make([]float32, b*h*w)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	for i := h * w; i < len(data); i++ {
		data[i] = 0 // example 1 is all zero
	}
	in := tensors.FromFlatDataAndDimensions(data, b, h, w)
	out, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, x *graph.Node) []*graph.Node {
		half, err1 := camviz.ResizeMaps(x, outH, outW, false)
		corners, err2 := camviz.ResizeMaps(graph.InsertAxes(x, -1), outH, outW, true) // [b, h, w, 1] layout too
		final, err3 := camviz.FinalMaps(x, outH, outW)
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				panic(err)
			}
		}
		return []*graph.Node{half, graph.Reshape(corners, b, outH, outW), final}
	}, in)
	if err != nil {
		t.Fatal(err)
	}
	got := [3][]float32{}
	for i := range got {
		got[i] = tensors.MustCopyFlatData[float32](out[i])
	}
	n := outH * outW
	for e := 0; e < b; e++ {
		m, _ := heatmap.FromSlice(h, w, data[e*h*w:(e+1)*h*w])
		for i, want := range []*heatmap.Map{heatmap.ResizeBilinear(m, outH, outW),
			heatmap.ResizeBilinearAlignCorners(m, outH, outW), heatmap.PostProcess(m, outH, outW)} {
			if err := maxAbsErr(got[i][e*n:(e+1)*n], want.Data); err > 2e-6 {
				t.Errorf("example %d, output %d: max abs difference %g from the heatmap package", e, i, err)
			}
		}
	}
	for _, v := range got[2][n:] {
		if v != 0 {
			t.Fatalf("FinalMaps of an all-zero map has %g, want 0", v)
		}
	}
	if _, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, x *graph.Node) *graph.Node {
		if _, err := camviz.ResizeMaps(x, 0, 4, false); err == nil {
			panic("ResizeMaps accepted size 0")
		}
		return x
	}, in); err != nil {
		t.Fatal(err)
	}
}
