package camviz

import (
	"github.com/gomlx/gomlx/core/graph"
)

// MethodGradCAM is Grad-CAM; see [GradCAM].
const MethodGradCAM Method = "GradCAM"

var gradCAMMethod = mustRegister(MethodDef{
	Name:  MethodGradCAM,
	Needs: Needs{TapGradients: true},
	Compute: func(in *Inputs) (Outputs, error) {
		_, weights := GradCAMFromGradients(in.Acts, in.Grads)
		return Outputs{Raw: in.WeightedMap(weights), Weights: weights}, nil
	},
})

// GradCAM computes Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep
// Networks via Gradient-based Localization", ICCV 2017) for activations acts
// [batch, h, w, K] and a score per example [batch] computed from them:
//
//	α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij,   raw = Σ_k α_k^c A^k,   L^c = ReLU(raw)
//
// with Z = h·w. It returns the raw map [batch, h, w], before the ReLU (pytorch-grad-cam's
// get_cam_image). The gradient is taken of Σ_batch score, which gives each example its own
// gradient because examples do not interact; graph.Gradient then builds only the backward
// path from the score down to acts, never the gradients of the model's parameters.
//
// For a conv → GAP → linear network ∂y^c/∂A^k_ij = w_k^c/(h·w) at every position, so
// GradCAM = CAM/(h·w) before the ReLU.
func GradCAM(acts, score *graph.Node) *graph.Node {
	raw, _ := GradCAMFromGradients(acts, ScoreGradient(score, acts)[0])
	return raw
}

// GradCAMFromGradients is Grad-CAM given the gradients grads = ∂y^c/∂A [batch, h, w, K]:
// it returns the raw map [batch, h, w] and the channel weights α [batch, K].
func GradCAMFromGradients(acts, grads *graph.Node) (raw, weights *graph.Node) {
	weights = graph.ReduceMean(grads, 1, 2)
	return weightedSum(acts, weights), weights
}

// ScoreGradient returns ∂(Σ_batch score)/∂A for each of the activations, in one backward
// pass. Because examples in a batch are independent, each example's slice of the result
// is the gradient of its own score.
func ScoreGradient(score *graph.Node, acts ...*graph.Node) []*graph.Node {
	total := graph.ReduceAllSum(score)
	return graph.Gradient(total, acts...)
}
