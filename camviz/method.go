package camviz

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
)

// Method names a CAM method. The names are pytorch-grad-cam's class names; [ParseMethod]
// accepts them case-insensitively.
type Method string

// The methods of the foundation; the rest of the family registers itself in its own files.
const (
	MethodCAM     Method = "CAM"
	MethodGradCAM Method = "GradCAM"
)

// LayerInput is what a method sees of one tapped layer when the Explainer builds its graph.
// All activations are channels-last, [batch, h, w, K], whatever the model's layout.
type LayerInput struct {
	// Layer is the tap's name.
	Layer string
	// Acts are the activations A, [batch, h, w, K].
	Acts *graph.Node
	// Grads are ∂score/∂A, [batch, h, w, K]; nil unless the method declared needsGrads.
	Grads *graph.Node
	// Score is the target score per example, [batch].
	Score *graph.Node
	// Logits are the model's outputs, [batch, numClasses].
	Logits *graph.Node
	// Classes is the target class per example, [batch] int32; nil for function targets.
	Classes *graph.Node
	// CAMWeights is the classifier kernel [K, numClasses] named by Config.CAMWeights, or nil.
	CAMWeights *graph.Node
	// Images are the model's inputs, as given to the model function (the 6·batch augmented
	// images with Config.AugSmooth).
	Images *graph.Node

	// tap is the activation node in the model's own layout.
	tap *graph.Node
	// layout maps tap to Acts (see LayerLayout).
	layout LayerLayout
	// ctx gives access to the graph being built (re-running the model, options).
	ctx *buildContext
}

// weightedMap returns Σ_k w_k·A_k for channel weights w [batch, K], or with
// Config.EigenSmooth the first principal component projection of the per-channel maps
// w_k·A_k (pytorch-grad-cam's eigen_smooth).
func (in *LayerInput) weightedMap(w *graph.Node) *graph.Node {
	if in.ctx != nil && in.ctx.cfg.EigenSmooth {
		if w.DType() != in.Acts.DType() {
			w = graph.ConvertDType(w, in.Acts.DType())
		}
		d := w.Shape().Dimensions
		return FirstPrincipalProjection(graph.Mul(in.Acts, graph.Reshape(w, d[0], 1, 1, d[1])), in.ctx.cfg.EigenSign)
	}
	return weightedSum(in.Acts, w)
}

// channelMap reduces per-channel maps c [batch, h, w, K] to the raw map: Σ_k c_k, or with
// Config.EigenSmooth their first principal component projection.
func (in *LayerInput) channelMap(c *graph.Node) *graph.Node {
	if in.ctx != nil && in.ctx.cfg.EigenSmooth {
		return FirstPrincipalProjection(c, in.ctx.cfg.EigenSign)
	}
	return graph.ReduceSum(c, 3)
}

// methodSpec describes how to compute one method at one layer.
type methodSpec struct {
	// needsGrads asks the Explainer for ∂score/∂A (computed once for all layers).
	needsGrads bool
	// needsClasses means the method needs a class per example (not a function target).
	needsClasses bool
	// compute returns the raw map [batch, h, w] and, when the method has them, the channel
	// weights [batch, K] (else nil).
	compute func(in *LayerInput) (raw, weights *graph.Node, err error)
}

var registry = struct {
	sync.RWMutex
	specs map[Method]methodSpec
}{specs: map[Method]methodSpec{}}

// registerMethod adds a method; it is called from init functions.
func registerMethod(m Method, spec methodSpec) {
	registry.Lock()
	defer registry.Unlock()
	registry.specs[m] = spec
}

func lookupMethod(m Method) (methodSpec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.specs[m]
	return s, ok
}

// Methods lists every registered method, sorted by name.
func Methods() []Method {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Method, 0, len(registry.specs))
	for m := range registry.specs {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ParseMethod finds a method by name, case-insensitively ("gradcam", "GradCAM"); an
// unknown name is an error that lists the methods that exist.
func ParseMethod(name string) (Method, error) {
	for _, m := range Methods() {
		if strings.EqualFold(string(m), name) {
			return m, nil
		}
	}
	names := make([]string, 0)
	for _, m := range Methods() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("camviz: unknown method %q; known methods: %s", name, strings.Join(names, ", "))
}

func init() {
	registerMethod(MethodCAM, methodSpec{
		needsClasses: true,
		compute: func(in *LayerInput) (*graph.Node, *graph.Node, error) {
			if in.CAMWeights == nil {
				return nil, nil, fmt.Errorf("CAM needs the classifier's weights: set Config.CAMWeights to the tap " +
					"naming the final linear layer's kernel [K, numClasses] (for a model built with camviz/models it is " +
					"set for you)")
			}
			w, err := orientCAMWeights(in.CAMWeights, in.Acts.Shape().Dimensions[3], in.Logits.Shape().Dimensions[1])
			if err != nil {
				return nil, nil, err
			}
			weights := CAMWeights(w, in.Classes)
			return in.weightedMap(weights), weights, nil
		},
	})
	registerMethod(MethodGradCAM, methodSpec{
		needsGrads: true,
		compute: func(in *LayerInput) (*graph.Node, *graph.Node, error) {
			_, weights := GradCAMFromGradients(in.Acts, in.Grads)
			return in.weightedMap(weights), weights, nil
		},
	})
}

// orientCAMWeights returns the classifier kernel as [K, numClasses], transposing a
// [numClasses, K] matrix (PyTorch and ONNX Linear/Gemm layout).
func orientCAMWeights(w *graph.Node, k, numClasses int) (*graph.Node, error) {
	dims := w.Shape().Dimensions
	switch {
	case len(dims) == 2 && dims[0] == k && dims[1] == numClasses:
		return w, nil
	case len(dims) == 2 && dims[0] == numClasses && dims[1] == k:
		return graph.Transpose(w, 0, 1), nil
	}
	return nil, fmt.Errorf("CAM weights have shape %v, but the layer has %d channels and the model %d classes: "+
		"want [%d, %d] (or [%d, %d]); CAM applies to the last conv layer before global average pooling",
		dims, k, numClasses, k, numClasses, numClasses, k)
}
