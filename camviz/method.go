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

// Needs declares what a method asks the Explainer's engine to build for it. The engine
// builds each thing once per graph, however many methods and layers ask for it, and
// hands it over in [Inputs]; a method never reaches into the engine.
type Needs struct {
	// WholeModel marks a method that explains the model as a whole rather than one
	// layer (FullGrad): it is computed once per Explain call, not per Config.Layers entry;
	// its maps are stored once, under the layer name "" ([WholeModelLayer]), and a Result
	// returns them for any layer.
	WholeModel bool
	// Classes means the method needs a class per example (CAM), not a function target.
	Classes bool
	// TapGradients asks for G = ∂score/∂A at the layer ([Inputs.Grads]).
	TapGradients bool
	// InputGradient asks for ∂score/∂images ([Inputs.InputGrads]).
	InputGradient bool
	// BiasGradients asks for every bias site the model declared with [BiasTap], with the
	// gradient of the score at the site's output ([Inputs.Biases]).
	BiasGradients bool
	// HessianVector asks for second-order terms: [Inputs.HessianVector] then returns
	// Hessian-vector products of the score at the layer. It implies TapGradients.
	HessianVector bool
	// OwnScores means the method builds its own scores from the logits (FinerCAM) and takes
	// their gradient at the layer with [Inputs.GradientAt].
	OwnScores bool
	// Perturbation means the method re-runs the model on perturbed copies of the input
	// ([Inputs.PassesFromInput]) or of the layer's activations ([Inputs.PassesFromLayer]),
	// chunked under Config.MemoryBudget.
	Perturbation bool
}

// union returns the needs of both.
func (n Needs) union(o Needs) Needs {
	return Needs{
		WholeModel:    n.WholeModel || o.WholeModel,
		Classes:       n.Classes || o.Classes,
		TapGradients:  n.TapGradients || o.TapGradients || o.HessianVector || n.HessianVector,
		InputGradient: n.InputGradient || o.InputGradient,
		BiasGradients: n.BiasGradients || o.BiasGradients,
		HessianVector: n.HessianVector || o.HessianVector,
		OwnScores:     n.OwnScores || o.OwnScores,
		Perturbation:  n.Perturbation || o.Perturbation,
	}
}

// WholeModelLayer is the layer name under which whole-model methods (FullGrad) store their
// maps in a [Result]: Result.Raw(WholeModelLayer, MethodFullGrad).
const WholeModelLayer = ""

// Outputs are what a method computes, by name. The engine adds each non-nil one to the
// graph's outputs under (layer, method, name) and [Result] reads them back by that name.
type Outputs struct {
	// Raw is the map [batch, h, w] before ReLU and normalisation (pytorch-grad-cam's
	// get_cam_image); required.
	Raw *graph.Node
	// Weights are the channel weights [batch, K], for methods that have them.
	Weights *graph.Node
	// Extra holds further named outputs, each with the batch as its leading axis (with
	// Config.AugSmooth, the augmented batch); [Result.Extra] returns them.
	Extra map[string]*graph.Node
}

// MethodDef defines a method: its name, what it needs, and how it computes its outputs
// from what the engine provides. Each method lives in its own file with its formula, and
// registers its definition with [RegisterMethod]; see docs/adding-a-method.md.
type MethodDef struct {
	Name  Method
	Needs Needs
	// Compute builds the method's graph at one layer (or once, for whole-model methods).
	// An error names what is wrong; the engine adds the method and layer.
	Compute func(in *Inputs) (Outputs, error)
}

var registry = struct {
	sync.RWMutex
	defs map[Method]MethodDef
}{defs: map[Method]MethodDef{}}

// RegisterMethod adds a method to the ones [NewExplainer] accepts and [Methods] lists. It
// is an error to register a name twice (case-insensitively) or a definition without
// Compute.
func RegisterMethod(def MethodDef) error {
	if def.Name == "" || def.Compute == nil {
		return fmt.Errorf("camviz.RegisterMethod: method %q needs a name and a Compute function", def.Name)
	}
	registry.Lock()
	defer registry.Unlock()
	for m := range registry.defs {
		if strings.EqualFold(string(m), string(def.Name)) {
			return fmt.Errorf("camviz.RegisterMethod: method %q is already registered (as %q)", def.Name, m)
		}
	}
	registry.defs[def.Name] = def
	return nil
}

// mustRegister registers camviz's own methods; a clash is a programming error.
func mustRegister(def MethodDef) MethodDef {
	if err := RegisterMethod(def); err != nil {
		panic(err)
	}
	return def
}

func lookupMethod(m Method) (MethodDef, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.defs[m]
	return s, ok
}

// MethodNeeds returns what a registered method declares it needs.
func MethodNeeds(m Method) (Needs, error) {
	def, ok := lookupMethod(m)
	if !ok {
		_, err := ParseMethod(string(m))
		return Needs{}, err
	}
	return def.Needs, nil
}

// Methods lists every registered method, sorted by name.
func Methods() []Method {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Method, 0, len(registry.defs))
	for m := range registry.defs {
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

// unregisterMethod removes a method (tests register probes and remove them again).
func unregisterMethod(m Method) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.defs, m)
}
