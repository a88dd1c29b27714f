// Package modela builds the pytorch-grad-cam reference "model A" (a small GAP-CNN) in GoMLX
// from its .npy weights, for camviz's fidelity tests. See testdata/reference/README.md.
//
//	conv1(3→16, 3×3, pad 1) → relu1 → conv2(16→32) → relu2 → maxpool 2 → conv3(32→64)
//	→ relu3 → global average pool → fc(64→10)
//
// Torch layouts are converted to GoMLX's channels-last: conv weights OIHW → HWIO, the
// Linear weight (out, in) → dense kernel (in, out), inputs NCHW → NHWC.
package modela

import (
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Dir returns testdata/reference/model_a of this checkout.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "reference", "model_a")
}

// Load reads model A's weights into a new store and returns it with the model function.
// The taps are relu1, relu2, relu3 and "fc/weights" (the dense kernel [64, 10], for CAM);
// the conv outputs (bias added, before the ReLU) are bias sites conv1, conv2, conv3
// (camviz.BiasTap), for FullGrad.
func Load() (*model.Store, camviz.ModelFn, error) { return load(false) }

// LoadFloat64 is Load with the weights converted to float64, for finite-difference checks.
func LoadFloat64() (*model.Store, camviz.ModelFn, error) { return load(true) }

func load(float64s bool) (*model.Store, camviz.ModelFn, error) {
	store := model.NewStore()
	conv := func(t *tensors.Tensor) *tensors.Tensor { return t }
	if float64s {
		conv = toFloat64
	}
	root := store.RootScope()
	for _, name := range []string{"conv1", "conv2", "conv3"} {
		w, err := npy.ReadFile(filepath.Join(Dir(), "weights", name+".weight.npy"))
		if err != nil {
			return nil, nil, err
		}
		b, err := npy.ReadFile(filepath.Join(Dir(), "weights", name+".bias.npy"))
		if err != nil {
			return nil, nil, err
		}
		root.At("%s", name).VariableWithValue("weights", conv(OIHWToHWIO(w)))
		root.At("%s", name).VariableWithValue("biases", conv(tensors.FromFlatDataAndDimensions(b.Data, b.Shape...)))
	}
	fw, err := npy.ReadFile(filepath.Join(Dir(), "weights", "fc.weight.npy"))
	if err != nil {
		return nil, nil, err
	}
	fb, err := npy.ReadFile(filepath.Join(Dir(), "weights", "fc.bias.npy"))
	if err != nil {
		return nil, nil, err
	}
	out, in := fw.Shape[0], fw.Shape[1]
	kernel := make([]float32, in*out)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			kernel[i*out+o] = fw.Data[o*in+i]
		}
	}
	root.At("fc").VariableWithValue("weights", conv(tensors.FromFlatDataAndDimensions(kernel, in, out)))
	root.At("fc").VariableWithValue("biases", conv(tensors.FromFlatDataAndDimensions(fb.Data, fb.Shape...)))
	return store, Forward, nil
}

// Forward is model A's graph, on NHWC images [batch, 32, 32, 3]. Its ReLUs are
// camviz.ReLU, so guided backpropagation works on it.
func Forward(scope *model.Scope, x *graph.Node) *graph.Node {
	conv := func(name string, x *graph.Node) *graph.Node {
		s := scope.At("%s", name)
		w := s.GetVariable("weights").NodeValue(x.Graph())
		b := s.GetVariable("biases").NodeValue(x.Graph())
		y := graph.Convolve(x, w).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
		return camviz.BiasTap(graph.Add(y, graph.ExpandLeftToRank(b, y.Rank())), b, name)
	}
	x = camviz.Tap(camviz.ReLU(conv("conv1", x)), "relu1")
	x = camviz.Tap(camviz.ReLU(conv("conv2", x)), "relu2")
	x = graph.MaxPool(x).Window(2).Done()
	x = camviz.Tap(camviz.ReLU(conv("conv3", x)), "relu3")
	x = graph.ReduceMean(x, 1, 2)
	g := x.Graph()
	w := camviz.Tap(scope.At("fc").GetVariable("weights").NodeValue(g), "fc/weights")
	b := scope.At("fc").GetVariable("biases").NodeValue(g)
	return graph.Add(graph.MatMul(x, w), graph.ExpandLeftToRank(b, 2))
}

func toFloat64(t *tensors.Tensor) *tensors.Tensor {
	f32 := tensors.MustCopyFlatData[float32](t)
	f64 := make([]float64, len(f32))
	for i, v := range f32 {
		f64[i] = float64(v)
	}
	return tensors.FromFlatDataAndDimensions(f64, t.Shape().Dimensions...)
}

// OIHWToHWIO converts a torch conv weight (out, in, kh, kw) to GoMLX's (kh, kw, in, out).
func OIHWToHWIO(a *npy.Array) *tensors.Tensor {
	o, i, kh, kw := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := make([]float32, len(a.Data))
	for oo := 0; oo < o; oo++ {
		for ii := 0; ii < i; ii++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					out[((y*kw+x)*i+ii)*o+oo] = a.Data[((oo*i+ii)*kh+y)*kw+x]
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, kh, kw, i, o)
}

// NCHWToNHWC converts a float32 array from torch layout (N, C, H, W) to (N, H, W, C).
func NCHWToNHWC(a *npy.Array) ([]float32, []int, error) {
	if len(a.Shape) != 4 {
		return nil, nil, fmt.Errorf("want a 4-D array, got shape %v", a.Shape)
	}
	n, c, h, w := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := make([]float32, len(a.Data))
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					out[((b*h+y)*w+x)*c+ch] = a.Data[((b*c+ch)*h+y)*w+x]
				}
			}
		}
	}
	return out, []int{n, h, w, c}, nil
}

// Input reads one of model A's input files (e.g. "input_nchw.npy") as NHWC.
func Input(name string) ([]float32, []int, error) {
	a, err := npy.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		return nil, nil, err
	}
	return NCHWToNHWC(a)
}
