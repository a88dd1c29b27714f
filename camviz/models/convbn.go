package models

import (
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// FoldBatchNorm says whether camviz's own models (resnet, vgg with BatchNorm,
// gapcnn) fold each inference batch norm into the convolution before it (see
// convBN). It is read when a graph is built; CAMVIZ_BNFOLD=off turns it off for
// the process. Training graphs never fold.
var FoldBatchNorm = os.Getenv("CAMVIZ_BNFOLD") != "off"

// convBN is conv (kernel W, optional bias b, in convScope) followed by batchNorm
// (in bnScope). At inference batch norm is the per-output-channel affine map
// y = z·s + t with s = γ/√(running_var + ε) and t = β − running_mean·s, so
// (Ioffe & Szegedy 2015, Sec. 3.2; the usual "BN folding" of inference engines)
//
//	BN(conv(x, W) + b) = conv(x, W·s) + (b·s + t)
//
// with W·s scaling W's output-channel axis. The folded form saves the two
// elementwise passes over the convolution's output (multiply by s, add t become
// one add), and when the variables are graph constants (the Go backend) W·s is
// computed once when the graph is built (fastconv.ConstFold), so the kernel stays
// a constant for the convolution's lowering. Both forms compute the same map up to
// float rounding (TestConvBNFoldedMatchesUnfolded), and the gradient w.r.t. x
// flows through conv(·, W·s) as through the unfolded graph; the variables, their
// names, shapes and creation order are the same either way, so checkpoints do not
// change. In training mode (or with FoldBatchNorm off) it is the unfolded
// batchNorm(conv(x)), which updates the running statistics.
func convBN(convScope, bnScope *model.Scope, x *graph.Node, channels, k, stride int, bias bool) *graph.Node {
	g := x.Graph()
	if !FoldBatchNorm || bnScope.IsTraining(g) {
		return batchNorm(bnScope, conv(convScope, x, channels, k, stride, bias))
	}
	w, b := convVariables(convScope, x, channels, k, bias)
	v := newBNVariables(bnScope, x.DType(), channels)
	scale, shift := bnScaleShift(v.gamma.NodeValue(g), v.beta.NodeValue(g), v.mean.NodeValue(g), v.variance.NodeValue(g))
	if b != nil {
		shift = graph.Add(graph.Mul(b, scale), shift)
	}
	y := convolveTorch(x, graph.Mul(w, graph.ExpandLeftToRank(scale, w.Rank())), k, stride)
	return graph.Add(y, graph.ExpandLeftToRank(shift, y.Rank()))
}

// convolveTorch is the convolution of conv: x [batch, h, w, in] with a k×k kernel
// [k, k, in, out], stride on both axes and torch's symmetric padding ⌊k/2⌋.
func convolveTorch(x, w *graph.Node, k, stride int) *graph.Node {
	p := k / 2
	return graph.Convolve(x, w).StridePerAxis(stride, stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}
