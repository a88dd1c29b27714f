package models

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Batch normalization constants of PyTorch's BatchNorm2d defaults, so that ported
// weights give the same numbers.
const (
	bnEpsilon  = 1e-5
	bnMomentum = 0.1
)

// batchNorm is batch normalization (Ioffe & Szegedy, "Batch Normalization: Accelerating
// Deep Network Training by Reducing Internal Covariate Shift", ICML 2015) on channels-last
// activations x [batch, h, w, C], with PyTorch BatchNorm2d's semantics and variable names
// (in scope: "weight" γ, "bias" β, "running_mean", "running_var"):
//
//	inference:  y = (x − running_mean) / √(running_var + ε) · γ + β
//	training:   y = (x − μ_B) / √(σ²_B + ε) · γ + β
//	            running_mean ← (1 − m)·running_mean + m·μ_B
//	            running_var  ← (1 − m)·running_var  + m·σ²_B·n/(n − 1)
//
// with ε = 1e-5, m = 0.1, μ_B and σ²_B the per-channel mean and biased variance over the
// n = batch·h·w values of the batch. Training mode is the scope's (GoMLX's trainer sets
// it), and gradients flow through μ_B and σ²_B as in PyTorch. The running statistics are
// variables updated in the training graph (not trainable), so the trainer stores their new
// values after every step and checkpoints keep them.
//
// GoMLX's own norm.BatchNorm differs on purpose here: Keras defaults (ε = 1e-3,
// momentum 0.99), biased running variance, no gradient through the batch statistics,
// and a debiased moving average; a PyTorch model ported to it would not give the same
// numbers.
func batchNorm(scope *model.Scope, x *graph.Node) *graph.Node {
	g := x.Graph()
	c := x.Shape().Dimensions[x.Rank()-1]
	v := newBNVariables(scope, x.DType(), c)
	gamma, beta := v.gamma.NodeValue(g), v.beta.NodeValue(g)
	mean, variance := v.mean.NodeValue(g), v.variance.NodeValue(g)
	if scope.IsTraining(g) {
		axes := make([]int, x.Rank()-1)
		for i := range axes {
			axes[i] = i
		}
		n := x.Shape().Size() / c
		mean = graph.ReduceMean(x, axes...)
		variance = graph.ReduceMean(graph.Square(graph.Sub(x, graph.ExpandLeftToRank(mean, x.Rank()))), axes...)
		m := bnMomentum
		unbiased := 1.0
		if n > 1 {
			unbiased = float64(n) / float64(n-1)
		}
		v.mean.SetNodeValue(graph.Add(graph.MulScalar(v.mean.NodeValue(g), 1-m), graph.MulScalar(graph.StopGradient(mean), m)))
		v.variance.SetNodeValue(graph.Add(graph.MulScalar(v.variance.NodeValue(g), 1-m),
			graph.MulScalar(graph.StopGradient(variance), m*unbiased)))
	}
	scale, shift := bnScaleShift(gamma, beta, mean, variance)
	return graph.Add(graph.Mul(x, graph.ExpandLeftToRank(scale, x.Rank())), graph.ExpandLeftToRank(shift, x.Rank()))
}

// bnVariables are batch norm's variables in its scope, with PyTorch's names.
type bnVariables struct {
	gamma, beta, mean, variance *model.Variable
}

// newBNVariables creates (or finds) the variables of a batch norm over c channels
// in scope: "weight" γ (initialised to 1), "bias" β (0), and the untrained
// "running_mean" (0) and "running_var" (1), in this order.
func newBNVariables(scope *model.Scope, dtype dtypes.DType, c int) bnVariables {
	varShape := shapes.Make(dtype, c)
	return bnVariables{
		gamma:    scope.WithInitializer(initializer.One).VariableWithShape("weight", varShape),
		beta:     scope.WithInitializer(initializer.Zero).VariableWithShape("bias", varShape),
		mean:     scope.WithInitializer(initializer.Zero).VariableWithShape("running_mean", varShape).SetTrainable(false),
		variance: scope.WithInitializer(initializer.One).VariableWithShape("running_var", varShape).SetTrainable(false),
	}
}

// bnScaleShift returns batch norm's per-channel affine map y = x·scale + shift:
// scale = γ/√(var + ε), shift = β − mean·scale.
func bnScaleShift(gamma, beta, mean, variance *graph.Node) (scale, shift *graph.Node) {
	scale = graph.Div(gamma, graph.Sqrt(graph.AddScalar(variance, bnEpsilon)))
	shift = graph.Sub(beta, graph.Mul(mean, scale))
	return scale, shift
}
