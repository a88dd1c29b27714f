package camviz

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ConceptScores applies the part of the model after layer to each concept vector (Deep
// Feature Factorization's concepts, [K][k] row-major): the layer's activation is replaced
// (camviz.Tap substitution) by the concept repeated at every position, and the model's
// outputs are returned, [k][numClasses] row-major. For a global-average-pool → linear
// head that is W·c + b, pytorch-grad-cam's computation_on_concepts with the classifier
// (run_dff_on_image); for other heads it is what the head makes of a spatially uniform
// concept. inputDims are the dimensions of one input (without the batch), e.g. [H, W, C];
// channelsFirst says the layer is [batch, K, h, w]. The layer must be named with [Tap].
func ConceptScores(backend compute.Backend, store *model.Store, fn ModelFn, layer string, channelsFirst bool,
	concepts []float32, k int, inputDims []int) (scores []float32, err error) {
	if k < 1 || len(concepts) == 0 || len(concepts)%k != 0 {
		return nil, fmt.Errorf("camviz.ConceptScores: %d concept values for %d concepts", len(concepts), k)
	}
	ch := len(concepts) / k
	dims := append([]int{1}, inputDims...)
	taps, err := ListTaps(backend, store, fn, dims...)
	if err != nil {
		return nil, err
	}
	var shape []int
	for _, t := range taps {
		if t.Name == normalizeLayerNames([]string{layer})[0] {
			shape = t.Shape
		}
	}
	if shape == nil {
		return nil, unknownLayerError(layer, taps)
	}
	if len(shape) != 4 {
		return nil, fmt.Errorf("camviz.ConceptScores: layer %q has shape %v; want a 4-D feature map", layer, shape)
	}
	h, w, kk := shape[1], shape[2], shape[3]
	if channelsFirst {
		kk, h, w = shape[1], shape[2], shape[3]
	}
	if kk != ch {
		return nil, fmt.Errorf("camviz.ConceptScores: concepts have %d channels, layer %q has %d", ch, layer, kk)
	}
	name := normalizeLayerNames([]string{layer})[0]
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) *graph.Node {
		g := images.Graph()
		c := graph.Transpose(graph.Reshape(graph.Const(g, concepts), ch, k), 0, 1) // [k, K]
		repl := graph.BroadcastToDims(graph.Reshape(c, k, 1, 1, ch), k, h, w, ch)
		if channelsFirst {
			repl = graph.TransposeAllAxes(repl, 0, 3, 1, 2)
		}
		out, used := replaceTap(g, name, graph.ConvertDType(repl, dtypes.Float32), func() *graph.Node { return fn(scope, images) })
		if !used {
			panic(fmt.Errorf("layer %q is named with node.WithAlias, which cannot be substituted: name it with camviz.Tap", layer))
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("camviz.ConceptScores: %w", err)
	}
	defer exec.Finalize()
	zeros := tensors.FromShape(shapes.Make(dtypes.Float32, append([]int{k}, inputDims...)...))
	err = CatchPanic(func() error {
		out, err := exec.Exec(zeros)
		if err != nil {
			return err
		}
		scores = tensors.MustCopyFlatData[float32](out[0])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("camviz.ConceptScores at layer %q: %w", layer, err)
	}
	return scores, nil
}
