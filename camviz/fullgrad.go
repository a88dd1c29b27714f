package camviz

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// MethodFullGrad is FullGrad; see [FullGrad].
const MethodFullGrad Method = "FullGrad"

// FullGrad is the full-gradient saliency map (Srinivas & Fleuret, "Full-Gradient
// Representation for Neural Network Visualization", NeurIPS 2019). For a network with
// biases the score splits exactly into an input term and one term per bias,
//
//	y = ∇ₓy · x + Σ_sites Σ_k (∂y/∂b_k) · b_k        (for ReLU/linear networks)
//
// and FullGrad shows every term's spatial distribution. As pytorch-grad-cam HEAD computes
// it (its post-processing, not the paper's plain sum):
//
//	S(m)  = resize(m − min m) / (1e-7 + max(m − min m))   per map, bilinear with
//	        half-pixel centres to the input size H × W (scale_accross_batch_and_channels)
//	raw   = Σ_c S(|x ⊙ ∂y/∂x|_c) + Σ_sites Σ_k S(|b_k · ∂y/∂z_k|)
//
// where c runs over the input's colour channels and, at every bias site z = f(·) + b (a
// convolution's output, or an inference batch norm's with b = β − μγ/√(σ² + ε)), ∂y/∂z_k is
// the gradient at channel k's positions. The minimum is subtracted before dividing, so
// each term lies in [0, 1). raw is at the input's size, [batch, H, W], and ≥ 0.
//
// images and inputGrads are channels-last [batch, H, W, C]; each site gives its bias [K]
// and the gradient at its output [batch, h, w, K]. The sites are the model's
// [BiasTap]s; with none, FullGrad is the scaled |x ⊙ ∂y/∂x| alone. It is a whole-model
// method: it ignores Config.Layers.
func FullGrad(images, inputGrads *graph.Node, sites []BiasSite) (*graph.Node, error) {
	id := images.Shape().Dimensions
	if len(id) != 4 || !inputGrads.Shape().Equal(images.Shape()) {
		return nil, fmt.Errorf("camviz.FullGrad: images %v and input gradients %v: want both [batch, H, W, C]",
			id, inputGrads.Shape().Dimensions)
	}
	bigH, bigW := id[1], id[2]
	scaled := func(m *graph.Node) (*graph.Node, error) {
		return ResizeMaps(MinMaxMaps(m), bigH, bigW, false)
	}
	input, err := scaled(graph.Abs(graph.Mul(images, inputGrads)))
	if err != nil {
		return nil, err
	}
	raw := graph.ReduceSum(input, 3)
	for _, s := range sites {
		d := s.Grads.Shape().Dimensions
		if len(d) != 4 || s.Bias.Rank() != 1 || s.Bias.Shape().Dimensions[0] != d[3] {
			return nil, fmt.Errorf("camviz.FullGrad: bias site %q has bias %v and output gradient %v: want [K] and "+
				"[batch, h, w, K] (declare 4-D outputs with camviz.BiasTap)", s.Name, s.Bias.Shape().Dimensions, d)
		}
		b := graph.Reshape(graph.ConvertDType(s.Bias, s.Grads.DType()), 1, 1, 1, d[3])
		term, err := scaled(graph.Abs(graph.Mul(b, s.Grads)))
		if err != nil {
			return nil, err
		}
		raw = graph.Add(raw, graph.ConvertDType(graph.ReduceSum(term, 3), raw.DType()))
	}
	return raw, nil
}

// Names of FullGrad's extra outputs ([Result.Extra]), one value per example.
const (
	FullGradInputTotal = "input_total" // Σ x ⊙ ∂y/∂x
	FullGradBiasTotal  = "bias_total"  // Σ_sites Σ_k b_k · Σ_positions ∂y/∂z_k
)

// FullGradTotals returns the two sides of FullGrad's completeness, per example [batch]:
// the input term Σ x ⊙ ∂y/∂x and the bias term Σ_sites Σ_k b_k·Σ_ij ∂y/∂z_k(i,j), before
// any absolute value or scaling. For a network of ReLUs, max pooling, convolutions,
// linear layers and inference batch norms, y = input + bias + (biases not declared with
// [BiasTap], e.g. the classifier's), exactly (Srinivas & Fleuret 2019, Eq. 2); for a
// bias-free linear model, y = input.
func FullGradTotals(images, inputGrads *graph.Node, sites []BiasSite) (input, bias *graph.Node) {
	input = graph.ReduceSum(graph.Mul(images, inputGrads), 1, 2, 3)
	bias = graph.ZerosLike(input)
	for _, s := range sites {
		perChannel := graph.ReduceSum(s.Grads, 1, 2) // [batch, K]
		b := graph.InsertAxes(graph.ConvertDType(s.Bias, perChannel.DType()), 0)
		bias = graph.Add(bias, graph.ConvertDType(graph.ReduceSum(graph.Mul(perChannel, b), 1), input.DType()))
	}
	return input, bias
}

var fullGradMethod = mustRegister(MethodDef{
	Name:  MethodFullGrad,
	Needs: Needs{WholeModel: true, InputGradient: true, BiasGradients: true},
	Compute: func(in *Inputs) (Outputs, error) {
		if in.ImagesNHWC == nil {
			return Outputs{}, fmt.Errorf("FullGrad needs 4-D images [batch, H, W, C] (or [batch, C, H, W] with "+
				"Config.ChannelsFirst), got %v", in.Images.Shape().Dimensions)
		}
		raw, err := FullGrad(in.ImagesNHWC, in.InputGrads, in.Biases)
		if err != nil {
			return Outputs{}, err
		}
		inputTotal, biasTotal := FullGradTotals(in.ImagesNHWC, in.InputGrads, in.Biases)
		return Outputs{Raw: raw, Extra: map[string]*graph.Node{
			FullGradInputTotal: inputTotal, FullGradBiasTotal: biasTotal}}, nil
	},
})
