package camviz

import (
	"github.com/gomlx/gomlx/core/graph"
)

// MethodShapleyCAM is ShapleyCAM; see [ShapleyCAMFromGradients].
const MethodShapleyCAM Method = "ShapleyCAM"

// ShapleyCAMFromGradients is ShapleyCAM (Cai, Zhang et al., "CAMs as Shapley Value-based
// Explainers", arXiv:2501.06261, 2025). Read as a Shapley value, a channel's contribution
// to the score is, to second order, its first-order term minus half the interaction term:
//
//	w_k = (1/(h·w)) Σ_ij (G − ½·H·A)_k(i,j),   raw = Σ_k w_k · A_k
//
// where G = ∂score/∂A and H·A is the Hessian of the score with respect to the layer
// applied to the activations themselves, (H·A)_m = Σ_n ∂²score/∂A_m∂A_n · A_n
// (pytorch-grad-cam HEAD computes it as autograd.grad(G, A, grad_outputs=A)).
// hessianTimesActs is that product, [batch, h, w, K]. Where the network after the layer
// is piecewise linear in A (ReLU, max pooling, linear head, a logit target) H·A = 0 and
// ShapleyCAM is Grad-CAM. It returns the raw map [batch, h, w] and the weights [batch, K].
func ShapleyCAMFromGradients(acts, grads, hessianTimesActs *graph.Node) (raw, weights *graph.Node) {
	weights = shapleyWeights(grads, hessianTimesActs)
	return weightedSum(acts, weights), weights
}

func shapleyWeights(grads, hessianTimesActs *graph.Node) *graph.Node {
	return graph.ReduceMean(graph.Sub(grads, graph.MulScalar(hessianTimesActs, 0.5)), 1, 2)
}

var shapleyCAMMethod = mustRegister(MethodDef{
	Name:  MethodShapleyCAM,
	Needs: Needs{TapGradients: true, HessianVector: true},
	Compute: func(in *Inputs) (Outputs, error) {
		hv, err := in.HessianVector(in.Acts)
		if err != nil {
			return Outputs{}, err
		}
		w := shapleyWeights(in.Grads, hv)
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	},
})
