package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
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
// It returns the raw map [batch, h, w] and the weights w [batch, K]. No gradient is taken.
// [ScoreCAMSkippingConstant] computes the same maps without running the chunks whose
// masks are all constant.
func ScoreCAM(acts, images *graph.Node, chunk int, score ScoreFn) (raw, weights *graph.Node, err error) {
	raw, weights, _, err = scoreCAM(acts, images, chunk, score, false)
	return raw, weights, err
}

// ScoreCAMSkippingConstant is [ScoreCAM] without the passes of chunks whose masks are all
// constant. A pass whose mask is constant (an activation map that is constant at the layer,
// such as a channel the ReLU zeroed) has an all-zero mask, so its masked image is all zeros
// and all such passes score alike: the passes are ordered so that these channels come last,
// and a chunk whose masks are all constant is not run — its scores are those of one forward
// pass of a zero image per example, computed once (see [constantLastOrder] and
// [skipConstantChunk]). The maps equal ScoreCAM's up to the float rounding of a different
// batch size; skipped is the number of passes not run (int32 scalar).
//
// The Explainer does not use it: on the Go backend (compute v0.1.14) the model re-run
// inside each chunk's graph.If keeps its intermediate buffers until the branch returns,
// which raised the bench's Score-CAM peak RSS at a 256 MiB budget from about 500 to 711 MiB
// (over budget + 300 MiB) to save about 3% of the passes (docs/performance.md).
func ScoreCAMSkippingConstant(acts, images *graph.Node, chunk int, score ScoreFn) (raw, weights, skipped *graph.Node, err error) {
	return scoreCAM(acts, images, chunk, score, true)
}

// scoreCAM is ScoreCAM; with skipConstant false it runs every pass in the channels'
// order (the computation before constant chunks were skipped, for tests), and skipped
// is the number of passes not run ([] int32 scalar; 0 without skipping).
func scoreCAM(acts, images *graph.Node, chunk int, score ScoreFn, skipConstant bool) (raw, weights, skipped *graph.Node, err error) {
	ad, id := acts.Shape().Dimensions, images.Shape().Dimensions
	if len(ad) != 4 || len(id) != 4 || ad[0] != id[0] {
		return nil, nil, nil, fmt.Errorf("camviz.ScoreCAM: activations %v and images %v: want [batch, h, w, K] and [batch, H, W, C]", ad, id)
	}
	if chunk <= 0 {
		return nil, nil, nil, fmt.Errorf("camviz.ScoreCAM: chunk size %d: give a positive number of masked forward passes per chunk", chunk)
	}
	b, h, w, k := ad[0], ad[1], ad[2], ad[3]
	bigH, bigW := id[1], id[2]
	g := acts.Graph()
	flat := graph.Reshape(graph.TransposeAllAxes(acts, 0, 3, 1, 2), b*k, h, w)
	var order *passOrder
	var zeroScores *graph.Node
	if skipConstant {
		order = constantLastOrder(flat)
		zeroScores = score(graph.ZerosLike(images), graph.Iota(g, shapes.Make(dtypes.Int32, b), 0))
	}
	var skips []*graph.Node
	scores, err := chunkedRows(g, b*k, chunk, func(rows *graph.Node) *graph.Node {
		if order != nil {
			rows = gatherRows(order.Perm, rows)
		}
		examples, _ := rowsToExampleChannel(rows, k)
		masks, err := ResizeMaps(gatherRows(flat, rows), bigH, bigW, true)
		if err != nil {
			panic(err) // shapes were checked above
		}
		lo := graph.ReduceAndKeep(masks, graph.ReduceMin, 1, 2)
		hi := graph.ReduceAndKeep(masks, graph.ReduceMax, 1, 2)
		constant := graph.LogicalAll(graph.Equal(hi, lo))
		masks = graph.Div(graph.Sub(masks, lo), graph.AddScalar(graph.Sub(hi, lo), scoreCAMEps))
		masked := graph.Mul(gatherRows(images, examples), graph.InsertAxes(graph.ConvertDType(masks, images.DType()), -1))
		if order == nil {
			return score(masked, examples)
		}
		out, skip := skipConstantChunk(constant, gatherRows(zeroScores, examples), masked, examples, score)
		skips = append(skips, skip)
		return out
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("camviz.ScoreCAM: %w", err)
	}
	skipped = graph.Scalar(g, dtypes.Int32, 0)
	if order != nil {
		scores = gatherRows(scores, order.Pos) // back to the channels' order
		for _, s := range skips {
			skipped = graph.Add(skipped, s)
		}
	}
	weights = graph.Softmax(graph.Reshape(graph.ConvertDType(scores, acts.DType()), b, k), -1)
	return weightedSum(acts, weights), weights, skipped, nil
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
