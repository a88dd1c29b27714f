package camviz

import (
	"fmt"
	"math"
	"strings"

	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/tensors"
)

// Result holds what one Explain call computed: the model's outputs, the target used, and
// for every layer × method the raw maps (before ReLU and normalisation, at feature
// resolution) and, for methods that have them, the channel weights.
//
// With Config.AugSmooth the graph explained 6 augmented copies of the batch: Logits,
// Classes, Scores, Raw and Weights describe the un-augmented pass (no flip, factor 1),
// AugmentedRaw and AugmentedWeights give every pass, and the Final methods average the
// passes as pytorch-grad-cam does.
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
	// Memory has the memory estimate and chunk size of each chunked method (Score-CAM,
	// Ablation-CAM) at each layer; empty when none was asked for.
	Memory []MemoryEstimate

	channelsFirstInput bool
	passes             int
	maps               map[Key]*mapSet
	guided             []float32
	activations        map[string]*tensors.Tensor
}

// mapSet is the raw maps [passes·batch, h, w] and weights [passes·batch, K] of one
// layer × method, pass-major.
type mapSet struct {
	batch, h, w int
	raw         []float32
	k           int
	weights     []float32
	// extra are the method's further named outputs (Outputs.Extra), whole.
	extra map[string]*tensors.Tensor
}

// newResult reads the graph's outputs back by the names the engine gave them.
func newResult(cfg Config, dims []int, layout *outputLayout, outputs []*tensors.Tensor) (*Result, error) {
	if len(outputs) != len(layout.names) {
		return nil, fmt.Errorf("camviz: internal error: %d outputs for %d names", len(outputs), len(layout.names))
	}
	byName := make(map[outputName]*tensors.Tensor, len(outputs))
	for i, n := range layout.names {
		byName[n] = outputs[i]
	}
	part := func(p string) (*tensors.Tensor, error) {
		t := byName[outputName{Part: p}]
		if t == nil {
			return nil, fmt.Errorf("camviz: internal error: the graph has no %q output", p)
		}
		return t, nil
	}
	batch := dims[0]
	passes := max(layout.passes, 1)
	r := &Result{Layers: cfg.Layers, Methods: cfg.Methods, InputDims: append([]int(nil), dims...),
		Taps: layout.taps, maps: map[Key]*mapSet{}, channelsFirstInput: cfg.ChannelsFirst, passes: passes,
		Memory: append([]MemoryEstimate(nil), layout.memory...)}
	first := r.identityPass() * batch // first row of the un-augmented pass
	logitsT, err := part(partLogits)
	if err != nil {
		return nil, err
	}
	logits := tensors.MustCopyFlatData[float32](logitsT)
	nc := len(logits) / (batch * passes)
	for b := 0; b < batch; b++ {
		r.Logits = append(r.Logits, logits[(first+b)*nc:(first+b+1)*nc])
	}
	classesT, err := part(partClasses)
	if err != nil {
		return nil, err
	}
	for _, c := range tensors.MustCopyFlatData[int32](classesT)[first : first+batch] {
		r.Classes = append(r.Classes, int(c))
	}
	scoreT, err := part(partScore)
	if err != nil {
		return nil, err
	}
	r.Scores = tensors.MustCopyFlatData[float32](scoreT)[first : first+batch]
	if t := byName[outputName{Part: partGuided}]; t != nil {
		r.guided = tensors.MustCopyFlatData[float32](t)
	}
	for _, name := range layout.names {
		if name.Part == partActivations {
			if r.activations == nil {
				r.activations = map[string]*tensors.Tensor{}
			}
			r.activations[name.Layer] = byName[name]
		}
		if name.Part == partNonFinite {
			if n := tensors.MustCopyFlatData[int32](byName[name])[0]; n > 0 {
				return nil, fmt.Errorf("camviz: the activations of layer %q hold %d NaN or infinite values, although the "+
					"images are finite: the model (or its weights) produces them; no map is defined there", name.Layer, n)
			}
		}
	}
	for _, name := range layout.names {
		if name.Method == "" {
			continue
		}
		key := Key{Layer: name.Layer, Method: name.Method}
		ms := r.maps[key]
		if ms == nil {
			ms = &mapSet{batch: batch}
			r.maps[key] = ms
		}
		t := byName[name]
		d := t.Shape().Dimensions
		switch {
		case name.Part == partWeights:
			ms.k, ms.weights = d[1], tensors.MustCopyFlatData[float32](t)
		case strings.HasPrefix(name.Part, partExtra):
			if ms.extra == nil {
				ms.extra = map[string]*tensors.Tensor{}
			}
			ms.extra[strings.TrimPrefix(name.Part, partExtra)] = t
		case name.Part == partRaw:
			if len(d) != 3 {
				return nil, fmt.Errorf("camviz: %s at %q produced shape %v; want [batch, h, w]", name.Method, name.Layer, d)
			}
			ms.h, ms.w, ms.raw = d[1], d[2], tensors.MustCopyFlatData[float32](t)
			for j, v := range ms.raw {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, fmt.Errorf("camviz: %s at layer %q gave %v at example %d although the activations are finite "+
						"(non-finite gradients or scores?)", name.Method, name.Layer, v, (j/(ms.h*ms.w))%batch)
				}
			}
		}
	}
	return r, nil
}

// identityPass is the index of the un-augmented pass.
func (r *Result) identityPass() int {
	if r.passes == augPasses {
		return augIdentityPass
	}
	return 0
}

func (r *Result) set(layer string, m Method) (*mapSet, error) {
	ms, ok := r.maps[Key{strings.TrimPrefix(layer, "/"), m}]
	if !ok {
		// A whole-model method has one map set, the same at every layer.
		ms, ok = r.maps[Key{WholeModelLayer, m}]
	}
	if !ok {
		return nil, fmt.Errorf("camviz: result has no %s map at layer %q; it holds layers %v and methods %v", m, layer, r.Layers, r.Methods)
	}
	return ms, nil
}

// Batch returns the number of examples.
func (r *Result) Batch() int { return r.InputDims[0] }

// rawPass returns the raw maps of one pass, one per example.
func (ms *mapSet) rawPass(p int) []*heatmap.Map {
	out := make([]*heatmap.Map, ms.batch)
	n := ms.h * ms.w
	for b := range out {
		i := p*ms.batch + b
		out[b], _ = heatmap.FromSlice(ms.h, ms.w, append([]float32(nil), ms.raw[i*n:(i+1)*n]...))
	}
	return out
}

func (ms *mapSet) weightsPass(p int) [][]float32 {
	out := make([][]float32, ms.batch)
	for b := range out {
		i := p*ms.batch + b
		out[b] = ms.weights[i*ms.k : (i+1)*ms.k]
	}
	return out
}

// Raw returns the raw maps of a layer × method, one [h, w] map per example: before ReLU,
// normalisation or resizing (pytorch-grad-cam's get_cam_image).
func (r *Result) Raw(layer string, m Method) ([]*heatmap.Map, error) {
	ms, err := r.set(layer, m)
	if err != nil {
		return nil, err
	}
	return ms.rawPass(r.identityPass()), nil
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
	return ms.weightsPass(r.identityPass()), nil
}

// AugmentedRaw returns, with Config.AugSmooth, the raw maps of every augmented pass,
// [pass][example], in ttach's order (no flip × 0.9, 1, 1.1, then flipped × 0.9, 1, 1.1).
// The maps of flipped passes are of the flipped image (not flipped back).
func (r *Result) AugmentedRaw(layer string, m Method) ([][]*heatmap.Map, error) {
	ms, err := r.augSet(layer, m)
	if err != nil {
		return nil, err
	}
	out := make([][]*heatmap.Map, r.passes)
	for p := range out {
		out[p] = ms.rawPass(p)
	}
	return out, nil
}

// AugmentedWeights returns, with Config.AugSmooth, the channel weights of every pass,
// [pass][example][K].
func (r *Result) AugmentedWeights(layer string, m Method) ([][][]float32, error) {
	ms, err := r.augSet(layer, m)
	if err != nil {
		return nil, err
	}
	if ms.weights == nil {
		return nil, fmt.Errorf("camviz: %s has no channel weights", m)
	}
	out := make([][][]float32, r.passes)
	for p := range out {
		out[p] = ms.weightsPass(p)
	}
	return out, nil
}

func (r *Result) augSet(layer string, m Method) (*mapSet, error) {
	if r.passes != augPasses {
		return nil, fmt.Errorf("camviz: the result has no augmented passes: set Config.AugSmooth")
	}
	return r.set(layer, m)
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
// With Config.AugSmooth it is the mean of the 6 passes' finals, flipped back, not
// re-normalised (pytorch-grad-cam's aug_smooth).
func (r *Result) Final(layer string, m Method) ([]*heatmap.Map, error) {
	ms, err := r.set(layer, m)
	if err != nil {
		return nil, err
	}
	h, w := r.InputSize()
	return r.perPass(func(p int) ([]*heatmap.Map, error) {
		raws := ms.rawPass(p)
		for i, raw := range raws {
			raws[i] = heatmap.PostProcess(raw, h, w)
		}
		return raws, nil
	})
}

// FinalMultiLayer aggregates several layers as pytorch-grad-cam does: each layer's map is
// scaled (ReLU, min-max, bilinear resize to the input: heatmap.ScaleLayer), then
// final = minmax((1/L) Σ_l max(layer_l, 0)). With Config.AugSmooth the 6 passes'
// aggregates are averaged as in Final.
func (r *Result) FinalMultiLayer(layers []string, m Method) ([]*heatmap.Map, error) {
	perLayer, err := r.scaledLayers(layers, m)
	if err != nil {
		return nil, err
	}
	return r.perPass(func(p int) ([]*heatmap.Map, error) {
		out := make([]*heatmap.Map, r.Batch())
		for b := range out {
			maps := make([]*heatmap.Map, len(layers))
			for i := range layers {
				maps[i] = perLayer[i][p][b]
			}
			agg, err := heatmap.AggregateLayers(maps)
			if err != nil {
				return nil, err
			}
			out[b] = agg
		}
		return out, nil
	})
}

// ScaledLayers returns, from the same pass, the per-layer maps that FinalMultiLayer
// averages, [layer][example]: heatmap.ScaleLayer(raw) = resize(minmax(relu(raw))) at the
// input size. pytorch-grad-cam computes them but returns only their aggregate. With
// Config.AugSmooth each is averaged over the 6 passes, flipped back.
func (r *Result) ScaledLayers(layers []string, m Method) ([][]*heatmap.Map, error) {
	perLayer, err := r.scaledLayers(layers, m)
	if err != nil {
		return nil, err
	}
	out := make([][]*heatmap.Map, len(layers))
	for i := range layers {
		out[i], err = r.perPass(func(p int) ([]*heatmap.Map, error) { return perLayer[i][p], nil })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scaledLayers returns ScaleLayer of every layer's raw maps, [layer][pass][example].
func (r *Result) scaledLayers(layers []string, m Method) ([][][]*heatmap.Map, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("camviz: FinalMultiLayer needs at least one layer")
	}
	h, w := r.InputSize()
	out := make([][][]*heatmap.Map, len(layers))
	for i, l := range layers {
		ms, err := r.set(l, m)
		if err != nil {
			return nil, err
		}
		out[i] = make([][]*heatmap.Map, r.passes)
		for p := range out[i] {
			raws := ms.rawPass(p)
			for b, raw := range raws {
				raws[b] = heatmap.ScaleLayer(raw, h, w)
			}
			out[i][p] = raws
		}
	}
	return out, nil
}

// perPass returns fn's maps of the only pass, or with AugSmooth the per-example average of
// the 6 passes' maps, flipped back.
func (r *Result) perPass(fn func(pass int) ([]*heatmap.Map, error)) ([]*heatmap.Map, error) {
	if r.passes != augPasses {
		return fn(0)
	}
	all := make([][]*heatmap.Map, r.passes)
	for p := range all {
		var err error
		if all[p], err = fn(p); err != nil {
			return nil, err
		}
	}
	out := make([]*heatmap.Map, r.Batch())
	for b := range out {
		maps := make([]*heatmap.Map, r.passes)
		for p := range maps {
			maps[p] = all[p][b]
		}
		out[b] = augAverage(maps)
	}
	return out, nil
}

// Extra returns a method's further named output (for instance Deep Feature
// Factorization's concepts) as computed by the graph: its values, flat in row-major
// order, and its dimensions. With Config.AugSmooth the leading axis is the augmented
// batch. Layer is [WholeModelLayer] for whole-model methods.
func (r *Result) Extra(layer string, m Method, name string) (values []float32, dims []int, err error) {
	ms, err := r.set(layer, m)
	if err != nil {
		return nil, nil, err
	}
	t, ok := ms.extra[name]
	if !ok {
		names := sortedKeys(ms.extra)
		return nil, nil, fmt.Errorf("camviz: %s at layer %q has no output %q; it has %v", m, layer, name, names)
	}
	return tensors.MustCopyFlatData[float32](t), append([]int(nil), t.Shape().Dimensions...), nil
}

// Activations returns a layer's activations as the methods saw them, channels-last
// [passes·batch, h, w, K] values and dims, when the Explainer was configured with
// Config.KeepActivations.
func (r *Result) Activations(layer string) (values []float32, dims []int, err error) {
	t, ok := r.activations[strings.TrimPrefix(layer, "/")]
	if !ok {
		if r.activations == nil {
			return nil, nil, fmt.Errorf("camviz: the result has no activations: set Config.KeepActivations")
		}
		return nil, nil, fmt.Errorf("camviz: the result has no activations of layer %q; it has layers %v", layer, r.Layers)
	}
	return tensors.MustCopyFlatData[float32](t), append([]int(nil), t.Shape().Dimensions...), nil
}
