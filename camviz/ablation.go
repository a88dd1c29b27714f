package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// MethodAblationCAM is Ablation-CAM; see [AblationCAM].
const MethodAblationCAM Method = "AblationCAM"

// ablationOffset is pytorch-grad-cam's AblationLayer value for layers whose minimum is
// not 0: an ablated channel is set to min(A) − 1e7.
const ablationOffset = 1e7

// AblationCAM is Ablation-CAM (Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for
// Deep Convolutional Network via Gradient-free Localization", WACV 2020), as
// pytorch-grad-cam implements it (ratio_channels_to_ablate = 1, every channel):
//
//	A^(k) = A with channel k set to 0, or to min(A) − 1e7 when min(A) ≠ 0
//	y_k   = score of the network run from the layer on with A^(k)
//	w_k   = (y − y_k) / y
//	raw   = Σ_k w_k · A_k
//
// where y is the unablated score and min(A) is taken over the example's whole activation.
// pytorch-grad-cam's loop re-reads the minimum after each ablation it writes into its
// batch, so past the first row of a batch its value drifts to min − 2e7, min − 3e7, …;
// camviz uses min − 1e7 for every channel (the evident intent; on ReLU layers, where
// the minimum is 0, both set the channel to 0).
//
// The division by y follows the paper and the library, so the weights change sign when y
// is negative and grow without bound as y → 0. When y is exactly 0 the division is
// undefined: camviz then uses w_k = y − y_k (it divides by 1), which is the limit of the
// post-processed map as y → 0⁺ (min-max normalisation ignores a positive scale), and
// never NaN.
//
// acts are the layer's activations [batch, h, w, K] and score the unablated scores
// [batch]. The batch·K ablated activations are scored by ablated (which runs only the
// layers after the tapped one) in chunks of chunk passes, one chunk after the other
// inside the graph; chunk must be positive. It returns the raw map and the weights
// [batch, K]. No gradient is taken.
func AblationCAM(acts, score *graph.Node, chunk int, ablated ScoreFn) (raw, weights *graph.Node, err error) {
	ad := acts.Shape().Dimensions
	if len(ad) != 4 || score.Rank() != 1 || score.Shape().Dimensions[0] != ad[0] {
		return nil, nil, fmt.Errorf("camviz.AblationCAM: activations %v and scores %v: want [batch, h, w, K] and [batch]",
			ad, score.Shape().Dimensions)
	}
	if chunk <= 0 {
		return nil, nil, fmt.Errorf("camviz.AblationCAM: chunk size %d: give a positive number of ablated forward passes per chunk", chunk)
	}
	b, k := ad[0], ad[3]
	g := acts.Graph()
	minA := graph.ReduceMin(acts, 1, 2, 3)
	zero := graph.ZerosLike(minA)
	value := graph.Where(graph.Equal(minA, zero), zero, graph.AddScalar(minA, -ablationOffset))
	scores, err := chunkedRows(g, b*k, chunk, acts.DType(), nil, func(rows *graph.Node) *graph.Node {
		examples, channels := rowsToExampleChannel(rows, k)
		a := gatherRows(acts, examples)
		m := a.Shape().Dimensions[0]
		hit := graph.Equal(graph.Iota(g, shapes.Make(dtypes.Int32, m, k), 1), graph.InsertAxes(channels, -1)) // [m, K]
		hit = graph.Reshape(hit, m, 1, 1, k)
		v := graph.Reshape(gatherRows(value, examples), m, 1, 1, 1)
		return ablated(graph.Where(hit, graph.BroadcastToShape(v, a.Shape()), a), examples)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("camviz.AblationCAM: %w", err)
	}
	y := graph.InsertAxes(graph.ConvertDType(score, acts.DType()), -1)
	yk := graph.Reshape(scores, b, k)
	den := graph.Where(graph.Equal(y, graph.ZerosLike(y)), graph.OnesLike(y), y)
	weights = graph.Div(graph.Sub(y, yk), den)
	return weightedSum(acts, weights), weights, nil
}

// ablationCAMMethod re-runs the model from the layer on with each channel ablated.
var ablationCAMMethod = mustRegister(MethodDef{
	Name:  MethodAblationCAM,
	Needs: Needs{Perturbation: true},
	Compute: func(in *Inputs) (Outputs, error) {
		d := in.Acts.Shape().Dimensions
		chunk, score, err := in.PassesFromLayer(d[0] * d[3])
		if err != nil {
			return Outputs{}, err
		}
		_, w, err := AblationCAM(in.Acts, in.Score, chunk, score)
		if err != nil {
			return Outputs{}, err
		}
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	},
})
