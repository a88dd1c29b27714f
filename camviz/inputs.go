package camviz

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Inputs is what the engine gives a method when the Explainer builds its graph: the
// things every method gets, and those its [Needs] asked for (nil otherwise). All
// activations are channels-last, [batch, h, w, K], whatever the model's layout.
type Inputs struct {
	// Method is the method being built.
	Method Method
	// Layer is the tap's name; [WholeModelLayer] ("") for whole-model methods.
	Layer string
	// Acts are the activations A, [batch, h, w, K]; nil for whole-model methods.
	Acts *graph.Node
	// Grads are ∂score/∂A, [batch, h, w, K] (Needs.TapGradients).
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
	// images with Config.AugSmooth), in the model's layout.
	Images *graph.Node
	// ImagesNHWC are Images channels-last, [batch, H, W, C] when they are 4-D.
	ImagesNHWC *graph.Node
	// InputGrads are ∂score/∂images in the images' channels-last layout, [batch, H, W, C]
	// (Needs.InputGradient).
	InputGrads *graph.Node
	// Biases are the model's bias sites with the score's gradient at each
	// (Needs.BiasGradients), in graph order.
	Biases []BiasSite

	// tap is the activation node in the model's own layout.
	tap *graph.Node
	// layout maps tap to Acts (see LayerLayout).
	layout LayerLayout
	// ctx is the engine: it builds re-runs and plans chunks.
	ctx *buildContext
}

// ChannelsFirst reports whether the model's activations and images are channels-first
// (Config.ChannelsFirst); Inputs are channels-last regardless.
func (in *Inputs) ChannelsFirst() bool { return in.ctx.cfg.ChannelsFirst }

// EigenSign is the configured sign convention of principal-component maps.
func (in *Inputs) EigenSign() EigenSign { return in.ctx.cfg.EigenSign }

// WeightedMap returns Σ_k w_k·A_k for channel weights w [batch, K], or with
// Config.EigenSmooth the first principal component projection of the per-channel maps
// w_k·A_k (pytorch-grad-cam's eigen_smooth).
func (in *Inputs) WeightedMap(w *graph.Node) *graph.Node {
	if in.ctx != nil && in.ctx.cfg.EigenSmooth {
		if w.DType() != in.Acts.DType() {
			w = graph.ConvertDType(w, in.Acts.DType())
		}
		d := w.Shape().Dimensions
		return FirstPrincipalProjection(graph.Mul(in.Acts, graph.Reshape(w, d[0], 1, 1, d[1])), in.ctx.cfg.EigenSign)
	}
	return weightedSum(in.Acts, w)
}

// ChannelMap reduces per-channel maps c [batch, h, w, K] to the raw map: Σ_k c_k, or with
// Config.EigenSmooth their first principal component projection.
func (in *Inputs) ChannelMap(c *graph.Node) *graph.Node {
	if in.ctx != nil && in.ctx.cfg.EigenSmooth {
		return FirstPrincipalProjection(c, in.ctx.cfg.EigenSign)
	}
	return graph.ReduceSum(c, 3)
}

// HessianVector returns the Hessian-vector product H·v of the score at the layer,
// ∂/∂A (Σ G ⊙ v) with G = ∂score/∂A and v [batch, h, w, K] held constant, channels-last
// (Needs.HessianVector). It is built by GoMLX's autodiff differentiating the backward
// pass that made G; where G does not depend on A (a linear head) it is zero.
func (in *Inputs) HessianVector(v *graph.Node) (*graph.Node, error) {
	if in.Grads == nil || in.tap == nil {
		return nil, fmt.Errorf("HessianVector needs a layer and Needs.HessianVector")
	}
	hv, err := hessianVector(in.ctx.tapGrads[in.Layer], in.tap, in.layout.fromGrid(graph.StopGradient(v), nil), false)
	if err != nil {
		return nil, err
	}
	return in.layout.toGrid(hv), nil
}

// PassesFromInput prepares passes re-runs of the whole model on perturbed images
// (Score-CAM's masked images), chunked under Config.MemoryBudget: it returns the chunk
// size and the ScoreFn that scores a chunk of perturbed channels-last images
// [m, H, W, C] (rows belong to the given examples) with the target. extraBytesPerPass is
// the memory a pass needs besides the model (its masks and perturbed image).
func (in *Inputs) PassesFromInput(passes int, extraBytesPerPass int64) (chunk int, score ScoreFn, err error) {
	ctx := in.ctx
	chunk, err = ctx.planChunks(in.Layer, in.Method, passes, ctx.fwd.bytesPerExampleAfter(-1)+extraBytesPerPass)
	if err != nil {
		return 0, nil, err
	}
	kind := string(in.Method) + "_" + in.Layer
	return chunk, func(images, examples *graph.Node) *graph.Node {
		defer scoreRegion(images.Graph())()
		logits := ctx.rerun(kind, toChannelsFirst(images, ctx.cfg.ChannelsFirst))
		return ctx.target.rescore(logits, gatherRows(ctx.classes, examples))
	}, nil
}

// PassesFromLayer prepares passes re-runs of the model from the layer on, with perturbed
// activations in the layer's place (Ablation-CAM's ablated channels), chunked under
// Config.MemoryBudget: it returns the chunk size and the ScoreFn that scores a chunk of
// channels-last activations [m, h, w, K] (rows belong to the given examples). Only the
// layers after the tap are computed. The layer must be named with [Tap] (node aliases
// cannot be substituted): the engine reports it after the method's Compute returns.
func (in *Inputs) PassesFromLayer(passes int) (chunk int, score ScoreFn, err error) {
	ctx := in.ctx
	d := in.Acts.Shape().Dimensions
	item := int64(in.Acts.DType().Size())
	perPass := ctx.fwd.bytesPerExampleAfter(in.tap.Id()) + 2*int64(d[1]*d[2]*d[3])*item
	chunk, err = ctx.planChunks(in.Layer, in.Method, passes, perPass)
	if err != nil {
		return 0, nil, err
	}
	layer, method, tap, lay := in.Layer, in.Method, in.tap, in.layout
	return chunk, func(acts, examples *graph.Node) *graph.Node {
		defer scoreRegion(acts.Graph())()
		logits, used := ctx.rerunFrom(layer, lay.fromGrid(acts, gatherRows(tap, examples)), gatherRows(ctx.images, examples))
		if !used && ctx.substitutionErr == nil {
			ctx.substitutionErr = fmt.Errorf("%s must re-run the model with layer %q replaced, but the model names it "+
				"with node.WithAlias, which cannot be substituted: name it with camviz.Tap(x, %q) instead", method, layer, layer)
		}
		return ctx.target.rescore(logits, gatherRows(ctx.classes, examples))
	}, nil
}

// GradientAt returns ∂(Σ_batch score)/∂A at the layer, channels-last [batch, h, w, K], for
// a score the method builds itself from Logits (Needs.OwnScores; FinerCAM's comparison
// target). It is another backward pass, from that score down to the layer only.
func (in *Inputs) GradientAt(score *graph.Node) (*graph.Node, error) {
	if in.tap == nil {
		return nil, fmt.Errorf("GradientAt needs a layer (a whole-model method has none)")
	}
	if score.Rank() != 1 || score.Shape().Dimensions[0] != in.tap.Shape().Dimensions[0] {
		return nil, fmt.Errorf("GradientAt: score has shape %v; want one value per example, [%d]",
			score.Shape().Dimensions, in.tap.Shape().Dimensions[0])
	}
	in.ctx.fwd.backward = true
	return in.layout.toGrid(ScoreGradient(score, in.tap)[0]), nil
}
