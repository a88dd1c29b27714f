package camviz

import (
	"fmt"
	"slices"
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

// outputLayout records, at graph-building time, the name of each of the graph's outputs,
// so that [newResult] reads them back by name, never by position.
type outputLayout struct {
	numClasses int
	// passes is 6 with AugSmooth (the graph explains 6·batch augmented images), else 1.
	passes int
	taps   []TapInfo
	names  []outputName
	memory []MemoryEstimate
	err    error
}

// outputName names one output of the explanation graph: a part of the model pass
// (logits, classes, score, guided), a per-layer check (nonfinite), or one of a method's
// [Outputs] at a layer (raw, weights, extra:NAME).
type outputName struct {
	Layer  string
	Method Method
	Part   string
}

// Output parts.
const (
	partLogits      = "logits"
	partClasses     = "classes"
	partScore       = "score"
	partGuided      = "guided"      // guided-backprop gradients, in the images' layout
	partNonFinite   = "nonfinite"   // number of non-finite activations of a layer (int32 scalar)
	partActivations = "activations" // a layer's activations, channels-last (Config.KeepActivations)
	partRaw         = "raw"
	partWeights     = "weights"
	partExtra       = "extra:"
)

func (n outputName) String() string { return fmt.Sprintf("%s|%s|%s", n.Layer, n.Method, n.Part) }

// namedOutputs collects the graph's outputs with their names.
type namedOutputs struct {
	names []outputName
	nodes []*graph.Node
}

func (o *namedOutputs) add(name outputName, n *graph.Node) {
	o.names = append(o.names, name)
	o.nodes = append(o.nodes, n)
}

// buildContext is the engine's state while it builds one graph: what methods that re-run
// the model need, and the memory planning of chunked passes.
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
	// tapGrads are ∂score/∂tap in the model's layout, by layer (for Hessian-vector products).
	tapGrads map[string]*graph.Node
	// substitutionErr is set when a re-run from a layer could not substitute it.
	substitutionErr error
}

// buildGraph builds the forward pass, the target score, what the requested methods need
// (one backward pass for all gradients), and every layer × method. It returns the outputs;
// layout.names names each of them.
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
	if logits.Rank() != 2 && !target.anyOutput {
		return nil, fmt.Errorf("camviz: the model returned shape %s; want logits [batch, numClasses] (or use a target "+
			"for other outputs: SegmentationTarget, BoxScoreTarget, SimilarityTarget)", logits.Shape())
	}
	ctx := &buildContext{scope: scope, modelFn: e.modelFn, cfg: e.cfg, target: target, images: modelImages, layout: layout,
		fwd: newForwardStats(g, firstID, lastNodeID(g), modelImages.Shape().Dimensions[0]), tapGrads: map[string]*graph.Node{}}
	score, chosen := target.score(logits, modelClasses)
	taps := collectTaps(g, graph.AliasScopeSeparator)
	layout.taps = taps
	layout.numClasses = 1
	if logits.Rank() >= 2 {
		layout.numClasses = logits.Shape().Dimensions[logits.Rank()-1]
	}
	byName := map[string]TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	if chosen == nil {
		ctx.classes = graph.ZerosLike(modelClasses)
	} else {
		ctx.classes = chosen
	}

	var layerDefs, modelDefs []MethodDef
	var needs Needs
	for _, m := range e.cfg.Methods {
		def, _ := lookupMethod(m)
		needs = needs.union(def.Needs)
		if def.Needs.WholeModel {
			modelDefs = append(modelDefs, def)
		} else {
			layerDefs = append(layerDefs, def)
		}
	}
	if needs.Classes && chosen == nil {
		return nil, fmt.Errorf("camviz: target %q gives no class, but a requested method needs one (e.g. CAM): "+
			"use ArgmaxTarget, ClassTarget or SoftmaxTarget", target)
	}

	// What every method gets.
	base := Inputs{Score: score, Logits: logits, Classes: chosen, Images: modelImages, ctx: ctx}
	if modelImages.Rank() == 4 {
		base.ImagesNHWC = toChannelsLast(modelImages, e.cfg.ChannelsFirst)
	}
	if e.cfg.CAMWeights != "" {
		w, err := findCAMWeights(scope, g, e.cfg.CAMWeights, byName)
		if err != nil {
			return nil, err
		}
		base.CAMWeights = w
	}
	layers := make([]*Inputs, 0, len(e.cfg.Layers))
	for _, name := range e.cfg.Layers {
		t, ok := byName[name]
		if !ok {
			if e.cfg.TapOrigin != nil {
				if origin := e.cfg.TapOrigin(name); origin != "" {
					return nil, fmt.Errorf("camviz: unknown layer %q: %s", name, origin)
				}
			}
			return nil, unknownLayerError(name, taps)
		}
		lay, err := e.cfg.resolveLayout(name, t.Shape, imageSpatial(modelImages, e.cfg.ChannelsFirst))
		if err != nil {
			return nil, err
		}
		in := base
		in.Layer, in.Acts, in.tap, in.layout = name, lay.toGrid(t.node), t.node, lay
		layers = append(layers, &in)
	}

	// One backward pass for every gradient asked for: taps, input, bias sites.
	var wrt []*graph.Node
	if needs.TapGradients && len(layerDefs) > 0 {
		for _, in := range layers {
			wrt = append(wrt, in.tap)
		}
	}
	nTaps := len(wrt)
	if needs.InputGradient {
		wrt = append(wrt, modelImages)
	}
	var sites []BiasSite
	if needs.BiasGradients {
		sites = collectBiasSites(g, graph.AliasScopeSeparator, e.cfg.ChannelsFirst)
		for _, s := range sites {
			wrt = append(wrt, s.out)
		}
	}
	if len(wrt) > 0 {
		ctx.fwd.backward = true
		grads := ScoreGradient(score, wrt...)
		for i := 0; i < nTaps; i++ {
			layers[i].Grads = layers[i].layout.toGrid(grads[i])
			ctx.tapGrads[layers[i].Layer] = grads[i]
		}
		next := nTaps
		if needs.InputGradient {
			if base.ImagesNHWC != nil {
				base.InputGrads = toChannelsLast(grads[next], e.cfg.ChannelsFirst)
			} else {
				base.InputGrads = grads[next]
			}
			next++
			for _, in := range layers {
				in.InputGrads = base.InputGrads
			}
		}
		for i := range sites {
			sites[i].Grads = toChannelsLast(grads[next+i], e.cfg.ChannelsFirst)
		}
		base.Biases = sites
		for _, in := range layers {
			in.Biases = sites
		}
	}

	out := &namedOutputs{}
	out.add(outputName{Part: partLogits}, logits)
	out.add(outputName{Part: partClasses}, ctx.classes)
	out.add(outputName{Part: partScore}, score)
	for _, in := range layers {
		out.add(outputName{Layer: in.Layer, Part: partNonFinite}, countNonFinite(in.Acts))
		if e.cfg.KeepActivations {
			out.add(outputName{Layer: in.Layer, Part: partActivations}, graph.ConvertDType(in.Acts, dtypes.Float32))
		}
	}
	if e.cfg.GuidedBackprop {
		out.add(outputName{Part: partGuided}, ctx.guidedPass(images, classesIn))
	}
	for _, in := range layers {
		for _, def := range layerDefs {
			if err := ctx.addMethod(out, def, *in); err != nil {
				return nil, err
			}
		}
	}
	for _, def := range modelDefs {
		in := base
		in.Layer = WholeModelLayer
		if err := ctx.addMethod(out, def, in); err != nil {
			return nil, err
		}
	}
	layout.names = out.names
	return out.nodes, nil
}

// addMethod builds one method at one layer (or for the whole model) and adds its named
// outputs.
func (ctx *buildContext) addMethod(out *namedOutputs, def MethodDef, in Inputs) error {
	in.Method = def.Name
	where := "(whole model)"
	if in.Acts != nil {
		where = fmt.Sprintf("at layer %q (activations %v)", in.Layer, in.Acts.Shape().Dimensions)
	}
	ctx.substitutionErr = nil
	o, err := def.Compute(&in)
	if err == nil {
		err = ctx.substitutionErr
	}
	if err == nil && o.Raw == nil {
		err = fmt.Errorf("the method returned no raw map")
	}
	if err != nil {
		return fmt.Errorf("camviz: %s %s: %w", def.Name, where, err)
	}
	out.add(outputName{Layer: in.Layer, Method: def.Name, Part: partRaw}, o.Raw)
	if o.Weights != nil {
		out.add(outputName{Layer: in.Layer, Method: def.Name, Part: partWeights}, o.Weights)
	}
	for _, name := range sortedKeys(o.Extra) {
		x := o.Extra[name]
		if x.DType() != dtypes.Float32 {
			x = graph.ConvertDType(x, dtypes.Float32)
		}
		out.add(outputName{Layer: in.Layer, Method: def.Name, Part: partExtra + name}, x)
	}
	return nil
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

// sortedKeys returns the map's keys in order, so that output names do not depend on Go's
// map iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hessianVector returns ∂(Σ g ⊙ v)/∂tap, channels-last, for the gradient g = ∂score/∂tap
// built by graph.Gradient (itself a graph, so it can be differentiated again) and a
// constant v, both in the model's layout. Where g does not depend on the tap (the score
// is linear in it) the product is zero.
func hessianVector(g, tap, v *graph.Node, channelsFirst bool) (hv *graph.Node, err error) {
	err = CatchPanic(func() error {
		hv = graph.Gradient(graph.ReduceAllSum(graph.Mul(g, v)), tap)[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("second-order gradient (Hessian-vector product) through the model failed; an operation "+
			"on the path from the layer to the score may have no second derivative in GoMLX: %w", err)
	}
	return toChannelsLast(hv, channelsFirst), nil
}
