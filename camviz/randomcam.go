package camviz

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// MethodRandomCAM is the random-weights baseline; see [RandomCAM].
const MethodRandomCAM Method = "RandomCAM"

// RandomCAM is pytorch-grad-cam's RandomCAM, a baseline for evaluation metrics: a map
// built like Grad-CAM's but with channel weights drawn uniformly at random,
//
//	w_k ~ U[−1, 1),   raw = Σ_k w_k · A_k
//
// A saliency metric that scores RandomCAM as well as a real method measures nothing.
// pytorch-grad-cam draws from NumPy's global generator, so its maps cannot be reproduced;
// camviz draws from GoMLX's generator seeded with seed (Config.RandomSeed), so the same
// seed, batch and layer give the same weights. acts are [batch, h, w, K]; it returns the
// raw map [batch, h, w] and the weights [batch, K].
func RandomCAM(acts *graph.Node, seed int64) (raw, weights *graph.Node) {
	d := acts.Shape().Dimensions
	state := graph.RNGStateFromSeedForGraph(acts.Graph(), seed)
	_, u := graph.RandomUniform(state, shapes.Make(acts.DType(), d[0], d[3]))
	weights = graph.AddScalar(graph.MulScalar(u, 2), -1)
	return weightedSum(acts, weights), weights
}

var randomCAMMethod = mustRegister(MethodDef{
	Name: MethodRandomCAM,
	Compute: func(in *Inputs) (Outputs, error) {
		_, w := RandomCAM(in.Acts, in.ctx.cfg.RandomSeed)
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	},
})
