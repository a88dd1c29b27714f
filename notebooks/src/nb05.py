"""Writes notebooks/05-evaluating-localization.ipynb (run it from the repository root).

With NB05_MODELS=/some/dir it writes /tmp/05-dev.ipynb instead, loading the models from
that folder (for working on the notebook before the shipped models exist).
"""
import os

import nbgen

DEV = os.environ.get("NB05_MODELS", "")

LOAD = ('must(models.LoadShipped(name))' if not DEV else
        f'must(models.Load("{DEV}/" + name))')

cells = [
("markdown", r"""
# 05 · Evaluating localization: MaxBoxAccV2, PxAP and their limits

A class activation map is often judged by looking at it. This notebook measures instead: it
scores every CAM method of camviz on held-out images whose objects have known boxes and
masks, with the protocol of Choe et al., *Evaluating Weakly Supervised Object Localization
Methods Right* (CVPR 2020), and puts the numbers next to theirs.

**Box accuracy.** Threshold the normalised map at τ, take the box around the foreground,
and count the image as localised when that box overlaps the true box B enough:

* BoxAcc(τ, δ) = (100/N) · |{ i : IoU(box_i(τ), B_i) ≥ δ }|
* **MaxBoxAcc** = max_τ BoxAcc(τ, 0.5), with the box of the largest connected component;
* **MaxBoxAccV2** = mean over δ ∈ {0.3, 0.5, 0.7} of max_τ BoxAcc(τ, δ), with the boxes of
  *all* components (the best one counts).

Choe et al.'s point is the max over τ: the threshold is a hyper-parameter that earlier
papers tuned, often implicitly, on the test set, so comparing methods at one fixed τ says
more about the τ than about the method. Taking the best τ per method removes that confound.
**Top-1 Loc** additionally requires the class to be right.

**PxAP** scores the map pixel by pixel against the object mask: the area under the
precision-recall curve of "pixel ≥ τ is foreground", pooled over the data set; it needs no
box and no threshold.

The paper's numbers for CAM (the method every other one is compared with):

| data set, metric | VGG16 | InceptionV3 | ResNet50 |
| --- | ---: | ---: | ---: |
| ImageNet, MaxBoxAccV2 | 60.0 | 63.4 | 63.7 |
| CUB-200-2011, MaxBoxAccV2 | 63.7 | 56.7 | 63.0 |
| OpenImages30k, PxAP | 58.3 | 63.2 | 58.5 |

**Our setting.** Fashion-MNIST items (Xiao et al. 2017), pasted on 48×48 cluttered colour
canvases (`datasets.FashionMNISTCanvas`: the 28×28 item square resized to 40–90 % of the
side, a random ink colour, background clutter and noise), each with its box and its mask
(the item's non-zero pixels). Two classifiers were trained on training items with
`camviz train -data fmnist-canvas -size 48` and are shipped in `testdata/`: a
GAP-CNN (three conv blocks, global average pooling, one linear layer: the network CAM was
made for) and a small ResNet (a stem and three BasicBlocks, then the same head). The test images are the 200 Fashion-MNIST test items kept in
`testdata/fashion-mnist`, on canvases drawn with a seed the training never saw.

Everything below runs through `camviz/evaluate`: `evaluate.Run(backend, model, examples,
cfg)` explains the images batch by batch (all methods in one graph), feeds the final maps to
camviz/metrics' accumulators, and returns the methods × metrics table; the same table comes
out of `camviz evaluate` as CSV, Markdown and an HTML page.
"""),
("code", r"""
import (
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
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

// check stops the cell if err is set.
func check(err error) {
	if err != nil {
		panic(err)
	}
}

// loadModel loads a model shipped in testdata/.
func loadModel(name string) *models.Model {
	return """ + LOAD + r"""
}

// testSet returns the first n of the 200 Fashion-MNIST test items in testdata, pasted on
// size×size canvases with seed 2 (training used seed 1 and the training items), as
// camviz train and camviz evaluate draw them.
func testSet(size, n int) []datasets.Example {
	dir := filepath.Join(must(models.RepoDir()), "testdata", "fashion-mnist")
	items, labels, err := datasets.LoadFashionMNIST(dir, "t10k", n)
	check(err)
	cfg := datasets.DefaultCanvasConfig()
	cfg.Size, cfg.Seed = size, 2
	return must(datasets.FashionMNISTCanvas(cfg, items, labels))
}

// fastMethods is every method but the two that run one forward pass per channel.
func fastMethods() []camviz.Method {
	var out []camviz.Method
	for _, m := range camviz.Methods() {
		if m != "ScoreCAM" && m != "AblationCAM" {
			out = append(out, m)
		}
	}
	return out
}

// showTable shows a report's table, with a caption.
func showTable(caption string, r *evaluate.Report) {
	check(nb.ShowHTML(fmt.Sprintf("<p><b>%s</b> — %s, %d images, top-1 accuracy %.1f%%</p>%s",
		caption, r.Model, r.Images, r.Accuracy, r.HTMLTable())))
}

// printBestTau prints, per method, the threshold τ at which MaxBoxAcc (δ = 0.5) peaks.
func printBestTau(r *evaluate.Report) {
	fmt.Print("best τ for MaxBoxAcc:")
	for _, row := range r.Rows {
		fmt.Printf("  %s %.2f", row.Method, row.Box.BestTau)
	}
	fmt.Println()
}

// showCharts shows the box accuracy against τ at δ = 0.5 and the pixel precision-recall curves.
func showCharts(r *evaluate.Report) {
	check(nb.ShowImage(must(evaluate.BoxAccuracyChart(r, 0.5))))
	check(nb.ShowImage(must(evaluate.PrecisionRecallChart(r))))
}
"""),
("markdown", r"""
## The data and the models

A few test canvases with their true boxes, then each model's accuracy on the 200 test images
and the layer explained (the last block: where CAM is defined, and the usual Grad-CAM layer).
"""),
("code", r"""
%%
test := testSet(loadModel("resnet-fmnist").Spec.InputSize[0], 200)
check(nb.ShowImage(must(datasets.ContactSheet(test[:12], 12, 2, color.RGBA{0, 220, 0, 255}))))
area := 0.0
for _, e := range test {
	area += float64(e.Box.Dx()*e.Box.Dy()) / float64(e.H*e.W) / float64(len(test))
}
fmt.Printf("%d test images of %dx%d; the object's box covers %.0f%% of the canvas on average\n", len(test), test[0].H, test[0].W, 100*area)
backend := must(backends.New())
for _, name := range []string{"gapcnn-fmnist", "resnet-fmnist"} {
	m := loadModel(name)
	acc := must(m.Accuracy(backend, testSet(m.Spec.InputSize[0], 200)))
	fmt.Printf("%-14s %-7s channels %v, layers %v: top-1 accuracy %.1f%%\n", name, m.Spec.Arch, m.Spec.Channels, m.Layers, 100*acc)
}
"""),
("markdown", r"""
## Two maps that know nothing

Before any method, two baselines that ignore the image: a centred Gaussian (σ = a quarter of
the side), and a map that covers the whole canvas (1 everywhere but one corner pixel, so that
it has a box: the whole image). `evaluate.Accumulator` scores any maps, not only a model's.
On ImageNet such baselines score low because objects are of every size and anywhere; here the
items are large and never cut by the border, so these numbers are the floor to read the
methods against.
"""),
("code", r"""
%%
test := testSet(loadModel("resnet-fmnist").Spec.InputSize[0], 200)
h, w := test[0].H, test[0].W
center, full := heatmap.NewMap(h, w), heatmap.NewMap(h, w)
sigma := float64(w) / 4
for y := 0; y < h; y++ {
	for x := 0; x < w; x++ {
		dx, dy := float64(x)-float64(w-1)/2, float64(y)-float64(h-1)/2
		center.Data[y*w+x] = float32(math.Exp(-(dx*dx + dy*dy) / (2 * sigma * sigma)))
		full.Data[y*w+x] = 1
	}
}
full.Data[0] = 0
r := &evaluate.Report{Model: "no model", Images: len(test), Metrics: evaluate.LocalizationMetrics()}
for _, b := range []struct {
	name string
	m    *heatmap.Map
}{{"centred Gaussian", center}, {"whole image", full}} {
	acc := must(evaluate.NewAccumulator(evaluate.Config{Metrics: r.Metrics}, nil))
	maps, classes, correct := make([]*heatmap.Map, len(test)), make([]int, len(test)), make([]bool, len(test))
	for i := range maps {
		maps[i], classes[i] = b.m, test[i].Label
	}
	check(acc.Update(test, maps, classes, correct))
	row := must(acc.Summary())
	row.Layer, row.Method = "-", camviz.Method(b.name)
	r.Rows = append(r.Rows, row)
}
showTable("Baselines (Top-1 Loc is 0: no classifier)", r)
"""),
("markdown", r"""
## GAP-CNN: every method

The nine gradient and principal-component methods on all 200 images, then Score-CAM and
Ablation-CAM, which run one forward pass per channel of `block3` (64 per image), on the first
48 images, next to CAM and Grad-CAM on the same 48. Maps explain the ground-truth class (the
"GT-known" setting of MaxBoxAcc), τ in steps of 0.01.
"""),
("code", r"""
%%
m := loadModel("gapcnn-fmnist")
test := testSet(m.Spec.InputSize[0], 200)
backend := must(backends.New())
r := must(evaluate.Run(backend, m, test, evaluate.Config{Methods: fastMethods(), Metrics: evaluate.LocalizationMetrics()}))
showTable("GAP-CNN, block3", r)
printBestTau(r)
showCharts(r)
slow := must(evaluate.Run(backend, m, test[:48], evaluate.Config{
	Methods: []camviz.Method{"CAM", "GradCAM", "ScoreCAM", "AblationCAM"}, Metrics: evaluate.LocalizationMetrics()}))
showTable("GAP-CNN, block3, the perturbation methods", slow)
"""),
("markdown", r"""
## ResNet: every method

The same for the ResNet at `layer3.0`, its last block (16×16×64, then global average pooling
and the linear layer, so CAM applies too).
"""),
("code", r"""
%%
m := loadModel("resnet-fmnist")
test := testSet(m.Spec.InputSize[0], 200)
backend := must(backends.New())
r := must(evaluate.Run(backend, m, test, evaluate.Config{Methods: fastMethods(), Metrics: evaluate.LocalizationMetrics()}))
showTable("ResNet, layer3.0", r)
printBestTau(r)
showCharts(r)
slow := must(evaluate.Run(backend, m, test[:48], evaluate.Config{
	Methods: []camviz.Method{"CAM", "GradCAM", "ScoreCAM", "AblationCAM"}, Metrics: evaluate.LocalizationMetrics()}))
showTable("ResNet, layer3.0, the perturbation methods", slow)
"""),
("markdown", r"""
DISCUSSION_LOCALIZATION
"""),
("markdown", r"""
## Faithfulness: do the maps point at what the model uses?

Localization asks whether a map covers the object; faithfulness asks whether the model's
confidence depends on the pixels the map highlights. Average Drop (Chattopadhyay et al.
2018) multiplies the image by the map and measures the relative fall of the class
probability (lower is better); Increase in Confidence counts the images where it rises.
Deletion and insertion (Petsiuk et al. 2018) remove the most salient pixels first (to zero)
or restore them first (onto a blurred copy), and integrate the class probability over the
fraction of pixels changed: a faithful map makes deletion fall fast (low AUC) and insertion
rise fast (high AUC). These need a forward pass per modified image, so this runs on the
ResNet, whose methods differ most, with 16 images and 16-step curves.
"""),
("code", r"""
%%
m := loadModel("resnet-fmnist")
test := testSet(m.Spec.InputSize[0], 16)
backend := must(backends.New())
r := must(evaluate.Run(backend, m, test, evaluate.Config{
	Metrics: []evaluate.Metric{evaluate.AverageDrop, evaluate.IncreaseInConfidence, evaluate.Deletion, evaluate.Insertion},
	CausalSteps: 16}))
showTable("ResNet, layer3.0, faithfulness", r)
check(nb.ShowImage(must(evaluate.CausalChart(r, metrics.Deletion))))
check(nb.ShowImage(must(evaluate.CausalChart(r, metrics.Insertion))))
"""),
("markdown", r"""
DISCUSSION_FAITHFULNESS
"""),
("markdown", r"""
## Sanity check: randomizing the model

Adebayo et al., *Sanity Checks for Saliency Maps* (NeurIPS 2018): if a map is an
explanation *of the model*, destroying the model's weights must change it. The cascading
test randomizes the weights from the top down, one block more at each step (here: the
logits layer, then `layer3.0`, `layer2.0`, `layer1.0`, the stem), recomputes the maps and
compares them with the trained model's by Spearman rank correlation and SSIM
(`evaluate.CascadingRandomization`; the weights of a block are replaced by normal draws with
their trained root-mean-square, on a clone of the model).
"""),
("code", r"""
%%
m := loadModel("resnet-fmnist")
test := testSet(m.Spec.InputSize[0], 16)
backend := must(backends.New())
res := must(evaluate.CascadingRandomization(backend, m, test, evaluate.SanityConfig{
	Methods: []camviz.Method{"CAM", "GradCAM", "GradCAMPlusPlus", "LayerCAM", "EigenCAM"}, Seed: 1}))
check(nb.ShowImage(must(evaluate.SanityChart(res, false))))
fmt.Print(res)
"""),
("markdown", r"""
DISCUSSION_SANITY
"""),
]

DISCUSSION = {
    "DISCUSSION_LOCALIZATION": r"""
## Reading the localization tables

**Four methods are one.** At the last block of a network that ends in global average pooling
and a linear layer, ∂y_c/∂A_k(i, j) = w_k^c / Z at every position. Grad-CAM's channel weights
are then w^c/Z, HiResCAM's Σ_k G_k ⊙ A_k is the same sum, and XGrad-CAM's
Σ_ij G·A / Σ_ij A is w^c/Z again: after min-max normalisation CAM, Grad-CAM, HiResCAM and
XGrad-CAM give identical maps, and the tables show identical rows on both models. Likewise
LayerCAM, Σ_k ReLU(G_k) ⊙ A_k, and Grad-CAM element-wise, Σ_k ReLU(G_k ⊙ A_k), coincide
because the activations after a ReLU are ≥ 0. This part is mathematics, and it transfers to
any GAP network, ImageNet ResNets included.

**Keeping only the positive evidence helps here.** With a constant gradient, LayerCAM and
element-wise Grad-CAM are CAM without the channels whose weight is negative, and Grad-CAM++
weighs channels in a similar, positive way. CAM subtracts the evidence *against* the class,
which carves holes into the object; the positive-only maps cover more of it, and they gain
11 to 17 points of MaxBoxAccV2 and 11 to 14 points of PxAP over CAM on the two models. Eigen-CAM, which does not
look at the class at all, is in between: with one object per image, the main direction of
the activations is "where the object is". Score-CAM and Ablation-CAM, on 48 images, stay
within the noise of CAM or fall below it. Mind the sample size: with 200 images the standard error of a box accuracy
near 50 % is √(0.5·0.5/200) ≈ 3.5 points, so only gaps of 7 points or more mean something,
and the 48-image tables are twice as noisy.

**The best τ differs by method** (the printed thresholds and the peaks of the box-accuracy
curves): this is Choe et al.'s argument for MaxBoxAcc. Fixing one τ for every method (the
0.2 of Zhou et al., say) would favour whichever method happens to peak near it.

**What transfers from the paper, and what does not.** CAM's MaxBoxAccV2 here (about 48 on
both models) and its PxAP (58 to 59) look like the paper's (56.7 to 63.7, and 58.3 to 63.2).
That resemblance is a coincidence, not a reproduction:

* the centred Gaussian, a map that never looks at the image, reaches 42 MaxBoxAccV2 and 55
  PxAP on these canvases, so CAM is only about 6 points (MaxBoxAccV2) and 3 to 4 points
  (PxAP) above the floor. The items are
  large (their box covers 29 % of the canvas on average), there is exactly one per image, and
  it is never cut by the border, which puts it near the centre more often than not;
* the classifiers are small and weak (top-1 accuracy 53.0 % and 54.5 % on the test canvases),
  and Top-1 Loc, which needs the class right, can never exceed the accuracy;
* the maps are 12×12 cells for 48×48 images, so a box edge is uncertain by several pixels;
  ImageNet models explain 7×7 or 14×14 maps of 224-pixel images with objects of every size;
* the pointing game is nearly saturated (about 90 %), and the Gaussian already scores 79 %.

What does carry over is the protocol (threshold sweeps, multi-contour boxes, δ-averaging,
pixel AP pooled over the data set, all as in wsolevaluation), the identities between
methods, and the direction of the positive-evidence effect; the absolute numbers and the
size of the gaps belong to this toy data. Choe et al. make the same kind of point at full
scale: once the threshold is chosen fairly, few WSOL methods beat plain CAM, and a
few-shot baseline with a handful of fully annotated images does better than all of them.
""",
    "DISCUSSION_FAITHFULNESS": r"""
**The faithfulness metrics disagree with each other.** Score-CAM has by far the best Average
Drop and Increase in Confidence, which is how Wang et al. (2020) presented it: it chooses its
channel weights by exactly this kind of masked forward pass. Yet its deletion AUC is the worst
of all, and its insertion AUC the lowest. CAM and its three twins have the best deletion AUC
but a poor Average Drop. Such disagreements are common (Tomsett et al., *Sanity Checks for
Saliency Metrics*, AAAI 2020): multiplying an image by a map, zeroing pixels and blurring them
all create images unlike the training data, and each metric rewards a different kind of map
(smooth and wide for Average Drop, a sharp peak on the decisive pixels for deletion). ROAD
(`evaluate.ROAD`, Rong et al. 2022) replaces removed pixels by a noisy linear imputation to
reduce that effect; it is not in the default metrics because it costs 19 forward passes and 18
sparse solves per image. With 16 images these numbers are only indicative.
""",
    "DISCUSSION_SANITY": r"""
**Which maps depend on the weights they explain?** Randomizing only the logits layer changes
CAM and Grad-CAM at once (Spearman ≈ 0.26): CAM *is* the classifier's weights applied to the
activations, and Grad-CAM's gradient at this layer is the same weights. Grad-CAM++ and LayerCAM
barely move (≈ 0.9): with their positive-only weighting, they mostly follow where the
activations are, whatever the class weights. Eigen-CAM does not depend on the logits at all
(exactly 1: it never looks at them), so it is a picture of `layer3.0`'s activations, not an
explanation of the class. Once `layer3.0` and the blocks below are random, every map loses
its resemblance (Spearman ≈ 0 from `layer2.0` down): all of them depend on the learned
features, so all pass the test at that level. The lesson of Adebayo et al. (2018) carries
over unchanged: agreement with the object (the tables above) and dependence on the model (this
test) are different properties, and a map can have the first without the second.
""",
}
cells = [(kind, DISCUSSION.get(text.strip(), text)) for kind, text in cells]

out = "notebooks/05-evaluating-localization.ipynb" if not DEV else "/tmp/05-dev.ipynb"
nbgen.write(out, cells, min_png_outputs=8)
