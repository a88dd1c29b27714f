package camviz

import (
	"fmt"

	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/tensors"
)

// Result holds what one Explain call computed: the model's outputs, the target used, and
// for every layer × method the raw maps (before ReLU and normalisation, at feature
// resolution) and, for methods that have them, the channel weights.
type Result struct {
	// Layers and Methods repeat the Explainer's configuration.
	Layers  []string
	Methods []Method
	// InputDims are the images' dimensions as given to Explain.
	InputDims []int
	// Logits are the model's outputs, [batch][numClasses].
	Logits [][]float32
	// Classes are the explained class per example (argmax or requested); all zero for
	// function targets.
	Classes []int
	// Scores are the target score per example.
	Scores []float32
	// Taps lists every tap of the model (not only the explained ones), in graph order.
	Taps []TapInfo

	channelsFirstInput bool
	maps               map[Key]*mapSet
}

// mapSet is the raw maps [batch, h, w] and weights [batch, K] of one layer × method.
type mapSet struct {
	batch, h, w int
	raw         []float32
	k           int
	weights     []float32
}

func newResult(cfg Config, target Target, dims []int, layout *outputLayout, outputs []*tensors.Tensor) (*Result, error) {
	if len(outputs) != 3+len(layout.slots) {
		return nil, fmt.Errorf("camviz: internal error: %d outputs for %d slots", len(outputs), len(layout.slots))
	}
	batch := dims[0]
	r := &Result{Layers: cfg.Layers, Methods: cfg.Methods, InputDims: append([]int(nil), dims...),
		Taps: layout.taps, maps: map[Key]*mapSet{}, channelsFirstInput: cfg.ChannelsFirst}
	logits := tensors.MustCopyFlatData[float32](outputs[0])
	nc := len(logits) / batch
	for b := 0; b < batch; b++ {
		r.Logits = append(r.Logits, logits[b*nc:(b+1)*nc])
	}
	for _, c := range tensors.MustCopyFlatData[int32](outputs[1]) {
		r.Classes = append(r.Classes, int(c))
	}
	r.Scores = tensors.MustCopyFlatData[float32](outputs[2])
	for i, slot := range layout.slots {
		t := outputs[3+i]
		d := t.Shape().Dimensions
		ms := r.maps[slot.key]
		if ms == nil {
			ms = &mapSet{}
			r.maps[slot.key] = ms
		}
		if slot.isWeights {
			ms.k, ms.weights = d[1], tensors.MustCopyFlatData[float32](t)
		} else {
			if len(d) != 3 {
				return nil, fmt.Errorf("camviz: %s at %q produced shape %v; want [batch, h, w]", slot.key.Method, slot.key.Layer, d)
			}
			ms.batch, ms.h, ms.w, ms.raw = d[0], d[1], d[2], tensors.MustCopyFlatData[float32](t)
		}
	}
	return r, nil
}

func (r *Result) set(layer string, m Method) (*mapSet, error) {
	ms, ok := r.maps[Key{layer, m}]
	if !ok {
		return nil, fmt.Errorf("camviz: result has no %s map at layer %q; it holds layers %v and methods %v", m, layer, r.Layers, r.Methods)
	}
	return ms, nil
}

// Batch returns the number of examples.
func (r *Result) Batch() int { return r.InputDims[0] }

// Raw returns the raw maps of a layer × method, one [h, w] map per example: before ReLU,
// normalisation or resizing (pytorch-grad-cam's get_cam_image).
func (r *Result) Raw(layer string, m Method) ([]*heatmap.Map, error) {
	ms, err := r.set(layer, m)
	if err != nil {
		return nil, err
	}
	out := make([]*heatmap.Map, ms.batch)
	n := ms.h * ms.w
	for b := range out {
		out[b], _ = heatmap.FromSlice(ms.h, ms.w, append([]float32(nil), ms.raw[b*n:(b+1)*n]...))
	}
	return out, nil
}

// Weights returns the channel weights [batch][K] of methods that have them (Grad-CAM's α,
// CAM's w^c); an error for methods that do not.
func (r *Result) Weights(layer string, m Method) ([][]float32, error) {
	ms, err := r.set(layer, m)
	if err != nil {
		return nil, err
	}
	if ms.weights == nil {
		return nil, fmt.Errorf("camviz: %s has no channel weights", m)
	}
	out := make([][]float32, ms.batch)
	for b := range out {
		out[b] = ms.weights[b*ms.k : (b+1)*ms.k]
	}
	return out, nil
}

// InputSize returns the images' height and width, assuming [batch, H, W, C] images, or
// [batch, C, H, W] when the explainer was configured channels-first.
func (r *Result) InputSize() (h, w int) {
	d := r.InputDims
	if len(d) < 4 {
		return 0, 0
	}
	if r.channelsFirstInput {
		return d[2], d[3]
	}
	return d[1], d[2]
}

// Final returns the maps post-processed exactly as pytorch-grad-cam does, one per example,
// at the input's size: minmax(resize(minmax(relu(raw)))), with per-image
// x ← x − min(x), x ← x / (1e-7 + max(x)) and bilinear resizing with half-pixel centres.
func (r *Result) Final(layer string, m Method) ([]*heatmap.Map, error) {
	raws, err := r.Raw(layer, m)
	if err != nil {
		return nil, err
	}
	h, w := r.InputSize()
	for i, raw := range raws {
		raws[i] = heatmap.PostProcess(raw, h, w)
	}
	return raws, nil
}

// FinalMultiLayer aggregates several layers as pytorch-grad-cam does: each layer's map is
// scaled (ReLU, min-max, bilinear resize to the input: heatmap.ScaleLayer), then
// final = minmax((1/L) Σ_l max(layer_l, 0)).
func (r *Result) FinalMultiLayer(layers []string, m Method) ([]*heatmap.Map, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("camviz: FinalMultiLayer needs at least one layer")
	}
	h, w := r.InputSize()
	perLayer := make([][]*heatmap.Map, len(layers))
	for i, l := range layers {
		raws, err := r.Raw(l, m)
		if err != nil {
			return nil, err
		}
		for b, raw := range raws {
			raws[b] = heatmap.ScaleLayer(raw, h, w)
		}
		perLayer[i] = raws
	}
	out := make([]*heatmap.Map, r.Batch())
	for b := range out {
		maps := make([]*heatmap.Map, len(layers))
		for i := range layers {
			maps[i] = perLayer[i][b]
		}
		agg, err := heatmap.AggregateLayers(maps)
		if err != nil {
			return nil, err
		}
		out[b] = agg
	}
	return out, nil
}
