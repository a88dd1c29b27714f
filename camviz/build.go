package camviz

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// explainExec is one executor (one per target kind), compiled once per input shape, and
// the layout of each compiled graph's outputs.
type explainExec struct {
	exec    *model.Exec
	mu      sync.Mutex
	layouts map[string]*outputLayout
}

func (ex *explainExec) setLayout(s shapes.Shape, l *outputLayout) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.layouts[s.String()] = l
}

func (ex *explainExec) layoutFor(s shapes.Shape) *outputLayout {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.layouts[s.String()]
}

// outputLayout records, at graph-building time, what each output of the graph holds.
type outputLayout struct {
	numClasses int
	// passes is 6 with AugSmooth (the graph explains 6·batch augmented images), else 1.
	passes int
	taps   []TapInfo
	slots  []outputSlot
	memory []MemoryEstimate
	err    error
}

type slotKind int

const (
	slotRaw slotKind = iota
	slotWeights
	slotGuided    // guided-backprop gradients, in the images' layout
	slotNonFinite // number of non-finite activations of a layer (int32 scalar)
)

type outputSlot struct {
	key  Key
	kind slotKind
}

// buildContext is what methods that re-run the model need of the graph being built.
type buildContext struct {
	scope   *model.Scope
	modelFn ModelFn
	cfg     Config
	target  Target
	// images is the batch given to the model (6·batch augmented images with AugSmooth).
	images *graph.Node
	// classes is the explained class per example, [batch] int32 (zeros for function targets).
	classes *graph.Node
	fwd     forwardStats
	layout  *outputLayout
	reruns  int
}

// buildGraph builds forward, target score, one backward pass and every layer × method.
// Outputs: logits, chosen classes, score, then the slots recorded in layout.
func (e *Explainer) buildGraph(scope *model.Scope, images, classesIn *graph.Node, target Target, layout *outputLayout) ([]*graph.Node, error) {
	g := images.Graph()
	layout.passes = 1
	modelImages, modelClasses := images, classesIn
	if e.cfg.AugSmooth {
		layout.passes = augPasses
		modelImages = augmentImages(images, e.cfg.ChannelsFirst)
		modelClasses = graph.Concatenate(repeatNode(classesIn, augPasses), 0)
	}
	firstID := lastNodeID(g)
	logits := e.modelFn(scope, modelImages)
	if logits.Rank() != 2 {
		return nil, fmt.Errorf("camviz: the model returned shape %s; want logits [batch, numClasses]", logits.Shape())
	}
	ctx := &buildContext{scope: scope, modelFn: e.modelFn, cfg: e.cfg, target: target, images: modelImages, layout: layout,
		fwd: newForwardStats(g, firstID, lastNodeID(g), modelImages.Shape().Dimensions[0])}
	score, chosen := target.score(logits, modelClasses)
	taps := collectTaps(g, graph.AliasScopeSeparator)
	layout.taps = taps
	layout.numClasses = logits.Shape().Dimensions[1]
	byName := map[string]TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	if chosen == nil {
		ctx.classes = graph.ZerosLike(modelClasses)
	} else {
		ctx.classes = chosen
	}
	inputs := make([]*LayerInput, len(e.cfg.Layers))
	raw := make([]*graph.Node, len(e.cfg.Layers))
	for i, name := range e.cfg.Layers {
		t, ok := byName[name]
		if !ok {
			return nil, unknownLayerError(name, taps)
		}
		lay, err := e.cfg.resolveLayout(name, t.Shape, imageSpatial(modelImages, e.cfg.ChannelsFirst))
		if err != nil {
			return nil, err
		}
		raw[i] = t.node
		inputs[i] = &LayerInput{Layer: name, Acts: lay.toGrid(t.node), Score: score,
			Logits: logits, Classes: chosen, Images: modelImages, tap: t.node, layout: lay, ctx: ctx}
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
		ctx.fwd.backward = true
		grads := ScoreGradient(score, raw...)
		for i := range inputs {
			inputs[i].Grads = inputs[i].layout.toGrid(grads[i])
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
	outs := []*graph.Node{logits, ctx.classes, score}
	layout.slots = layout.slots[:0]
	for _, in := range inputs {
		outs = append(outs, countNonFinite(in.Acts))
		layout.slots = append(layout.slots, outputSlot{key: Key{Layer: in.Layer}, kind: slotNonFinite})
	}
	if e.cfg.GuidedBackprop {
		outs = append(outs, ctx.guidedPass(images, classesIn))
		layout.slots = append(layout.slots, outputSlot{kind: slotGuided})
	}
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
				layout.slots = append(layout.slots, outputSlot{key: key, kind: slotWeights})
			}
		}
	}
	return outs, nil
}

// guidedPass builds a guided-backprop copy of the model on the (un-augmented) images
// and returns ∂score/∂images through it.
func (ctx *buildContext) guidedPass(images, classesIn *graph.Node) *graph.Node {
	g := images.Graph()
	g.PushAliasScope("camviz_guided")
	defer g.PopAliasScope()
	return WithGuidedReLU(g, func() *graph.Node {
		logits := ctx.modelFn(ctx.scope.ResetVisited(), images)
		score, _ := ctx.target.score(logits, classesIn)
		return GuidedBackprop(images, score)
	})
}

// countNonFinite returns the number of NaN and ±Inf values of x, as an int32 scalar.
func countNonFinite(x *graph.Node) *graph.Node {
	bad := graph.LogicalNot(graph.IsFinite(x))
	return graph.ReduceAllSum(graph.ConvertDType(bad, dtypes.Int32))
}

func repeatNode(x *graph.Node, n int) []*graph.Node {
	out := make([]*graph.Node, n)
	for i := range out {
		out[i] = x
	}
	return out
}

// toChannelsLast turns [batch, K, h, w] into [batch, h, w, K] when channelsFirst is set.
func toChannelsLast(x *graph.Node, channelsFirst bool) *graph.Node {
	if !channelsFirst {
		return x
	}
	return graph.TransposeAllAxes(x, 0, 2, 3, 1)
}

// toChannelsFirst turns [batch, h, w, K] into [batch, K, h, w] when channelsFirst is set.
func toChannelsFirst(x *graph.Node, channelsFirst bool) *graph.Node {
	if !channelsFirst {
		return x
	}
	return graph.TransposeAllAxes(x, 0, 3, 1, 2)
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

// rerun builds another forward pass of the model on images (inside its own alias scope,
// so its taps do not clash with the ordinary pass) and returns its logits.
func (ctx *buildContext) rerun(kind string, images *graph.Node) *graph.Node {
	g := images.Graph()
	ctx.reruns++
	g.PushAliasScope(fmt.Sprintf("camviz_%s_%d", kind, ctx.reruns))
	defer g.PopAliasScope()
	return ctx.modelFn(ctx.scope.ResetVisited(), images)
}

// rerunFrom builds a forward pass with the tap layer replaced by acts (in the model's
// layout, any batch size) and returns its logits and whether the tap was substituted.
// images feed the layers before the tap, which the backend does not compute when nothing
// else uses them.
func (ctx *buildContext) rerunFrom(layer string, acts, images *graph.Node) (*graph.Node, bool) {
	return replaceTap(acts.Graph(), layer, acts, func() *graph.Node {
		return ctx.rerun("ablation_"+layer, images)
	})
}
