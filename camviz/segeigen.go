package camviz

import (
	"github.com/gomlx/gomlx/core/graph"
)

// MethodSegEigenCAM is Seg-Eigen-CAM; see [SegEigenCAM].
const MethodSegEigenCAM Method = "SegEigenCAM"

// SegEigenCAM is Seg-Eigen-CAM (Chung & Ying, "Seg-Eigen-CAM: Eigen-Value-Based Visual
// Explanations for Semantic Segmentation Models", Applied Sciences 15(13) 7562, 2025):
// Eigen-CAM of the gradient-weighted activations, with the sign fixed so that the salient
// part is positive,
//
//	raw = PCA₁(|G| ⊙ A)   flipped when |min raw| > |max raw|
//
// where PCA₁ is the projection on the first principal component ([FirstPrincipalProjection])
// and G = ∂score/∂A. Taking |G| keeps positions whose gradient is negative (Grad-CAM's
// averaging would cancel them). The sign rule is [EigenSignMaxPositive], whatever
// Config.EigenSign says, and eigen_smooth does not apply (as in pytorch-grad-cam HEAD), so
// the map is deterministic and equals the library's.
func SegEigenCAM(acts, grads *graph.Node) *graph.Node {
	return FirstPrincipalProjection(graph.Mul(graph.Abs(grads), acts), EigenSignMaxPositive)
}

var segEigenCAMMethod = mustRegister(MethodDef{
	Name:  MethodSegEigenCAM,
	Needs: Needs{TapGradients: true},
	Compute: func(in *Inputs) (Outputs, error) {
		return Outputs{Raw: SegEigenCAM(in.Acts, in.Grads)}, nil
	},
})
