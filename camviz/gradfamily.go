package camviz

import (
	"github.com/gomlx/gomlx/core/graph"
)

// The gradient family: maps built from the activations A [batch, h, w, K] of a layer and
// the gradients G = ∂y^c/∂A of the target score (see [ScoreGradient]). Each function
// returns the raw map [batch, h, w] before ReLU and normalisation (pytorch-grad-cam's
// get_cam_image) and, where the method has them, the channel weights [batch, K]. The
// formulas and constants are pytorch-grad-cam v1.5.5's, computed in the activations'
// dtype, so the reference maps are reproduced to float32 rounding.

// Methods of the gradient family.
const (
	MethodGradCAMPlusPlus    Method = "GradCAMPlusPlus"
	MethodXGradCAM           Method = "XGradCAM"
	MethodHiResCAM           Method = "HiResCAM"
	MethodLayerCAM           Method = "LayerCAM"
	MethodGradCAMElementWise Method = "GradCAMElementWise"
)

// gradPlusPlusEps and xGradEps are pytorch-grad-cam's constants. With small gradients
// (G² ≈ 1e-7…1e-6 on a seeded model) eps is of the same order as the terms it guards,
// so it changes the result and must be copied exactly.
const (
	gradPlusPlusEps = 1e-6
	xGradEps        = 1e-7
)

// GradCAMPlusPlusFromGradients is Grad-CAM++ (Chattopadhyay et al., "Grad-CAM++:
// Generalized Gradient-based Visual Explanations for Deep Convolutional Networks", WACV
// 2018, Eq. 19 with the exponential replaced by the raw score, as implemented by
// pytorch-grad-cam):
//
//	α_k(i,j) = G² / (2·G² + (Σ_ab A_k(a,b))·G³ + 1e-6),  α = 0 where G = 0
//	w_k      = Σ_ij max(G_k(i,j), 0) · α_k(i,j)
//	raw      = Σ_k w_k · A_k
func GradCAMPlusPlusFromGradients(acts, grads *graph.Node) (raw, weights *graph.Node) {
	weights = gradCAMPlusPlusWeights(acts, grads)
	return weightedSum(acts, weights), weights
}

func gradCAMPlusPlusWeights(acts, grads *graph.Node) *graph.Node {
	g2 := graph.Mul(grads, grads)
	g3 := graph.Mul(g2, grads)
	sumA := graph.ReduceAndKeep(acts, graph.ReduceSum, 1, 2)
	den := graph.AddScalar(graph.Add(graph.MulScalar(g2, 2), graph.Mul(sumA, g3)), gradPlusPlusEps)
	zero := graph.ZerosLike(grads)
	alpha := graph.Where(graph.NotEqual(grads, zero), graph.Div(g2, den), zero)
	return graph.ReduceSum(graph.Mul(graph.Max(grads, zero), alpha), 1, 2)
}

// XGradCAMFromGradients is XGrad-CAM (Fu et al., "Axiom-based Grad-CAM: Towards Accurate
// Visualization and Explanation of CNNs", BMVC 2020), the weights that satisfy the
// sensitivity and conservation axioms:
//
//	w_k = Σ_ij G_k(i,j)·A_k(i,j) / (Σ_ab A_k(a,b) + 1e-7),   raw = Σ_k w_k · A_k
func XGradCAMFromGradients(acts, grads *graph.Node) (raw, weights *graph.Node) {
	weights = xGradCAMWeights(acts, grads)
	return weightedSum(acts, weights), weights
}

func xGradCAMWeights(acts, grads *graph.Node) *graph.Node {
	sumA := graph.AddScalar(graph.ReduceAndKeep(acts, graph.ReduceSum, 1, 2), xGradEps)
	return graph.ReduceSum(graph.Div(graph.Mul(grads, acts), sumA), 1, 2)
}

// HiResCAMFromGradients is HiResCAM (Draelos & Carin, "Use HiResCAM instead of Grad-CAM
// for faithful explanations of convolutional neural networks", arXiv:2011.08891, 2020):
// the element-wise product of gradients and activations, without Grad-CAM's spatial
// averaging of the gradients, so the map explains exactly the score of a network whose
// head is linear after the layer:
//
//	raw = Σ_k G_k ⊙ A_k
func HiResCAMFromGradients(acts, grads *graph.Node) *graph.Node {
	return graph.ReduceSum(hiResContributions(acts, grads), 3)
}

func hiResContributions(acts, grads *graph.Node) *graph.Node { return graph.Mul(grads, acts) }

// LayerCAMFromGradients is LayerCAM (Jiang et al., "LayerCAM: Exploring Hierarchical Class
// Activation Maps for Localization", IEEE TIP 30, 2021): every position weighted by its
// own positive gradient,
//
//	raw = Σ_k max(G_k, 0) ⊙ A_k
func LayerCAMFromGradients(acts, grads *graph.Node) *graph.Node {
	return graph.ReduceSum(layerCAMContributions(acts, grads), 3)
}

func layerCAMContributions(acts, grads *graph.Node) *graph.Node {
	return graph.Mul(graph.Max(grads, graph.ZerosLike(grads)), acts)
}

// GradCAMElementWiseFromGradients is pytorch-grad-cam's GradCAMElementWise, the
// element-wise variant of Grad-CAM (Selvaraju et al., ICCV 2017) that applies the ReLU to
// each gradient-activation product before summing over channels:
//
//	raw = Σ_k max(G_k ⊙ A_k, 0)
func GradCAMElementWiseFromGradients(acts, grads *graph.Node) *graph.Node {
	return graph.ReduceSum(elementWiseContributions(acts, grads), 3)
}

func elementWiseContributions(acts, grads *graph.Node) *graph.Node {
	p := graph.Mul(grads, acts)
	return graph.Max(p, graph.ZerosLike(p))
}

// weightMethod defines a gradient method with channel weights: raw = Σ_k w_k·A_k.
func weightMethod(name Method, weightsFn func(acts, grads *graph.Node) *graph.Node) MethodDef {
	return mustRegister(MethodDef{Name: name, Needs: Needs{TapGradients: true}, Compute: func(in *Inputs) (Outputs, error) {
		w := weightsFn(in.Acts, in.Grads)
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	}})
}

// elementMethod defines a gradient method built from per-channel maps c_k: raw = Σ_k c_k.
func elementMethod(name Method, contrib func(acts, grads *graph.Node) *graph.Node) MethodDef {
	return mustRegister(MethodDef{Name: name, Needs: Needs{TapGradients: true}, Compute: func(in *Inputs) (Outputs, error) {
		return Outputs{Raw: in.ChannelMap(contrib(in.Acts, in.Grads))}, nil
	}})
}

var (
	gradCAMPlusPlusMethod    = weightMethod(MethodGradCAMPlusPlus, gradCAMPlusPlusWeights)
	xGradCAMMethod           = weightMethod(MethodXGradCAM, xGradCAMWeights)
	hiResCAMMethod           = elementMethod(MethodHiResCAM, hiResContributions)
	layerCAMMethod           = elementMethod(MethodLayerCAM, layerCAMContributions)
	gradCAMElementWiseMethod = elementMethod(MethodGradCAMElementWise, elementWiseContributions)
)
