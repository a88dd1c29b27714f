package camviz

import (
	"fmt"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// GuidedMap is one example's input-resolution, multi-channel map (guided backpropagation,
// Guided Grad-CAM), in the images' layout: H×W×C values channels-last, or C×H×W with
// ChannelsFirst.
type GuidedMap struct {
	H, W, C       int
	ChannelsFirst bool
	Data          []float32
}

// At returns the value at row y, column x, channel c.
func (g *GuidedMap) At(y, x, c int) float32 {
	if g.ChannelsFirst {
		return g.Data[(c*g.H+y)*g.W+x]
	}
	return g.Data[(y*g.W+x)*g.C+c]
}

// Deprocess maps the values to [0, 1] for display as pytorch-grad-cam's deprocess_image
// does (before its final uint8 conversion): x ← (x − mean)/(std + 1e-5)·0.1 + 0.5,
// clipped to [0, 1], with the mean and (population) standard deviation over all values.
func (g *GuidedMap) Deprocess() []float32 {
	n := float64(len(g.Data))
	var mean, sq float64
	for _, v := range g.Data {
		mean += float64(v)
	}
	mean /= n
	for _, v := range g.Data {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	std := math.Sqrt(sq / n)
	out := make([]float32, len(g.Data))
	for i, v := range g.Data {
		x := (float64(v)-mean)/(std+1e-5)*0.1 + 0.5
		out[i] = float32(min(max(x, 0), 1))
	}
	return out
}

// GuidedBackprop returns the guided-backpropagation gradients (Springenberg et al. 2015)
// of each example's score with respect to its input image, computed by the guided copy
// of the model that Config.GuidedBackprop adds (see [GuidedReLU]).
func (r *Result) GuidedBackprop() ([]*GuidedMap, error) {
	if r.guided == nil {
		return nil, fmt.Errorf("camviz: the result has no guided backpropagation: set Config.GuidedBackprop " +
			"(and build the model's ReLUs with camviz.ReLU)")
	}
	d := r.InputDims
	if len(d) != 4 {
		return nil, fmt.Errorf("camviz: guided maps need 4-D images, got %v", d)
	}
	h, w := r.InputSize()
	c := d[3]
	if r.channelsFirstInput {
		c = d[1]
	}
	n := h * w * c
	out := make([]*GuidedMap, d[0])
	for b := range out {
		out[b] = &GuidedMap{H: h, W: w, C: c, ChannelsFirst: r.channelsFirstInput,
			Data: append([]float32(nil), r.guided[b*n:(b+1)*n]...)}
	}
	return out, nil
}

// GuidedGradCAM returns Guided Grad-CAM (Selvaraju et al., ICCV 2017): the guided
// backpropagation of each example multiplied, channel by channel, by its final map of
// the layer × method (Final: post-processed, at input resolution, in [0, 1]), as
// pytorch-grad-cam's example computes cam_mask * gb. Any method's map can guide.
func (r *Result) GuidedGradCAM(layer string, m Method) ([]*GuidedMap, error) {
	finals, err := r.Final(layer, m)
	if err != nil {
		return nil, err
	}
	return r.GuidedWith(finals)
}

// GuidedWith multiplies the guided backpropagation by the given input-resolution maps,
// one per example (for instance FinalMultiLayer's).
func (r *Result) GuidedWith(maps []*heatmap.Map) ([]*GuidedMap, error) {
	gb, err := r.GuidedBackprop()
	if err != nil {
		return nil, err
	}
	if len(maps) != len(gb) {
		return nil, fmt.Errorf("camviz: %d maps for %d examples", len(maps), len(gb))
	}
	for b, g := range gb {
		m := maps[b]
		if m.H != g.H || m.W != g.W {
			return nil, fmt.Errorf("camviz: map %d is %dx%d but the images are %dx%d: resize it to the input first", b, m.H, m.W, g.H, g.W)
		}
		for y := 0; y < g.H; y++ {
			for x := 0; x < g.W; x++ {
				v := m.Data[y*g.W+x]
				for c := 0; c < g.C; c++ {
					if g.ChannelsFirst {
						g.Data[(c*g.H+y)*g.W+x] *= v
					} else {
						g.Data[(y*g.W+x)*g.C+c] *= v
					}
				}
			}
		}
	}
	return gb, nil
}
