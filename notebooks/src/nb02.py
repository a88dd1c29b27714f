"""Writes notebooks/02-method-gallery.ipynb (run it from the repository root).

    python3 notebooks/src/nb02.py [output.ipynb [model-dir]]

A model folder other than testdata/gapcnn (e.g. a quick one from camviz train) can be
given for development; the saved notebook always uses models.LoadShipped("gapcnn").
"""
import sys

import nbgen

out = sys.argv[1] if len(sys.argv) > 1 else "notebooks/02-method-gallery.ipynb"
load = 'models.LoadShipped("gapcnn")' if len(sys.argv) <= 2 else f'models.Load("{sys.argv[2]}")'

cells = [
("markdown", r"""
# 02 · The CAM family, side by side

Every method camviz implements, on the same images, at every layer of the GAP-CNN trained
on camviz's synthetic shapes: what each computes, where the maps differ and why, and what
each costs on this machine. Notation: A_k is channel k of the tapped layer's activations
(h×w positions, K channels, Z = h·w), y^c the target score (the class logit) and
G_k = ∂y^c/∂A_k its gradient.

| method | raw map, in one line | paper |
| --- | --- | --- |
| CAM | M = Σ_k w_k^c A_k, w^c the classifier's weights of class c (needs conv → GAP → linear) | Zhou et al., *Learning Deep Features for Discriminative Localization*, CVPR 2016 |
| Grad-CAM | α_k = (1/Z) Σ_ij G_k(i,j), M = Σ_k α_k A_k | Selvaraju et al., *Grad-CAM*, ICCV 2017 |
| HiResCAM | M = Σ_k G_k ⊙ A_k (no spatial averaging of the gradient) | Draelos & Carin, *Use HiResCAM instead of Grad-CAM…*, arXiv:2011.08891, 2020 |
| XGrad-CAM | w_k = Σ_ij G_k A_k / Σ_ij A_k, M = Σ_k w_k A_k | Fu et al., *Axiom-based Grad-CAM*, BMVC 2020 |
| Grad-CAM++ | a_k(i,j) = G²/(2G² + Σ_ab A_k(a,b)·G³), w_k = Σ_ij ReLU(G_k)·a_k, M = Σ_k w_k A_k | Chattopadhyay et al., *Grad-CAM++*, WACV 2018 |
| LayerCAM | M = Σ_k ReLU(G_k) ⊙ A_k | Jiang et al., *LayerCAM*, IEEE TIP 2021 |
| Grad-CAM element-wise | M = Σ_k ReLU(G_k ⊙ A_k) | pytorch-grad-cam's variant of Selvaraju et al. |
| Eigen-CAM | M = A·v₁, v₁ the first principal axis of the centred (h·w)×K activations | Muhammad & Yeasin, *Eigen-CAM*, IJCNN 2020 |
| EigenGrad-CAM | M = the first-principal-component projection of G ⊙ A | pytorch-grad-cam |
| Score-CAM | s_k = y^c(x ⊙ minmax(upsample(A_k))), w = softmax(s), M = Σ_k w_k A_k | Wang et al., *Score-CAM*, CVPR Workshops 2020 |
| Ablation-CAM | w_k = (y^c − y^c with A_k ablated) / y^c, M = Σ_k w_k A_k | Desai & Ramaswamy, *Ablation-CAM*, WACV 2020 |

Every map is then post-processed as pytorch-grad-cam does (`Result.Final`): ReLU, per-image
min-max, bilinear resize to the image. The exact constants (the ε guards, Score-CAM's mask
normalisation, Ablation-CAM's ablation value) are in each function's doc comment in
`camviz`.
"""),
("code", r"""
import (
	"fmt"
	"image"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/nb"
)

// must stops the cell with a clear message if err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// layers are the GAP-CNN's taps: block1 (64×64×16), block2 (32×32×32), block3 (16×16×64).
var layers = []string{"block1", "block2", "block3"}

// columns are the methods in the gallery's order, with short labels for the grid.
var columns = []struct {
	M     camviz.Method
	Label string
}{
	{camviz.MethodCAM, "CAM"}, {camviz.MethodGradCAM, "Grad-CAM"}, {camviz.MethodHiResCAM, "HiResCAM"},
	{camviz.MethodXGradCAM, "XGrad-CAM"}, {camviz.MethodGradCAMPlusPlus, "Grad-CAM++"},
	{camviz.MethodLayerCAM, "LayerCAM"}, {camviz.MethodGradCAMElementWise, "GC elem."},
	{camviz.MethodEigenGradCAM, "EigenGrad"}, {camviz.MethodEigenCAM, "Eigen-CAM"},
	{camviz.MethodScoreCAM, "Score-CAM"}, {camviz.MethodAblationCAM, "Ablation"},
}

// backend runs the graphs: the pure-Go backend unless GOMLX_BACKEND says otherwise.
var backend = must(backends.New())

// setup loads the trained GAP-CNN and n held-out synthetic images (seed 2;
// the model was trained on seed 1) as one batch [n, 64, 64, 3] and as pictures.
func setup(n int) (*models.Model, []datasets.Example, []float32, []image.Image) {
	m := must(LOAD)
	cfg := datasets.DefaultSyntheticConfig()
	cfg.Seed = 2
	test := must(datasets.Synthetic(cfg, n))
	images, _, err := datasets.Stack(test)
	if err != nil {
		panic(err)
	}
	var pics []image.Image
	for _, e := range test {
		pics = append(pics, must(heatmap.ImageFromHWC(e.H, e.W, 3, e.Image, 0, 1)))
	}
	return m, test, images, pics
}

// methodLayers is where a method is computed: CAM only at block3, the one layer whose
// channels the classifier weighs directly; every other method at all three layers.
func methodLayers(meth camviz.Method) []string {
	if meth == camviz.MethodCAM {
		return []string{"block3"}
	}
	return layers
}

// explainAll runs two Explainers for the target: CAM at block3, and every other method
// at every layer (one graph: one forward pass, one backward pass to block1, the
// perturbation passes of Score-CAM and Ablation-CAM).
func explainAll(m *models.Model, images []float32, n int, target camviz.Target) (cam, others *camviz.Result) {
	var rest []camviz.Method
	for _, c := range columns[1:] {
		rest = append(rest, c.M)
	}
	dims := []int{n, 64, 64, 3}
	cam = must(must(m.Explainer(backend, []string{"block3"}, camviz.MethodCAM)).ExplainFloats(images, dims, target))
	others = must(must(m.Explainer(backend, layers, rest...)).ExplainFloats(images, dims, target))
	return cam, others
}

// pick returns the result that holds a method.
func pick(cam, others *camviz.Result, meth camviz.Method) *camviz.Result {
	if meth == camviz.MethodCAM {
		return cam
	}
	return others
}

// runnerUp returns each example's second-highest class.
func runnerUp(logits [][]float32) []int {
	out := make([]int, len(logits))
	for i, l := range logits {
		idx := make([]int, len(l))
		for j := range idx {
			idx[j] = j
		}
		sort.Slice(idx, func(a, b int) bool { return l[idx[a]] > l[idx[b]] })
		out[i] = idx[1]
	}
	return out
}

// relDiff returns max|a − b| / max|b| over all positions of all examples.
func relDiff(a, b []*heatmap.Map, scaleA float64) float64 {
	var diff, ref float64
	for i := range a {
		for j, v := range a[i].Data {
			diff = math.Max(diff, math.Abs(scaleA*float64(v)-float64(b[i].Data[j])))
			ref = math.Max(ref, math.Abs(float64(b[i].Data[j])))
		}
	}
	return diff / ref
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
""".replace("LOAD", load)),
("markdown", r"""
## The model and the images

The GAP-CNN (`models.LoadShipped("gapcnn")`, made by `camviz train -arch gapcnn
-data synthetic`) has three 3×3 conv blocks with batch norm and ReLU, max-pooling after the
first two, global average pooling and one dense layer. The taps are the blocks' ReLU outputs,
so every activation A is ≥ 0. The images are held out (synthetic seed 2).
"""),
("code", r"""
%%
m, test, _, _ := setup(3)
fmt.Printf("classes %v\n", m.Spec.ClassNames)
for _, t := range must(camviz.ListTaps(backend, m.Store, m.Fn, 1, 64, 64, 3)) {
	fmt.Println("  tap", t)
}
for i, e := range test {
	fmt.Printf("image %d: a %s\n", i+1, m.ClassName(e.Label))
}
"""),
("markdown", r"""
## The gallery: layers × methods

Each row is one image at one layer, each column one method's final map (jet colormap: blue
0, red 1), explaining the predicted class (argmax); CAM exists only at `block3`. The maps are
shown alone, side by side, to compare their shapes; the explorer further down blends them
over the images.
"""),
("code", r"""
%%
m, test, images, pics := setup(2)
cam, others := explainAll(m, images, len(test), camviz.ArgmaxTarget())
grid := &heatmap.Grid{CellSize: 96, ColLabels: []string{"image"}}
for _, c := range columns {
	grid.ColLabels = append(grid.ColLabels, c.Label)
}
for i := range test {
	for _, l := range layers {
		row := []image.Image{pics[i]}
		for _, c := range columns {
			finals, err := pick(cam, others, c.M).Final(l, c.M)
			if err != nil { // CAM below block3
				row = append(row, nil)
				continue
			}
			row = append(row, heatmap.Colorize(finals[i], heatmap.Jet))
		}
		grid.Cells = append(grid.Cells, row)
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("%d %s", i+1, l))
	}
	fmt.Printf("image %d: true %s, predicted %s (logit %.2f)\n", i+1, m.ClassName(test[i].Label),
		m.ClassName(others.Classes[i]), others.Scores[i])
}
if err := nb.ShowGrid(grid); err != nil {
	panic(err)
}
"""),
("markdown", r"""
## Where they agree, exactly, and where they cannot

Some columns above look alike at `block3` and different at `block1`. The algebra says which,
and the raw maps (`Result.Raw`, before ReLU and normalisation) confirm it to float32 rounding:

* **At the last conv layer before a GAP head the gradient is spatially constant.** With
  y^c = Σ_k w_k^c · (1/Z) Σ_ij A_k(i,j) + b_c, G_k(i,j) = w_k^c / Z at every position. Then
  Grad-CAM's α_k = w_k^c/Z, so **Grad-CAM = CAM / Z**; **HiResCAM** = Σ_k (w_k^c/Z) A_k **=
  Grad-CAM**; XGrad-CAM's w_k = (w_k^c/Z)·Σ A_k/(Σ A_k + 1e-7) ≈ w_k^c/Z, so **XGrad-CAM ≈
  Grad-CAM**. Below `block3` the gradient flows back through pooling and convolutions, varies
  over space, and HiResCAM (which keeps it per position) departs from Grad-CAM (which averages it).
* **LayerCAM = Grad-CAM element-wise wherever A ≥ 0**: ReLU(G)·A = ReLU(G·A) when A ≥ 0, and
  the taps are ReLU outputs. Both drop the negative evidence that Grad-CAM subtracts.
* **Eigen-CAM is class-agnostic**: it sees only the activations, so its map is the same
  whichever class is explained, while Grad-CAM's changes with the class (compare the argmax with
  the runner-up class). EigenGrad-CAM brings the class back through G.
"""),
("code", r"""
%%
m, test, images, _ := setup(3)
cam, others := explainAll(m, images, len(test), camviz.ArgmaxTarget())
_, second := explainAll(m, images, len(test), camviz.ClassTarget(runnerUp(others.Logits)...))
raw := func(r *camviz.Result, l string, meth camviz.Method) []*heatmap.Map { return must(r.Raw(l, meth)) }
z := float64(16 * 16)
fmt.Printf("%-46s %-7s %s\n", "identity (raw maps, all 3 images)", "layer", "max|a − b| / max|b|")
row := func(what, l string, v float64) { fmt.Printf("%-46s %-7s %.1e\n", what, l, v) }
row("Grad-CAM = CAM / (h·w)", "block3", relDiff(raw(cam, "block3", camviz.MethodCAM), raw(others, "block3", camviz.MethodGradCAM), 1/z))
row("HiResCAM = Grad-CAM", "block3", relDiff(raw(others, "block3", camviz.MethodHiResCAM), raw(others, "block3", camviz.MethodGradCAM), 1))
row("XGrad-CAM ≈ Grad-CAM", "block3", relDiff(raw(others, "block3", camviz.MethodXGradCAM), raw(others, "block3", camviz.MethodGradCAM), 1))
for _, l := range layers {
	row("LayerCAM = Grad-CAM element-wise", l, relDiff(raw(others, l, camviz.MethodLayerCAM), raw(others, l, camviz.MethodGradCAMElementWise), 1))
}
row("Eigen-CAM(argmax) = Eigen-CAM(runner-up)", "block3", relDiff(raw(others, "block3", camviz.MethodEigenCAM), raw(second, "block3", camviz.MethodEigenCAM), 1))
fmt.Println("\nand where they must differ:")
for _, l := range layers[:2] {
	row("HiResCAM vs Grad-CAM", l, relDiff(raw(others, l, camviz.MethodHiResCAM), raw(others, l, camviz.MethodGradCAM), 1))
}
row("Grad-CAM(argmax) vs Grad-CAM(runner-up)", "block3", relDiff(raw(others, "block3", camviz.MethodGradCAM), raw(second, "block3", camviz.MethodGradCAM), 1))
"""),
("markdown", r"""
Reading the gallery with that in mind:

* **At `block3` every method finds the object**, and four columns (CAM, Grad-CAM, HiResCAM,
  XGrad-CAM) are the same picture: one map up to a positive factor, which min-max removes.
  Grad-CAM++, LayerCAM and Grad-CAM element-wise keep only positive gradients, so they drop the
  channels that argue *against* the class: their blobs are rounder and fill more of the object.
* **At `block1` and `block2` the maps become edge maps**: finer (64×64 and 32×32 cells instead
  of 16×16) but less class-specific, since early channels respond to edges and colour
  contrasts wherever they are. Three things light up: the object's outline, the clutter's
  lines, and the frame of the image (zero padding makes the border an edge for every
  convolution). Grad-CAM weighs each channel by its gradient *averaged over the image*, so an
  edge channel is switched on everywhere at once, clutter included (image 2, `block1`).
  HiResCAM, LayerCAM and element-wise keep the gradient per position, which is large only
  where later layers look, so they trace the object's outline and little else.
* **Eigen-CAM** shows the activations' main direction of variance, whatever the class: at
  `block3` the object (it dominates the layer), below it a part of an edge or the frame. It is
  a check of what the layer sees, not an explanation of a decision.
* **Score-CAM and Ablation-CAM** use no gradient: they measure how the score moves when the
  image is masked by a channel (Score-CAM) or a channel is removed (Ablation-CAM). At `block1`
  Score-CAM fills the whole square of image 1, because a channel that covers the square
  (its colour) keeps the score when everything else is masked out. They are the most direct
  about the score, and by far the most expensive, as the next section shows.
"""),
("markdown", r"""
## What each method costs here

Each method gets its own Explainer over the three layers (CAM: `block3`) and explains the same
3 images: the first call builds and compiles the graph, the later calls only run it (five
rounds that call every method once, so that load changes hit all alike; the table gives the
median per batch of 3, per image, and as a multiple of Grad-CAM's). Gradient methods cost one forward pass and one backward pass down to the deepest tapped
layer; Eigen-CAM adds a principal-component solve per layer; Score-CAM runs K forward passes
per layer and image (K = 16 + 32 + 64 = 112 masked images each), Ablation-CAM K partial
passes (from the ablated layer on). Timings are wall-clock on this machine's CPU, with the
pure-Go backend, and vary with its load.
"""),
("code", r"""
%%
m, test, images, _ := setup(3)
dims := []int{len(test), 64, 64, 3}
type cost struct {
	label  string
	first  time.Duration   // build + compile + run
	runs   []time.Duration // later calls
	passes string
}
channels := 0
for _, t := range must(camviz.ListTaps(backend, m.Store, m.Fn, 1, 64, 64, 3)) {
	if strings.HasPrefix(t.Name, "block") {
		channels += t.Shape[3] // K of block1, block2, block3
	}
}
costs := make([]cost, len(columns))
var explainers []*camviz.Explainer
for i, c := range columns {
	ex := must(m.Explainer(backend, methodLayers(c.M), c.M))
	start := time.Now()
	must(ex.ExplainFloats(images, dims, camviz.ArgmaxTarget()))
	explainers = append(explainers, ex)
	passes := "1 forward + 1 backward"
	switch c.M {
	case camviz.MethodCAM:
		passes = "1 forward"
	case camviz.MethodEigenCAM:
		passes = "1 forward + PCA per layer"
	case camviz.MethodEigenGradCAM:
		passes = "1 forward + 1 backward + PCA per layer"
	case camviz.MethodScoreCAM:
		passes = fmt.Sprintf("1 + %d forward", channels)
	case camviz.MethodAblationCAM:
		passes = fmt.Sprintf("1 forward + %d partial", channels)
	}
	costs[i] = cost{label: c.Label, first: time.Since(start), passes: passes}
}
// Later calls in rounds, every method once per round, so that the machine's load
// changes hit all methods alike; the median of the rounds is kept.
for range 5 {
	for i, ex := range explainers {
		start := time.Now()
		must(ex.ExplainFloats(images, dims, camviz.ArgmaxTarget()))
		costs[i].runs = append(costs[i].runs, time.Since(start))
	}
}
for i := range costs {
	sort.Slice(costs[i].runs, func(a, b int) bool { return costs[i].runs[a] < costs[i].runs[b] })
}
median := func(c cost) time.Duration { return c.runs[len(c.runs)/2] }
gradCAM := ms(median(costs[1]))
fmt.Printf("%-11s %11s %11s %10s %9s   %s\n", "method", "first call", "later call", "per image", "×Grad-CAM", "passes per image")
for _, c := range costs {
	fmt.Printf("%-11s %9.0fms %9.1fms %8.1fms %9.1f   %s\n", c.label, ms(c.first), ms(median(c)), ms(median(c))/float64(len(test)),
		ms(median(c))/gradCAM, c.passes)
}

"""),
("markdown", r"""
## Explore: image × layer × method × class

The same maps in one interactive output (`nb.Explorer`): pick an image and a method with the
buttons, slide through the layers, and switch between the predicted class and the runner-up.
Every picture is embedded in the cell, and the switching is done by a few lines of JavaScript
in the page, so it works in the saved notebook and its HTML export without a running kernel.
Try Eigen-CAM with both classes (identical), then Grad-CAM (not).
"""),
("code", r"""
%%
m, test, images, pics := setup(3)
camTop, top := explainAll(m, images, len(test), camviz.ArgmaxTarget())
second := runnerUp(top.Logits)
camSecond, others := explainAll(m, images, len(test), camviz.ClassTarget(second...))
ex := nb.NewExplorer("GAP-CNN on held-out synthetic images: every method at every layer")
if err := ex.SetOrder("layer", layers...); err != nil {
	panic(err)
}
var names []string
for _, c := range columns {
	names = append(names, string(c.M))
}
if err := ex.SetOrder("method", names...); err != nil {
	panic(err)
}
examples := []string{"image 1", "image 2", "image 3"}
for _, r := range []struct {
	class string
	res   []*camviz.Result
}{{"predicted", []*camviz.Result{camTop, top}}, {"runner-up", []*camviz.Result{camSecond, others}}} {
	for _, res := range r.res {
		opt := nb.ResultOptions{Images: pics, Examples: examples, Class: r.class, ClassNames: m.Spec.ClassNames}
		if err := ex.AddResult(res, opt); err != nil {
			panic(err)
		}
	}
}
fmt.Printf("%d views, %s\n", ex.Len(), strings.Join(ex.Values("layer"), " → "))
if err := nb.ShowExplorer(ex); err != nil {
	panic(err)
}
"""),
("markdown", r"""
## Guided backpropagation and Guided Grad-CAM

With `Config.GuidedBackprop` the Explainer adds a copy of the model whose ReLUs pass back only
positive gradients where the input was positive (Springenberg et al., *Striving for
Simplicity*, ICLR Workshops 2015): a sharp, input-resolution but class-insensitive picture of
the edges that raise the score. Multiplying it by a Grad-CAM map gives Guided Grad-CAM
(Selvaraju et al. 2017): sharp *and* class-discriminative. Both are shown as
pytorch-grad-cam's `deprocess_image` does (standardised, ×0.1, +0.5).
"""),
("code", r"""
%%
m, test, images, pics := setup(2)
cfg := m.Config([]string{"block3"}, camviz.MethodGradCAM)
cfg.GuidedBackprop = true
ex := must(camviz.NewExplainer(backend, m.Store, m.Fn, cfg))
res := must(ex.ExplainFloats(images, []int{len(test), 64, 64, 3}, camviz.ArgmaxTarget()))
gb := must(res.GuidedBackprop())
ggc := must(res.GuidedGradCAM("block3", camviz.MethodGradCAM))
finals := must(res.Final("block3", camviz.MethodGradCAM))
grid := &heatmap.Grid{CellSize: 112, ColLabels: []string{"image", "Grad-CAM", "guided backprop", "Guided Grad-CAM"}}
for i := range test {
	grid.Cells = append(grid.Cells, []image.Image{pics[i],
		must(heatmap.Overlay(pics[i], finals[i], heatmap.Jet, 0.5)),
		must(heatmap.ImageFromHWC(64, 64, 3, gb[i].Deprocess(), 0, 1)),
		must(heatmap.ImageFromHWC(64, 64, 3, ggc[i].Deprocess(), 0, 1))})
	grid.RowLabels = append(grid.RowLabels, m.ClassName(res.Classes[i]))
}
if err := nb.ShowGrid(grid); err != nil {
	panic(err)
}
"""),
]

nbgen.write(out, cells, min_png_outputs=100)
