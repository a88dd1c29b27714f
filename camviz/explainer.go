package camviz

import (
	"fmt"
	"strings"
	"sync/atomic"

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

// Explainer computes every configured layer × method for batches of images in one
// compiled graph per input shape: one forward pass, and, when a gradient method is asked
// for, one backward pass from the score to the tapped layers (not to the parameters).
//
// Concurrency: an Explainer is safe for concurrent use. Any number of goroutines may
// call Explain, ExplainFloats, EstimateMemory and Taps on one Explainer at once, with
// the same or different input shapes and targets; each call gets the result it would
// get alone (tested with 8 goroutines against sequential calls, and under the race
// detector in CI). Calls for one input shape and target kind share one compiled graph;
// the first compiles it and the others wait for it. The Result of a call belongs to its
// caller. The model's variables (the store) are only read while explaining: do not
// train or change them while Explain calls are running.
type Explainer struct {
	backend compute.Backend
	store   *model.Store
	modelFn ModelFn
	cfg     Config

	cache *graphCache
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
		return nil, fmt.Errorf("camviz: NewExplainer needs a backend (make one with backends.New() of package github.com/camviz/camviz/camviz/backends)")
	}
	if store == nil {
		store = model.NewStore()
	}
	if modelFn == nil {
		return nil, fmt.Errorf("camviz: NewExplainer needs a model function")
	}
	cfg.Layers = normalizeLayerNames(cfg.Layers)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Explainer{backend: backend, store: store, modelFn: modelFn, cfg: cfg,
		cache: newGraphCache(cfg.MaxCompiledGraphs)}, nil
}

// normalizeLayerNames drops a leading "/" from each name: tap names are relative to the
// graph's alias scope, and ONNX output names such as "/relu2/Relu_output_0" are tapped
// as "relu2/Relu_output_0". It returns a new slice.
func normalizeLayerNames(layers []string) []string {
	out := make([]string, len(layers))
	for i, l := range layers {
		out[i] = strings.TrimPrefix(l, "/")
	}
	return out
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
	entry, layout, err := e.compile(images.Shape(), target)
	if err != nil {
		return nil, err
	}
	defer e.cache.release(entry)
	ex := entry.ex
	classes, err := target.classesFor(batch, layout.numClasses)
	if err != nil {
		return nil, err
	}
	if classes == nil {
		classes = make([]int32, batch)
	}
	var outputs []*tensors.Tensor
	if err := CatchPanic(func() error {
		var err error
		outputs, err = ex.exec.Exec(images, tensors.FromFlatDataAndDimensions(classes, batch))
		return err
	}); err != nil {
		return nil, &GraphError{Cause: err, Context: fmt.Sprintf("while running the explanation graph for images %v", dims)}
	}
	return newResult(e.cfg, dims, layout, outputs)
}

// EstimateMemory builds (without running) the explanation graph for images of the given
// dimensions and returns the memory estimate of every chunked method (Score-CAM,
// Ablation-CAM), with the chunk size it would use; it returns the error Explain would
// give when a requested Config.ChunkSize cannot fit Config.MemoryBudget. Nothing is
// allocated for the passes.
func (e *Explainer) EstimateMemory(target Target, inputDims ...int) ([]MemoryEstimate, error) {
	entry, layout, err := e.compile(shapes.Make(dtypes.Float32, inputDims...), target)
	if err != nil {
		return nil, err
	}
	e.cache.release(entry)
	return append([]MemoryEstimate(nil), layout.memory...), nil
}

// compile builds and compiles (once per graph key, see graphKey) the graph and returns
// its cache entry in use: the caller releases it.
func (e *Explainer) compile(imagesShape shapes.Shape, target Target) (entry *cacheEntry, layout *outputLayout, err error) {
	dims := imagesShape.Dimensions
	acquired, err := e.cache.acquire(graphKey(target, imagesShape), func() (*explainExec, error) { return e.newExec(target) })
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			e.cache.release(acquired)
		}
	}()
	entry = acquired
	ex := acquired.ex
	classesShape := shapes.Make(dtypes.Int32, dims[0])
	err = CatchPanic(func() error {
		defer perturbationBuild(e.backend, e.cfg)()
		_, err := ex.exec.Compile(imagesShape, classesShape)
		return err
	})
	layout = ex.layoutFor(imagesShape)
	if layout != nil && layout.err != nil {
		return nil, nil, layout.err
	}
	if err != nil {
		return nil, nil, &GraphError{Cause: err, Context: fmt.Sprintf("while compiling the explanation graph for images %v", dims)}
	}
	if layout == nil {
		return nil, nil, fmt.Errorf("camviz: internal error: no graph was built for images %v", dims)
	}
	return entry, layout, nil
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
	var failed error
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) *graph.Node {
		defer func() {
			if r := recover(); r != nil {
				failed = &GraphError{Cause: panicError(r), Context: fmt.Sprintf("while building the model for input %v", inputDims)}
				panic(failed)
			}
		}()
		logits := modelFn(scope, images)
		taps = collectTaps(images.Graph(), graph.AliasScopeSeparator)
		return logits
	})
	if err != nil {
		return nil, fmt.Errorf("camviz: %w", err)
	}
	defer exec.Finalize()
	if err := CatchPanic(func() error {
		_, err := exec.Compile(shapes.Make(dtypes.Float32, inputDims...))
		return err
	}); err != nil {
		if failed != nil {
			return nil, failed
		}
		return nil, fmt.Errorf("camviz: building the model for input %v: %w", inputDims, err)
	}
	return taps, nil
}

// buildGraphCatching is buildGraph with a panic inside it (GoMLX, onnx-gomlx, the model
// function) turned into a [GraphError] that names what failed first (see buildFailure).
func (e *Explainer) buildGraphCatching(scope *model.Scope, images, classes *graph.Node, target Target,
	layout *outputLayout) (outs []*graph.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, e.buildFailure(r, images.Graph(), images.Shape().Dimensions, layout.taps)
		}
	}()
	return e.buildGraph(scope, images, classes, target, layout)
}

// newExec makes the (not yet compiled) executor of the explanation graph for target.
func (e *Explainer) newExec(target Target) (*explainExec, error) {
	ex := &explainExec{layouts: map[string]*outputLayout{}}
	exec, err := model.NewExec(e.backend, e.store, func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
		layout := &outputLayout{}
		ex.setLayout(inputs[0].Shape(), layout)
		outs, err := e.buildGraphCatching(scope, inputs[0], inputs[1], target, layout)
		if err != nil {
			layout.err = err
			panic(err)
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("camviz: %w", err)
	}
	// A name of its own: the backend keys per-graph settings by graph name (fastconv's
	// ScoreRegion); GoMLX names the graphs "<name>#<n>".
	ex.exec = exec.WithName(fmt.Sprintf("camviz.Explainer.%d", explainExecs.Add(1)))
	return ex, nil
}

// explainExecs numbers the explanation executors, for their graph names.
var explainExecs atomic.Int64
