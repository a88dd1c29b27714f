package camviz

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// MethodScoreCAM is Score-CAM; see [ScoreCAM].
const MethodScoreCAM Method = "ScoreCAM"

// scoreCAMEps is pytorch-grad-cam's guard in the per-channel min-max of the masks.
const scoreCAMEps = 1e-8

// ScoreCAM is Score-CAM (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for
// Convolutional Neural Networks", CVPR Workshops 2020), as pytorch-grad-cam implements it:
//
//	M_k = UpsampleBilinear_alignCorners(A_k) to the input size H × W
//	M_k ← (M_k − min M_k) / (max M_k − min M_k + 1e-8)
//	s_k = score(x ⊙ M_k)                      (the mask broadcast over the colour channels)
//	w   = softmax_k(s)                        (no baseline subtraction)
//	raw = Σ_k w_k · A_k
//
// acts are [batch, h, w, K] and images [batch, H, W, C] (channels-last). The batch·K
// masked images are scored by score in chunks of chunk passes, one chunk after the other
// inside the graph (see [ScoreFn]), so memory holds one chunk; chunk must be positive.
// Maps that are zero everywhere (their masks, and so their masked images, are zero) are
// scored once per example in the chunk loop (more than one chunk, on backends with closures).
// It returns the raw map [batch, h, w] and the weights w [batch, K]. No gradient is taken.
func ScoreCAM(acts, images *graph.Node, chunk int, score ScoreFn) (raw, weights *graph.Node, err error) {
	ad, id := acts.Shape().Dimensions, images.Shape().Dimensions
	if len(ad) != 4 || len(id) != 4 || ad[0] != id[0] {
		return nil, nil, fmt.Errorf("camviz.ScoreCAM: activations %v and images %v: want [batch, h, w, K] and [batch, H, W, C]", ad, id)
	}
	if chunk <= 0 {
		return nil, nil, fmt.Errorf("camviz.ScoreCAM: chunk size %d: give a positive number of masked forward passes per chunk", chunk)
	}
	b, h, w, k := ad[0], ad[1], ad[2], ad[3]
	bigH, bigW := id[1], id[2]
	g := acts.Graph()
	flat := graph.Reshape(graph.TransposeAllAxes(acts, 0, 3, 1, 2), b*k, h, w)
	scores, err := chunkedRows(g, b*k, chunk, acts.DType(), graph.Reshape(zeroMaps(flat), b, k), func(rows *graph.Node) *graph.Node {
		examples, _ := rowsToExampleChannel(rows, k)
		masks, err := ResizeMaps(gatherRows(flat, rows), bigH, bigW, true)
		if err != nil {
			panic(err) // shapes were checked above
		}
		lo := graph.ReduceAndKeep(masks, graph.ReduceMin, 1, 2)
		hi := graph.ReduceAndKeep(masks, graph.ReduceMax, 1, 2)
		masks = graph.Div(graph.Sub(masks, lo), graph.AddScalar(graph.Sub(hi, lo), scoreCAMEps))
		masked := graph.Mul(gatherRows(images, examples), graph.InsertAxes(graph.ConvertDType(masks, images.DType()), -1))
		return score(masked, examples)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("camviz.ScoreCAM: %w", err)
	}
	weights = graph.Softmax(graph.Reshape(scores, b, k), -1)
	return weightedSum(acts, weights), weights, nil
}

// scoreCAMMethod re-runs the whole model on the B·K masked images.
var scoreCAMMethod = mustRegister(MethodDef{
	Name:  MethodScoreCAM,
	Needs: Needs{Perturbation: true},
	Compute: func(in *Inputs) (Outputs, error) {
		images := in.ImagesNHWC
		if images == nil {
			return Outputs{}, fmt.Errorf("Score-CAM needs 4-D images [batch, H, W, C] (or [batch, C, H, W] with "+
				"Config.ChannelsFirst), got %v", in.Images.Shape().Dimensions)
		}
		d, id := in.Acts.Shape().Dimensions, images.Shape().Dimensions
		item := int64(images.DType().Size())
		// Each pass holds its mask (3 maps at input size while normalising) and masked image
		// (twice: gathered and multiplied).
		extra := 2*int64(id[1]*id[2]*id[3])*item + 3*int64(id[1]*id[2])*item
		chunk, score, err := in.PassesFromInput(d[0]*d[3], extra)
		if err != nil {
			return Outputs{}, err
		}
		_, w, err := ScoreCAM(in.Acts, images, chunk, score)
		if err != nil {
			return Outputs{}, err
		}
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	},
})

// zeroMaps marks the maps of flat [n, h, w] that are zero everywhere, [n] bool. Their
// masks are zero (pytorch-grad-cam's min-max: (0 − 0)/(0 − 0 + 1e-8)), so their masked
// images are all zero and, within one example (one target), share one score, which the
// chunk loop computes once per example. (A map that is constant but not zero is not
// marked: its upsampled values differ by rounding, and the min-max turns that into a
// mask.) ReLU layers leave channels at zero for a given image: ResNet-18 with random
// weights, 15 of layer4.1's 512 on the bench's image.
func zeroMaps(flat *graph.Node) *graph.Node {
	hi := graph.ReduceMax(graph.Abs(flat), 1, 2)
	return graph.Equal(hi, graph.ZerosLike(hi))
}
