package fastconv

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// gradBuildable reports whether GoMLX can build the gradient graph of c (its
// convolution VJP panics for some paddings and layouts, on any backend).
func gradBuildable(c convCase) bool {
	out, err := c.outShape()
	if err != nil {
		return false
	}
	e, err := graph.NewExec(native(), func(in []*graph.Node) []*graph.Node {
		loss := graph.ReduceAllSum(graph.Mul(c.conv(in[0], in[1]), in[2]))
		return graph.Gradient(loss, in[0], in[1])
	})
	if err != nil {
		return false
	}
	defer e.Finalize()
	_, err = e.Compile(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...), out)
	return err == nil
}

// wantGradConvs is the number of ConvGeneral ops GoMLX builds for the forward
// conv plus its two gradients: 1 + 2, or 1 + 2·G with groups (the gradient
// splits channel or batch groups into G plain convolutions of each kind).
func wantGradConvs(c convCase) int64 {
	g := max(c.channelGroups, c.batchGroups, 1)
	return 1 + 2*int64(g)
}

// TestGradientsNamed compares the forward conv and the gradients of Σ y·w
// w.r.t. input and kernel (via graph.Gradient) with the native backend, and
// checks every one of the convolutions in that graph was lowered.
func TestGradientsNamed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range namedCases() {
		if !gradBuildable(c) {
			t.Logf("forward only (GoMLX has no gradient for it): %s", c.name)
			continue // Input dilation, negative or large paddings, odd layouts.
		}
		s := compareConv(t, rng, c, true, 1e-4)
		if s.Lowered != wantGradConvs(c) || s.Fallback != 0 {
			t.Errorf("%s: stats = %+v, want %d lowered and no fallback", c, s, wantGradConvs(c))
		}
	}
}

func TestGradientsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 60 {
		c := randomCase(rng, true)
		for !gradBuildable(c) {
			c = randomCase(rng, true)
		}
		s := compareConv(t, rng, c, true, 1e-4)
		if s.Lowered != wantGradConvs(c) || s.Fallback != 0 {
			t.Errorf("%s: stats = %+v, want %d lowered and no fallback", c, s, wantGradConvs(c))
		}
	}
}
