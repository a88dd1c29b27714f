"""Writes notebooks/01-cam-and-grad-cam.ipynb (run it from the repository root)."""
import nbgen

cells = [
("markdown", r"""
# 01 · CAM and Grad-CAM, step by step

This notebook derives the two founding class-activation-map methods, computes them with
**camviz** on a small GAP-CNN trained on camviz's synthetic localization set, and checks
numerically the identity that ties them together.

**CAM** (Zhou et al., *Learning Deep Features for Discriminative Localization*, CVPR 2016).
Take a network whose last convolutional layer produces K feature maps f_k(x, y), followed by
global average pooling (GAP) and one linear layer:

* GAP: F^k = (1/Z) Σ_{x,y} f_k(x, y), with Z = h·w positions;
* class score: S_c = Σ_k w_k^c F^k + b_c;
* class activation map: **M_c(x, y) = Σ_k w_k^c f_k(x, y)**.

Swapping the two sums gives S_c = (1/Z) Σ_{x,y} M_c(x, y) + b_c: the map *spreads the class
score over the image*, so its bright parts are where the evidence for class c sits.

**Grad-CAM** (Selvaraju et al., *Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization*, ICCV 2017) drops the architectural constraint. For any
differentiable score y^c and any layer's activations A^k:

* channel weights: **α_k^c = (1/Z) Σ_{i,j} ∂y^c / ∂A^k_{ij}** (the gradient, average-pooled);
* map: **L^c = ReLU(Σ_k α_k^c A^k)**.

For a GAP network, ∂y^c/∂A^k_{ij} = w_k^c / Z at every position, so α_k^c = w_k^c / Z and
**Grad-CAM = ReLU(CAM) / (h·w)**: the two coincide at the last conv layer, and Grad-CAM
generalises CAM everywhere else. We check this below to float32 precision.
"""),
("code", r"""
import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/nb"
	"github.com/gomlx/gomlx/core/tensors"
)

// must stops the cell with a clear message if err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
"""),
("markdown", r"""
## The model and the data

`models.LoadShipped("gapcnn")` loads the GAP-CNN that `go run ./examples/quickstart -train
-save testdata/gapcnn` trained (three 3×3 conv blocks with 16, 32 and 64 channels, each with
batch norm and ReLU, max-pooling after the first two, GAP, dense). Its taps are `block1`…`block3`; `block3` is the layer CAM
explains, a 16×16×64 activation for a 64×64 image. The held-out images come from the
synthetic set with a seed the model never saw; each has its class, its box and its mask.
"""),
("code", r"""
%%
m := must(models.LoadShipped("gapcnn"))
fmt.Printf("architecture %s, channels %v, classes %v\n", m.Spec.Arch, m.Spec.Channels, m.Spec.ClassNames)
backend := must(backends.New())
for _, t := range must(camviz.ListTaps(backend, m.Store, m.Fn, 1, 64, 64, 3)) {
	fmt.Println("  tap", t)
}
"""),
("markdown", r"""
## CAM and Grad-CAM side by side

One `Explainer` computes both methods at `block3` in a single graph: one forward pass and
one backward pass from the score down to `block3` only (no parameter gradients). The target
is each image's predicted class (argmax). `Result.Final` post-processes exactly as
pytorch-grad-cam does: ReLU, per-image min-max (x − min)/(1e-7 + max), bilinear resize to
the image. Green is the true box; white is the box of the largest region above 20% of the
normalised map (the threshold Zhou et al. used).
"""),
("code", r"""
%%
m := must(models.LoadShipped("gapcnn"))
backend := must(backends.New())
cfg := datasets.DefaultSyntheticConfig()
cfg.Seed = 2 // held out: training used seed 1
test := must(datasets.Synthetic(cfg, 6))
images, labels, err := datasets.Stack(test)
if err != nil {
	panic(err)
}
ex := must(m.Explainer(backend, []string{"block3"}, camviz.MethodCAM, camviz.MethodGradCAM))
res := must(ex.ExplainFloats(images, []int{len(test), 64, 64, 3}, camviz.ArgmaxTarget()))

grid := &heatmap.Grid{ColLabels: []string{"image", "CAM", "Grad-CAM"}, CellSize: 150}
for i, e := range test {
	img := must(heatmap.ImageFromHWC(e.H, e.W, 3, e.Image, 0, 1))
	row := []image.Image{img}
	for _, meth := range []camviz.Method{camviz.MethodCAM, camviz.MethodGradCAM} {
		final := must(res.Final("block3", meth))[i]
		ov := must(heatmap.Overlay(img, final, heatmap.Jet, 0.5))
		heatmap.DrawBox(ov, e.Box, color.RGBA{0, 220, 0, 255}, 1)
		if boxes := metrics.BoxesFromMap(final, 0.2, false); len(boxes) > 0 {
			heatmap.DrawBox(ov, boxes[0], color.White, 1)
		}
		row = append(row, ov)
	}
	grid.Cells = append(grid.Cells, row)
	grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("%s -> %s", m.ClassName(int(labels[i])), m.ClassName(res.Classes[i])))
}
if err := nb.ShowGrid(grid); err != nil {
	panic(err)
}
"""),
("markdown", r"""
## Grad-CAM = ReLU(CAM) / (h·w), numerically

The raw maps (`Result.Raw`, before ReLU and normalisation) let us check the identity and the
decomposition of the score directly: for every image, max |GradCAM − CAM/(h·w)| should be at
float32 rounding level, and the mean of the CAM map should equal the logit minus the
classifier's bias, S_c − b_c.
"""),
("code", r"""
%%
m := must(models.LoadShipped("gapcnn"))
backend := must(backends.New())
cfg := datasets.DefaultSyntheticConfig()
cfg.Seed = 2
test := must(datasets.Synthetic(cfg, 6))
images, _, _ := datasets.Stack(test)
ex := must(m.Explainer(backend, []string{"block3"}, camviz.MethodCAM, camviz.MethodGradCAM))
res := must(ex.ExplainFloats(images, []int{len(test), 64, 64, 3}, camviz.ArgmaxTarget()))
cams := must(res.Raw("block3", camviz.MethodCAM))
grads := must(res.Raw("block3", camviz.MethodGradCAM))
biases := tensors.MustCopyFlatData[float32](must(m.Store.GetVariable("/classifier/biases").Value()))
for i := range cams {
	area := float64(cams[i].H * cams[i].W)
	var maxDiff, maxCAM, mean float64
	for j, v := range cams[i].Data {
		maxDiff = math.Max(maxDiff, math.Abs(float64(v)/area-float64(grads[i].Data[j])))
		maxCAM = math.Max(maxCAM, math.Abs(float64(v)))
		mean += float64(v) / area
	}
	c := res.Classes[i]
	fmt.Printf("image %d, class %-12s max|GradCAM − CAM/%v| = %.1e (CAM max %.2f)   mean(M_c) = %+.5f, S_c − b_c = %+.5f\n",
		i, m.ClassName(c), area, maxDiff, maxCAM, mean, float64(res.Logits[i][c])-float64(biases[c]))
}
"""),
("markdown", r"""
## Reading the pictures

* Both maps light up the object, not the clutter: the classifier learned shape evidence.
* CAM and Grad-CAM look identical here, as the identity says: at the last conv layer of a GAP
  network they differ only by the positive factor 1/(h·w) (which min-max removes) and the ReLU.
* The maps are 16×16, upsampled to 64×64: each cell covers 4×4 pixels, which is why boxes from
  the maps are a little loose. Earlier layers (`block1`, `block2`) are finer but less
  class-specific; that trade-off is what Grad-CAM lets you explore, and what notebook 03 does
  layer by layer.
"""),
]

nbgen.write("notebooks/01-cam-and-grad-cam.ipynb", cells, min_png_outputs=1)
