package models

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GAPCNNSpec returns the spec of the GAP-CNN that camviz trains on its synthetic set:
// three 3×3 conv blocks (16, 32, 64 channels) with batch norm and ReLU, max-pooling after
// the first two, then global average pooling and a dense classifier (Zhou et al., CVPR
// 2016, Sec. 2).
func GAPCNNSpec(h, w, c, numClasses int) Spec {
	return Spec{Arch: "gapcnn", Channels: []int{16, 32, 64}, NumClasses: numClasses, InputSize: [3]int{h, w, c}, Seed: 1}
}

func init() {
	RegisterArch("gapcnn", Arch{Build: buildGAPCNN,
		Doc: "conv3×3+ReLU blocks (max-pool 2 after all but the last) → global average pool → dense (CAM-ready)"})
}

// buildGAPCNN is the GAP-CNN of Zhou et al. (2016): blocks of conv 3×3 (same padding),
// batch norm and ReLU, a 2×2 max-pool after every block but the last, then
//
//	logits_c = Σ_k w_k^c · mean_xy f_k(x,y) + b_c
//
// so that CAM applies at the last block, tapped "block<N>". The dense kernel is tapped
// "classifier/weights" for CAM.
func buildGAPCNN(spec Spec) (camviz.ModelFn, []string, string, error) {
	if len(spec.Channels) == 0 {
		return nil, nil, "", fmt.Errorf("Channels is empty: give the channels of each conv block")
	}
	layers := make([]string, len(spec.Channels))
	for i := range spec.Channels {
		layers[i] = fmt.Sprintf("block%d", i+1)
	}
	fn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		for i, ch := range spec.Channels {
			s := scope.At("%s", layers[i])
			x = relu(convBN(s, s.At("bn"), x, ch, 3, 1, false))
			x = camviz.Tap(x, layers[i])
			if i < len(spec.Channels)-1 {
				x = graph.MaxPool(x).Window(2).Done()
			}
		}
		return gapDense(scope.At("classifier"), x, spec.NumClasses)
	}
	return fn, layers, "classifier/weights", nil
}

// conv is a k×k convolution with stride and PyTorch-style symmetric padding (k/2 per side).
func conv(scope *model.Scope, x *graph.Node, channels, k, stride int, bias bool) *graph.Node {
	w, b := convVariables(scope, x, channels, k, bias)
	y := convolveTorch(x, w, k, stride)
	if b != nil {
		y = graph.Add(y, graph.ExpandLeftToRank(b, y.Rank()))
	}
	return y
}

// convVariables returns the values of conv's variables in scope for input x: "weights"
// [k, k, in, channels] and, if bias, "biases" [channels] (else nil).
func convVariables(scope *model.Scope, x *graph.Node, channels, k int, bias bool) (w, b *graph.Node) {
	g := x.Graph()
	in := x.Shape().Dimensions[x.Rank()-1]
	w = scope.VariableWithShape("weights", shapes.Make(x.DType(), k, k, in, channels)).NodeValue(g)
	if bias {
		b = scope.VariableWithShape("biases", shapes.Make(x.DType(), channels)).NodeValue(g)
	}
	return w, b
}

// gapDense is global average pooling followed by a dense layer whose kernel is tapped
// "classifier/weights".
func gapDense(scope *model.Scope, x *graph.Node, numClasses int) *graph.Node {
	g := x.Graph()
	pooled := graph.ReduceMean(x, 1, 2)
	k := pooled.Shape().Dimensions[1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), k, numClasses)).NodeValue(g)
	w = camviz.Tap(w, "classifier/weights")
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), numClasses)).NodeValue(g)
	return graph.Add(graph.MatMul(pooled, w), graph.ExpandLeftToRank(b, 2))
}

// relu is camviz.ReLU: max(x, 0), swappable for guided backpropagation.
func relu(x *graph.Node) *graph.Node { return camviz.ReLU(x) }
