package camviz

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// ResizeMaps resizes maps bilinearly inside the graph, so the result stays
// differentiable: x is [batch, h, w] or [batch, h, w, K] (spatial axes 1 and 2), the
// result has the same layout at size outH × outW.
//
// With alignCorners false it is OpenCV's INTER_LINEAR (torch align_corners=False, the
// resize pytorch-grad-cam applies to every map):
//
//	src = (d + 0.5)·(in/out) − 0.5, clamped to [0, in−1]
//
// With alignCorners true it is torch's nn.UpsamplingBilinear2d (align_corners=True, the
// upsampling of Score-CAM's masks): src = d·(in−1)/(out−1), 0 when out = 1.
// Each axis is a product with a constant [out, in] interpolation matrix whose rows hold
// the weights (1−f) and f of the two neighbours.
func ResizeMaps(x *graph.Node, outH, outW int, alignCorners bool) (*graph.Node, error) {
	d := x.Shape().Dimensions
	if (len(d) != 3 && len(d) != 4) || outH <= 0 || outW <= 0 {
		return nil, fmt.Errorf("camviz.ResizeMaps: maps %v to %dx%d: want [batch, h, w] or [batch, h, w, K] and a positive size", d, outH, outW)
	}
	if !x.DType().IsFloat() {
		return nil, fmt.Errorf("camviz.ResizeMaps: maps are %s; want a float type", x.DType())
	}
	if d[1] == outH && d[2] == outW {
		return x, nil
	}
	g := x.Graph()
	ry := interpolationMatrix(g, x.DType(), d[1], outH, alignCorners)
	rx := interpolationMatrix(g, x.DType(), d[2], outW, alignCorners)
	if len(d) == 3 {
		t := graph.Einsum("Yh,bhw->bYw", ry, x)
		return graph.Einsum("bYw,Xw->bYX", t, rx), nil
	}
	t := graph.Einsum("Yh,bhwk->bYwk", ry, x)
	return graph.Einsum("bYwk,Xw->bYXk", t, rx), nil
}

// interpolationMatrix returns the [out, in] bilinear interpolation weights along one axis.
func interpolationMatrix(g *graph.Graph, dtype dtypes.DType, in, out int, alignCorners bool) *graph.Node {
	m := make([]float64, out*in)
	for dst := 0; dst < out; dst++ {
		var src float64
		if alignCorners {
			if out > 1 {
				src = float64(dst) * float64(in-1) / float64(out-1)
			}
		} else {
			src = max((float64(dst)+0.5)*float64(in)/float64(out)-0.5, 0)
		}
		i0 := min(int(math.Floor(src)), in-1)
		f := src - float64(i0)
		if i0 >= in-1 {
			i0, f = in-1, 0
		}
		i1 := min(i0+1, in-1)
		m[dst*in+i0] += 1 - f
		m[dst*in+i1] += f
	}
	c := graph.Const(g, m)
	return graph.ConvertDType(graph.Reshape(c, out, in), dtype)
}

// MinMaxMaps is pytorch-grad-cam's per-image normalisation (scale_cam_image) in the graph,
// for maps [batch, h, w]:
//
//	x ← x − min(x);  x ← x / (1e-7 + max(x))
//
// An all-zero or constant map stays all zero (never NaN). It is differentiable (min and
// max pass their gradient to the extreme elements).
func MinMaxMaps(x *graph.Node) *graph.Node {
	lo := graph.ReduceAndKeep(x, graph.ReduceMin, 1, 2)
	shifted := graph.Sub(x, lo)
	hi := graph.ReduceAndKeep(shifted, graph.ReduceMax, 1, 2)
	return graph.Div(shifted, graph.AddScalar(hi, 1e-7))
}

// FinalMaps post-processes raw maps [batch, h, w] in the graph exactly as [Result.Final]
// and pytorch-grad-cam do, keeping them differentiable:
//
//	final = minmax(resize(minmax(relu(raw))))
//
// with the half-pixel bilinear resize to outH × outW (skipped when the size is already
// right). Use it to build losses on explanations (e.g. a penalty on the map outside a
// mask) or in-graph Guided Grad-CAM.
func FinalMaps(raw *graph.Node, outH, outW int) (*graph.Node, error) {
	if raw.Rank() != 3 {
		return nil, fmt.Errorf("camviz.FinalMaps: raw maps have shape %v; want [batch, h, w]", raw.Shape().Dimensions)
	}
	x := MinMaxMaps(plainReLU(raw))
	x, err := ResizeMaps(x, outH, outW, false)
	if err != nil {
		return nil, err
	}
	return MinMaxMaps(x), nil
}
