package camviz

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
)

// ReLU is max(x, 0), the activation models should use where they want Guided
// Backpropagation and Guided Grad-CAM to work: it is a plain ReLU, except while the
// Explainer (or [WithGuidedReLU]) builds a guided-backpropagation pass of the model in
// x's graph, when it is [GuidedReLU]. Models that use graph.Max, activations.Relu or any
// other ReLU still get every other method, but their guided-backprop maps are plain
// input gradients.
//
// Its gradient is pytorch's: ∂ReLU/∂x = 1 where x > 0 and 0 elsewhere, also at x = 0
// (where graph.Max(x, 0) would pass the gradient); NaN stays NaN in the forward pass.
func ReLU(x *graph.Node) *graph.Node {
	if guidedActive(x.Graph()) {
		return GuidedReLU(x)
	}
	return plainReLU(x)
}

// plainReLU is max(x, 0) with the gradient 1[x > 0]·v.
func plainReLU(x *graph.Node) *graph.Node {
	zero := graph.ZerosLike(x)
	positive := graph.GreaterThan(x, zero)
	return graph.IdentityWithCustomGradient(graph.Max(x, zero), func(_, v *graph.Node) *graph.Node {
		return graph.Where(positive, v, graph.ZerosLike(v))
	})
}

// GuidedReLU is max(x, 0) with the guided-backpropagation gradient of Springenberg et al.,
// "Striving for Simplicity: The All Convolutional Net" (ICLR 2015 workshop), Sec. 3.4:
// the backward pass lets through only positive gradients at positive inputs,
//
//	R_in = 1[x > 0] · 1[R_out > 0] · R_out
//
// exactly pytorch-grad-cam's GuidedBackpropReLU. The forward value is an ordinary ReLU.
// It is built with graph.IdentityWithCustomGradient.
func GuidedReLU(x *graph.Node) *graph.Node {
	positive := graph.GreaterThan(x, graph.ZerosLike(x))
	y := graph.Max(x, graph.ZerosLike(x))
	return graph.IdentityWithCustomGradient(y, func(_, v *graph.Node) *graph.Node {
		keep := graph.LogicalAnd(positive, graph.GreaterThan(v, graph.ZerosLike(v)))
		return graph.Where(keep, v, graph.ZerosLike(v))
	})
}

// guided counts, per graph, the guided passes being built (nesting is allowed).
var guided = struct {
	sync.Mutex
	depth map[*graph.Graph]int
}{depth: map[*graph.Graph]int{}}

func guidedActive(g *graph.Graph) bool {
	guided.Lock()
	defer guided.Unlock()
	return guided.depth[g] > 0
}

// WithGuidedReLU runs build with every [ReLU] created in graph g made a [GuidedReLU]: the
// model function called inside build becomes a guided-backprop copy of the model. ReLUs
// built outside (for example the ordinary pass used by Grad-CAM) keep plain gradients.
func WithGuidedReLU[T any](g *graph.Graph, build func() T) T {
	guided.Lock()
	guided.depth[g]++
	guided.Unlock()
	defer func() {
		guided.Lock()
		if guided.depth[g]--; guided.depth[g] <= 0 {
			delete(guided.depth, g)
		}
		guided.Unlock()
	}()
	return build()
}

// GuidedBackprop returns guided backpropagation (Springenberg et al. 2015): the gradient
// ∂(Σ_batch score)/∂images through a model whose ReLUs are [GuidedReLU]s, one map per
// example, in the images' shape (e.g. [batch, H, W, C]). Build score inside
// [WithGuidedReLU] from a model that uses [ReLU]. Each example's slice is the gradient of
// its own score, as in pytorch-grad-cam's GuidedBackpropReLUModel.
func GuidedBackprop(images, score *graph.Node) *graph.Node {
	return graph.Gradient(graph.ReduceAllSum(score), images)[0]
}

// GuidedGradCAM is Guided Grad-CAM (Selvaraju et al., ICCV 2017, Sec. 3.2): the
// guided-backprop gradients [batch, H, W, C] multiplied, channel by channel, by a class
// activation map at input resolution cam [batch, H, W] (normally the post-processed
// Grad-CAM map in [0, 1], as pytorch-grad-cam's example does: cam_mask * gb):
//
//	GuidedGradCAM[b,y,x,c] = cam[b,y,x] · G[b,y,x,c]
//
// Set channelsFirst for guided gradients laid out [batch, C, H, W].
func GuidedGradCAM(guidedGrads, cam *graph.Node, channelsFirst bool) (*graph.Node, error) {
	gd, cd := guidedGrads.Shape().Dimensions, cam.Shape().Dimensions
	hAxis := 1
	if channelsFirst {
		hAxis = 2
	}
	if len(gd) != 4 || len(cd) != 3 || gd[0] != cd[0] || gd[hAxis] != cd[1] || gd[hAxis+1] != cd[2] {
		return nil, fmt.Errorf("camviz.GuidedGradCAM: guided gradients %v and map %v do not match: want [batch, H, W, C] "+
			"(or [batch, C, H, W] with channelsFirst) and [batch, H, W]; resize the map to the input first", gd, cd)
	}
	m := cam
	if m.DType() != guidedGrads.DType() {
		m = graph.ConvertDType(m, guidedGrads.DType())
	}
	if channelsFirst {
		m = graph.InsertAxes(m, 1)
	} else {
		m = graph.InsertAxes(m, -1)
	}
	return graph.Mul(guidedGrads, m), nil
}
