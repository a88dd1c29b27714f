package camviz

import (
	"github.com/gomlx/gomlx/core/graph"
)

// MethodFEM is the Feature Explanation Method; see [FEM].
const MethodFEM Method = "FEM"

// FEMSigmas is k in FEM's threshold mean + k·std (pytorch-grad-cam's default).
const FEMSigmas = 2

// FEM is the Feature Explanation Method (Fuad, Martin, Giot, Bourqui, Benois-Pineau &
// Zemmari, "Features understanding in 3D CNNs for actions recognition in video", IPTA
// 2020), a gradient-free map: a channel counts as much as the share of its positions
// where it fires unusually strongly, by the k-sigma rule,
//
//	μ_k = mean_ij A_k(i,j),  σ_k = sqrt(mean_ij (A_k(i,j) − μ_k)²)   (population std)
//	w_k = (1/(h·w)) · #{(i,j) : A_k(i,j) > μ_k + k·σ_k}
//	raw = Σ_k w_k · A_k
//
// with k = sigmas (2 in pytorch-grad-cam HEAD, whose formula this is; it ignores
// eigen_smooth, and so does camviz). acts are [batch, h, w, K]; it returns the raw map
// [batch, h, w] and the weights w [batch, K]. It needs no class and no gradient.
func FEM(acts *graph.Node, sigmas float64) (raw, weights *graph.Node) {
	mean := graph.ReduceAndKeep(acts, graph.ReduceMean, 1, 2)
	dev := graph.Sub(acts, mean)
	std := graph.Sqrt(graph.ReduceAndKeep(graph.Mul(dev, dev), graph.ReduceMean, 1, 2))
	above := graph.GreaterThan(acts, graph.Add(mean, graph.MulScalar(std, sigmas)))
	weights = graph.ReduceMean(graph.ConvertDType(above, acts.DType()), 1, 2)
	return weightedSum(acts, weights), weights
}

var femMethod = mustRegister(MethodDef{
	Name: MethodFEM,
	Compute: func(in *Inputs) (Outputs, error) {
		raw, w := FEM(in.Acts, FEMSigmas)
		return Outputs{Raw: raw, Weights: w}, nil
	},
})
