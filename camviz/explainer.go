package camviz

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ModelFn builds a classifier's graph: it receives the images and returns the logits
// [batch, numClasses]. Activations worth explaining are named inside it with [Tap] (or
// GoMLX's node.WithAlias). Variables live in the scope, as with any GoMLX model.
type ModelFn func(scope *model.Scope, images *graph.Node) *graph.Node

// Config says what an Explainer computes.
type Config struct {
	// Layers are the tap names to explain (see [Explainer.Taps] for what a model offers).
	Layers []string
	// Methods to compute at every layer.
	Methods []Method
	// CAMWeights names the classifier kernel used by CAM: a tap, or else a variable path in
	// the store (for example "/fc/weights"). Its shape is [K, numClasses] or [numClasses, K].
	CAMWeights string
	// ChannelsFirst says the tapped activations are [batch, K, h, w] (PyTorch/ONNX layout)
	// rather than GoMLX's channels-last [batch, h, w, K]; they are transposed in the graph.
	ChannelsFirst bool
}

// Explainer computes every configured layer × method for batches of images in one
// compiled graph per input shape: one forward pass, and, when a gradient method is asked
// for, one backward pass from the score to the tapped layers (not to the parameters).
type Explainer struct {
	backend compute.Backend
	store   *model.Store
	modelFn ModelFn
	cfg     Config

	mu    sync.Mutex
	execs map[string]*explainExec
}

// explainExec is one compiled executor (one per target kind) and the layout of its outputs.
type explainExec struct {
	exec   *model.Exec
	layout *outputLayout
}

// outputLayout records, at graph-building time, what each output of the graph holds.
type outputLayout struct {
	numClasses int
	taps       []TapInfo
	slots      []outputSlot
	err        error
}

type outputSlot struct {
	key       Key
	isWeights bool
}

// Key identifies one map set of a Result.
type Key struct {
	Layer  string
	Method Method
}

// NewExplainer checks the configuration and returns an Explainer. The model graph is built
// and compiled on the first call to Explain, once per input shape and target kind.
func NewExplainer(backend compute.Backend, store *model.Store, modelFn ModelFn, cfg Config) (*Explainer, error) {
	if backend == nil {
		return nil, fmt.Errorf("camviz: NewExplainer needs a backend (use camviz.NewBackend())")
	}
	if store == nil {
		store = model.NewStore()
	}
	if modelFn == nil {
		return nil, fmt.Errorf("camviz: NewExplainer needs a model function")
	}
	if len(cfg.Layers) == 0 {
		return nil, fmt.Errorf("camviz: Config.Layers is empty: name at least one tapped layer (Explainer.Taps lists them)")
	}
	if len(cfg.Methods) == 0 {
		return nil, fmt.Errorf("camviz: Config.Methods is empty: ask for at least one method, e.g. camviz.MethodGradCAM")
	}
	seen := map[string]bool{}
	for _, l := range cfg.Layers {
		if seen[l] {
			return nil, fmt.Errorf("camviz: layer %q is listed twice in Config.Layers", l)
		}
		seen[l] = true
	}
	for _, m := range cfg.Methods {
		if _, ok := lookupMethod(m); !ok {
			if _, err := ParseMethod(string(m)); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("camviz: method %q is spelled differently: use camviz.ParseMethod", m)
		}
	}
	return &Explainer{backend: backend, store: store, modelFn: modelFn, cfg: cfg, execs: map[string]*explainExec{}}, nil
}

// Config returns the Explainer's configuration.
func (e *Explainer) Config() Config { return e.cfg }

// Explain computes the maps for a batch of images (float32, in the layout the model
// expects, typically [batch, H, W, C]) and the given target.
func (e *Explainer) Explain(images *tensors.Tensor, target Target) (*Result, error) {
	if images == nil {
		return nil, fmt.Errorf("camviz: Explain got nil images")
	}
	dims := images.Shape().Dimensions
	if len(dims) < 2 {
		return nil, fmt.Errorf("camviz: images have shape %v; want [batch, H, W, C] (or the model's own layout)", dims)
	}
	if dims[0] == 0 {
		return nil, fmt.Errorf("camviz: empty batch (images shape %v)", dims)
	}
	if images.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("camviz: images are %s; want float32", images.DType())
	}
	if err := checkFinite(images); err != nil {
		return nil, err
	}
	batch := dims[0]
	ex, err := e.execFor(target)
	if err != nil {
		return nil, err
	}
	classesShape := shapes.Make(dtypes.Int32, batch)
	if err := catch(func() error {
		_, err := ex.exec.Compile(images.Shape(), classesShape)
		return err
	}); err != nil {
		if ex.layout.err != nil {
			return nil, ex.layout.err
		}
		return nil, fmt.Errorf("camviz: building the explanation graph for images %v: %w", dims, err)
	}
	if ex.layout.err != nil {
		return nil, ex.layout.err
	}
	classes, err := target.classesFor(batch, ex.layout.numClasses)
	if err != nil {
		return nil, err
	}
	if classes == nil {
		classes = make([]int32, batch)
	}
	var outputs []*tensors.Tensor
	if err := catch(func() error {
		var err error
		outputs, err = ex.exec.Exec(images, tensors.FromFlatDataAndDimensions(classes, batch))
		return err
	}); err != nil {
		return nil, fmt.Errorf("camviz: running the explanation graph for images %v: %w", dims, err)
	}
	return newResult(e.cfg, target, dims, ex.layout, outputs)
}

// ExplainFloats is Explain for images given as a flat float32 slice and its dimensions.
func (e *Explainer) ExplainFloats(images []float32, dims []int, target Target) (*Result, error) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	if n != len(images) || len(dims) == 0 {
		return nil, fmt.Errorf("camviz: %d image values do not fill dimensions %v", len(images), dims)
	}
	return e.Explain(tensors.FromFlatDataAndDimensions(images, dims...), target)
}

// Taps builds the model for the given input dimensions (e.g. 1, 32, 32, 3) and lists
// every tapped activation with its shape, in graph order.
func (e *Explainer) Taps(inputDims ...int) ([]TapInfo, error) {
	return ListTaps(e.backend, e.store, e.modelFn, inputDims...)
}

// ListTaps builds modelFn for the given input dimensions and lists its taps in graph order.
func ListTaps(backend compute.Backend, store *model.Store, modelFn ModelFn, inputDims ...int) ([]TapInfo, error) {
	var taps []TapInfo
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) *graph.Node {
		logits := modelFn(scope, images)
		taps = collectTaps(images.Graph(), graph.AliasScopeSeparator)
		return logits
	})
	if err != nil {
		return nil, fmt.Errorf("camviz: %w", err)
	}
	defer exec.Finalize()
	if err := catch(func() error {
		_, err := exec.Compile(shapes.Make(dtypes.Float32, inputDims...))
		return err
	}); err != nil {
		return nil, fmt.Errorf("camviz: building the model for input %v: %w", inputDims, err)
	}
	return taps, nil
}

func (e *Explainer) execFor(target Target) (*explainExec, error) {
	key := fmt.Sprintf("%d/%s", target.kind, target.name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ex, ok := e.execs[key]; ok {
		return ex, nil
	}
	layout := &outputLayout{}
	exec, err := model.NewExec(e.backend, e.store, func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
		outs, err := e.buildGraph(scope, inputs[0], inputs[1], target, layout)
		if err != nil {
			layout.err = err
			panic(err)
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("camviz: %w", err)
	}
	ex := &explainExec{exec: exec, layout: layout}
	e.execs[key] = ex
	return ex, nil
}

// buildGraph builds forward, target score, one backward pass and every layer × method.
// Outputs: logits, chosen classes, score, then the slots recorded in layout.
func (e *Explainer) buildGraph(scope *model.Scope, images, classesIn *graph.Node, target Target, layout *outputLayout) ([]*graph.Node, error) {
	g := images.Graph()
	logits := e.modelFn(scope, images)
	if logits.Rank() != 2 {
		return nil, fmt.Errorf("camviz: the model returned shape %s; want logits [batch, numClasses]", logits.Shape())
	}
	score, chosen := target.score(logits, classesIn)
	taps := collectTaps(g, graph.AliasScopeSeparator)
	layout.taps = taps
	layout.numClasses = logits.Shape().Dimensions[1]
	byName := map[string]TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	inputs := make([]*LayerInput, len(e.cfg.Layers))
	raw := make([]*graph.Node, len(e.cfg.Layers))
	for i, name := range e.cfg.Layers {
		t, ok := byName[name]
		if !ok {
			return nil, unknownLayerError(name, taps)
		}
		if t.node.Rank() != 4 {
			return nil, fmt.Errorf("camviz: layer %q has shape %v; CAM methods need a 4-D activation "+
				"[batch, h, w, channels] (or [batch, channels, h, w] with Config.ChannelsFirst)", name, t.Shape)
		}
		raw[i] = t.node
		inputs[i] = &LayerInput{Layer: name, Acts: toChannelsLast(t.node, e.cfg.ChannelsFirst), Score: score,
			Logits: logits, Classes: chosen, Images: images}
	}
	needGrads, needClasses := false, false
	for _, m := range e.cfg.Methods {
		spec, _ := lookupMethod(m)
		needGrads = needGrads || spec.needsGrads
		needClasses = needClasses || spec.needsClasses
	}
	if needClasses && chosen == nil {
		return nil, fmt.Errorf("camviz: target %q gives no class, but a requested method needs one (e.g. CAM): "+
			"use ArgmaxTarget, ClassTarget or SoftmaxTarget", target)
	}
	if needGrads {
		grads := ScoreGradient(score, raw...)
		for i := range inputs {
			inputs[i].Grads = toChannelsLast(grads[i], e.cfg.ChannelsFirst)
		}
	}
	if e.cfg.CAMWeights != "" {
		w, err := findCAMWeights(scope, g, e.cfg.CAMWeights, byName)
		if err != nil {
			return nil, err
		}
		for _, in := range inputs {
			in.CAMWeights = w
		}
	}
	if chosen == nil {
		chosen = graph.ZerosLike(classesIn)
	}
	outs := []*graph.Node{logits, chosen, score}
	layout.slots = layout.slots[:0]
	for _, in := range inputs {
		for _, m := range e.cfg.Methods {
			spec, _ := lookupMethod(m)
			r, w, err := spec.compute(in)
			if err != nil {
				return nil, fmt.Errorf("camviz: %s at layer %q (activations %v): %w", m, in.Layer, in.Acts.Shape().Dimensions, err)
			}
			key := Key{Layer: in.Layer, Method: m}
			outs = append(outs, r)
			layout.slots = append(layout.slots, outputSlot{key: key})
			if w != nil {
				outs = append(outs, w)
				layout.slots = append(layout.slots, outputSlot{key: key, isWeights: true})
			}
		}
	}
	return outs, nil
}

// toChannelsLast turns [batch, K, h, w] into [batch, h, w, K] when channelsFirst is set.
func toChannelsLast(x *graph.Node, channelsFirst bool) *graph.Node {
	if !channelsFirst {
		return x
	}
	return graph.TransposeAllAxes(x, 0, 2, 3, 1)
}

func findCAMWeights(scope *model.Scope, g *graph.Graph, name string, taps map[string]TapInfo) (*graph.Node, error) {
	if t, ok := taps[name]; ok {
		return t.node, nil
	}
	if v := scope.Store().GetVariable(name); v != nil {
		return v.NodeValue(g), nil
	}
	var names []string
	for n := range taps {
		names = append(names, n)
	}
	return nil, fmt.Errorf("camviz: Config.CAMWeights %q is neither a tap nor a variable of the store; taps: %s",
		name, strings.Join(names, ", "))
}

func unknownLayerError(name string, taps []TapInfo) error {
	if len(taps) == 0 {
		return fmt.Errorf("camviz: unknown layer %q: the model has no taps; name activations with camviz.Tap(x, name) "+
			"or node.WithAlias(name)", name)
	}
	lines := make([]string, len(taps))
	for i, t := range taps {
		lines[i] = "  " + t.String()
	}
	return fmt.Errorf("camviz: unknown layer %q; the model's layers are:\n%s", name, strings.Join(lines, "\n"))
}

// checkFinite returns an error naming the first NaN or Inf in the images.
func checkFinite(images *tensors.Tensor) error {
	var bad error
	tensors.MustConstFlatData(images, func(flat []float32) {
		per := len(flat) / images.Shape().Dimensions[0]
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = fmt.Errorf("camviz: images contain %v at example %d (flat index %d): clean the input first", v, i/per, i%per)
				return
			}
		}
	})
	return bad
}

// catch runs fn and turns a panic (GoMLX reports shape errors by panicking) into an error.
func catch(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return fn()
}
