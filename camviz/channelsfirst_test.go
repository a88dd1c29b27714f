package camviz_test

import (
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// forwardChannelsFirst is model A taking NCHW images and tapping NCHW activations, the
// layout of PyTorch and ONNX models: the same weights and arithmetic as modela.Forward,
// with transposes around every tap.
func forwardChannelsFirst(scope *model.Scope, x *graph.Node) *graph.Node {
	conv := func(name string, x *graph.Node) *graph.Node {
		s := scope.At("%s", name)
		w := s.GetVariable("weights").NodeValue(x.Graph())
		b := s.GetVariable("biases").NodeValue(x.Graph())
		y := graph.Convolve(x, w).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
		return graph.Add(y, graph.ExpandLeftToRank(b, y.Rank()))
	}
	tap := func(x *graph.Node, name string) *graph.Node {
		return graph.TransposeAllAxes(camviz.Tap(graph.TransposeAllAxes(x, 0, 3, 1, 2), name), 0, 2, 3, 1)
	}
	x = graph.TransposeAllAxes(x, 0, 2, 3, 1)
	x = tap(camviz.ReLU(conv("conv1", x)), "relu1")
	x = tap(camviz.ReLU(conv("conv2", x)), "relu2")
	x = graph.MaxPool(x).Window(2).Done()
	x = tap(camviz.ReLU(conv("conv3", x)), "relu3")
	x = graph.ReduceMean(x, 1, 2)
	w := scope.At("fc").GetVariable("weights").NodeValue(x.Graph())
	b := scope.At("fc").GetVariable("biases").NodeValue(x.Graph())
	return graph.Add(graph.MatMul(x, w), graph.ExpandLeftToRank(b, 2))
}

// TestChannelsFirst explains model A in both layouts: every method on one image, then
// aug-smooth and guided backprop on two. Config.ChannelsFirst must give the same maps
// (Score-CAM masks NCHW images, Ablation-CAM substitutes NCHW activations, the flip is on
// axis 3, the guided gradients come back NCHW).
func TestChannelsFirst(t *testing.T) {
	layers := []string{"relu2", "relu3"}
	t.Run("every method", func(t *testing.T) {
		last, first := explainBothLayouts(t, "input_nchw.npy",
			camviz.Config{Layers: layers, Methods: familyMethods, ChunkSize: 40})
		for _, l := range layers {
			for _, m := range familyMethods {
				a, _ := last.Raw(l, m)
				b, _ := first.Raw(l, m)
				if e := maxRelErr(flatten(b), flatten(a)); e > 1e-5 {
					t.Errorf("%s %s: channels-first raw differs by %g", l, m, e)
				}
			}
		}
	})
	t.Run("aug-smooth and guided", func(t *testing.T) {
		ms := []camviz.Method{camviz.MethodGradCAM, camviz.MethodEigenCAM}
		last, first := explainBothLayouts(t, "input_b2_nchw.npy",
			camviz.Config{Layers: layers, Methods: ms, AugSmooth: true, GuidedBackprop: true})
		for _, l := range layers {
			for _, m := range ms {
				a, _ := last.AugmentedRaw(l, m)
				b, _ := first.AugmentedRaw(l, m)
				for p := range a {
					if e := maxRelErr(flatten(b[p]), flatten(a[p])); e > 1e-5 {
						t.Errorf("%s %s pass %d: channels-first raw differs by %g", l, m, p, e)
					}
				}
				fa, _ := last.Final(l, m)
				fb, _ := first.Final(l, m)
				if e := maxAbsErr(flatten(fb), flatten(fa)); e > 1e-5 {
					t.Errorf("%s %s: channels-first final differs by %g", l, m, e)
				}
			}
		}
		ga, _ := last.GuidedBackprop()
		gb, err := first.GuidedBackprop()
		if err != nil {
			t.Fatal(err)
		}
		for b := range ga {
			if !gb[b].ChannelsFirst || gb[b].C != 3 || gb[b].H != 32 || gb[b].W != 32 {
				t.Fatalf("guided map %d: %d×%d×%d channels-first %v", b, gb[b].H, gb[b].W, gb[b].C, gb[b].ChannelsFirst)
			}
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					for ch := 0; ch < 3; ch++ {
						if d := ga[b].At(y, x, ch) - gb[b].At(y, x, ch); d > 1e-6 || d < -1e-6 {
							t.Fatalf("guided (%d,%d,%d,%d): %g vs %g", b, y, x, ch, ga[b].At(y, x, ch), gb[b].At(y, x, ch))
						}
					}
				}
			}
		}
	})
}

// explainBothLayouts explains an input file with model A channels-last and channels-first.
func explainBothLayouts(t *testing.T, input string, cfg camviz.Config) (last, first *camviz.Result) {
	t.Helper()
	images, dims, err := modela.Input(input)
	if err != nil {
		t.Fatal(err)
	}
	nchw := make([]float32, len(images))
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	for b := 0; b < n; b++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					nchw[((b*c+ch)*h+y)*w+x] = images[((b*h+y)*w+x)*c+ch]
				}
			}
		}
	}
	target := camviz.ClassTarget(3)
	if n == 2 {
		target = camviz.ClassTarget(3, 5)
	}
	run := func(fn camviz.ModelFn, channelsFirst bool, data []float32, d []int) *camviz.Result {
		store, _, err := modela.Load()
		if err != nil {
			t.Fatal(err)
		}
		cfg.ChannelsFirst = channelsFirst
		ex, err := camviz.NewExplainer(testBackend, store, fn, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(data, d, target)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	return run(modela.Forward, false, images, dims), run(forwardChannelsFirst, true, nchw, []int{n, c, h, w})
}
