package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// MethodCAM is the class activation map; see [CAM].
const MethodCAM Method = "CAM"

// camMethod needs a class and the classifier kernel named by Config.CAMWeights.
var camMethod = mustRegister(MethodDef{
	Name:  MethodCAM,
	Needs: Needs{Classes: true},
	Compute: func(in *Inputs) (Outputs, error) {
		if in.CAMWeights == nil {
			return Outputs{}, fmt.Errorf("CAM needs a classifier head of global average pooling followed by a " +
				"linear layer, and this model has none that camviz recognised (camviz/models finds it for its zoo, " +
				"for ONNX scores computed by Gemm/MatMul with constant weights from a pooled layer, and for scores " +
				"that are the pooled layer itself); use GradCAM (on such heads its map is ReLU(CAM)/(h·w)) " +
				"which needs no weights, or set Config.CAMWeights to the tap naming the final linear layer's " +
				"kernel [K, numClasses]")
		}
		w, err := orientCAMWeights(in.CAMWeights, in.Acts.Shape().Dimensions[3], in.Logits.Shape().Dimensions[1])
		if err != nil {
			return Outputs{}, err
		}
		weights := CAMWeights(w, in.Classes)
		return Outputs{Raw: in.WeightedMap(weights), Weights: weights}, nil
	},
})

// CAM computes the class activation map of Zhou et al., "Learning Deep Features for
// Discriminative Localization" (CVPR 2016), for a conv → global-average-pool → linear
// network:
//
//	M_c(x,y) = Σ_k w_k^c · f_k(x,y)
//
// acts are the last conv layer's activations f, [batch, h, w, K]; fcWeights is the linear
// layer's kernel, [K, numClasses] (GoMLX's dense layout: y = x·W + b); classes holds the
// class c per example, [batch] int32. The result is the raw map [batch, h, w]: no bias, no
// ReLU and no normalisation, as in the paper and pytorch-grad-cam's reference.
//
// Since the logit is y^c = Σ_k w_k^c · mean_xy f_k(x,y) + b_c, the map's mean is exactly
// the logit minus its bias: CAM is a spatial decomposition of the class score.
func CAM(acts, fcWeights, classes *graph.Node) *graph.Node {
	return weightedSum(acts, CAMWeights(fcWeights, classes))
}

// CAMWeights returns the channel weights w^c of each example's class, [batch, K], from the
// linear kernel [K, numClasses] and the classes [batch].
func CAMWeights(fcWeights, classes *graph.Node) *graph.Node {
	numClasses := fcWeights.Shape().Dimensions[1]
	oneHot := graph.OneHot(classes, numClasses, fcWeights.DType())
	return graph.Einsum("bc,kc->bk", oneHot, fcWeights)
}

// weightedSum returns Σ_k w[b,k] · A[b,y,x,k], [batch, h, w], for acts A [batch, h, w, K]
// and channel weights w [batch, K].
func weightedSum(acts, weights *graph.Node) *graph.Node {
	if weights.DType() != acts.DType() {
		weights = graph.ConvertDType(weights, acts.DType())
	}
	return graph.Einsum("bhwk,bk->bhw", acts, weights)
}

// int32Classes converts class indices to int32 if needed.
func int32Classes(classes *graph.Node) *graph.Node {
	if classes.DType() == dtypes.Int32 {
		return classes
	}
	return graph.ConvertDType(classes, dtypes.Int32)
}

// orientCAMWeights returns the classifier kernel as [K, numClasses], transposing a
// [numClasses, K] matrix (PyTorch and ONNX Linear/Gemm layout).
func orientCAMWeights(w *graph.Node, k, numClasses int) (*graph.Node, error) {
	dims := w.Shape().Dimensions
	switch {
	case len(dims) == 2 && dims[0] == k && dims[1] == numClasses:
		return w, nil
	case len(dims) == 2 && dims[0] == numClasses && dims[1] == k:
		return graph.Transpose(w, 0, 1), nil
	}
	return nil, fmt.Errorf("CAM weights have shape %v, but the layer has %d channels and the model %d classes: "+
		"want [%d, %d] (or [%d, %d]); CAM applies to the last conv layer before global average pooling",
		dims, k, numClasses, k, numClasses, numClasses, k)
}
