package camviz

import (
	"fmt"

	"github.com/camviz/camviz/camviz/heatmap"
)

// RefineCAMBase is RefineCAM's default base method in pytorch-grad-cam HEAD.
const RefineCAMBase = MethodGradCAMPlusPlus

// FinalRefine is RefineCAM (pytorch-grad-cam HEAD's multi-layer meta-method, "works very
// well for denoising early layers' attribution maps"; arXiv:2605.14641): the element-wise
// product of a base method's final maps at several layers, rescaled,
//
//	final = minmax(Π_l Final_l),   minmax(x) = (x − min x) / (1e-7 + max(x − min x))
//
// where Final_l is [Result.Final] of the base method at layer l (ReLU, min-max, resize to
// the input) and the product runs over layers in the given order, in float32, as the
// library computes it. A position survives only where every layer finds it salient, so
// the sharp but noisy early layers are cleaned by the coarse late ones. The library's
// default base is Grad-CAM++ ([RefineCAMBase]); the Explainer must have computed base at
// every layer. With Config.AugSmooth each Final_l is the augmentation average.
func (r *Result) FinalRefine(layers []string, base Method) ([]*heatmap.Map, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("camviz: RefineCAM needs at least one layer")
	}
	var prod []*heatmap.Map
	for _, l := range layers {
		finals, err := r.Final(l, base)
		if err != nil {
			return nil, fmt.Errorf("camviz: RefineCAM over %s: %w", base, err)
		}
		if prod == nil {
			prod = finals
			continue
		}
		for b, f := range finals {
			for i, v := range f.Data {
				prod[b].Data[i] *= v
			}
		}
	}
	for b := range prod {
		prod[b] = heatmap.MinMax(prod[b])
	}
	return prod, nil
}
