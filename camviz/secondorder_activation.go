package camviz

import (
	"fmt"
	"regexp"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Second-order autodiff through fused activations. GoMLX differentiates a fused
// activation y = f(x) (ml/layers/activation.Relu and friends; onnx-gomlx's Relu) into a
// FusedActivationVJP node, dx = f′(x) ⊙ dy, but defines no gradient for that node, so a
// Hessian-vector product (ShapleyCAM's) stops at the first ReLU between the layer and
// the score: "FusedActivationVJP … no gradient is defined yet". camviz registers one when
// GoMLX has none.
//
// dx = f′(x) ⊙ dy is linear in dy with a diagonal Jacobian, so its vector-Jacobian product
// with respect to dy is f′(x) ⊙ v: the same node with v in place of dy. With respect to x
// (and y, from which the backend may read f′) it is f″(x) ⊙ dy ⊙ v, which is 0 for the
// piecewise-linear activations (identity, ReLU, leaky ReLU, hard sigmoid: f′ is piecewise
// constant, as PyTorch's threshold_backward also treats it). For the others (sigmoid,
// tanh, GELU, SiLU, …) f″ ≠ 0 and this rule does not apply: the second derivative is
// refused with an error naming the activation.
func init() {
	if _, ok := graph.VJPRegistration[graph.NodeTypeFusedActivationVJP]; !ok {
		graph.VJPRegistration[graph.NodeTypeFusedActivationVJP] = fusedActivationVJPVJP
	}
}

// activationTypeRe reads the activation from the node's description ("cfg={Type:Relu}").
var activationTypeRe = regexp.MustCompile(`cfg=\{Type:([A-Za-z0-9]+)`)

// piecewiseLinear are the activations whose second derivative is 0 almost everywhere.
var piecewiseLinear = map[string]bool{"None": true, "Relu": true, "LeakyRelu": true, "HardSigmoid": true}

func fusedActivationVJPVJP(node *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
	m := activationTypeRe.FindStringSubmatch(node.String())
	if m == nil || !piecewiseLinear[m[1]] {
		what := "an activation camviz cannot read from " + node.String()
		if m != nil {
			what = "activation " + m[1]
		}
		panic(fmt.Errorf("camviz: second derivative of a fused %s is not supported (only piecewise-linear "+
			"activations: ReLU, leaky ReLU, hard sigmoid); use a method without second-order terms", what))
	}
	// node.Inputs() are y, dy and, when the backend wanted it, x; CloneWithInputs takes
	// them in another order (gomlx v0.28.16): y, x (when present), dy.
	ins := node.Inputs()
	out := make([]*graph.Node, len(ins))
	for i, in := range ins {
		out[i] = graph.ZerosLike(in)
	}
	y := graph.StopGradient(ins[0])
	switch len(ins) {
	case 2:
		out[1] = node.CloneWithInputs(y, v[0])
	case 3:
		out[1] = node.CloneWithInputs(y, graph.StopGradient(ins[2]), v[0])
	default:
		panic(fmt.Errorf("camviz: second derivative of a fused activation: %d inputs, want 2 or 3 (%s)", len(ins), node))
	}
	return out
}
