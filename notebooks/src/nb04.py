"""Writes notebooks/04-onnx-models.ipynb (run from the repository root); then execute it with
`go run ./kernels/run -inplace notebooks/04-onnx-models.ipynb`."""
import sys

sys.path.insert(0, "notebooks/src")
import nbgen  # noqa: E402

cells = [
("markdown", r"""
# 04 · Explaining ONNX models

Most classifiers worth explaining were trained elsewhere, usually in PyTorch. They reach Go
as ONNX files (`torch.onnx.export`), which **camviz** reads with
[onnx-gomlx](https://github.com/gomlx/onnx-gomlx): the ONNX graph is rebuilt as a GoMLX
graph, so camviz's methods run on it unchanged, with autodiff for the gradient methods.

`models.LoadONNX(path)` returns a `models.Model` like the zoo's, with three differences:

* **Every node output is a tap**, named by its ONNX output name. PyTorch's exporter names
  them after the modules: the ReLU module `relu2` gives `/relu2/Relu_output_0`. A leading `/`
  is dropped in the tap name (GoMLX would read it as an absolute alias path), and
  `Model.Explainer` accepts either spelling.
* **Layout.** ONNX models from PyTorch take images `[N, C, H, W]` and their activations are
  `[N, K, h, w]`; the model carries `ChannelsFirst = true` and the Explainer transposes the
  activations to channels-last for the methods.
* **CAM's weights** are the initializer of the last `Gemm` (or `MatMul`) feeding the logits,
  a PyTorch `Linear` weight `[numClasses, K]`; camviz orients it by shape.

Methods that re-run part of the network with a modified activation (Ablation-CAM) work too:
`camviz.ReplaceTap` makes the model re-run the ONNX graph from that node output on.

We use the reference model of camviz's test data: "model A", a small GAP-CNN
(conv-ReLU ×2, max-pool, conv-ReLU, GAP, linear; seeded weights, untrained) exported from
PyTorch, with the maps pytorch-grad-cam v1.5.5 computed for it (`testdata/reference`).
"""),
("code", r"""
import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/nb"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/camviz/camviz/camviz/preprocess"
)

// must stops the cell with a clear message if err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// refPath is a file of the pytorch-grad-cam reference for model A.
func refPath(parts ...string) string {
	root := must(models.RepoDir())
	return filepath.Join(append([]string{root, "testdata", "reference", "model_a"}, parts...)...)
}

// nchwPicture turns image i of an [N, 3, H, W] array into a picture, min-max scaled.
func nchwPicture(a *npy.Array, i int) image.Image {
	c, h, w := a.Shape[1], a.Shape[2], a.Shape[3]
	x := a.Data[i*c*h*w : (i+1)*c*h*w]
	hwc := make([]float32, len(x))
	lo, hi := x[0], x[0]
	for k := range c {
		for p := range h * w {
			v := x[k*h*w+p]
			hwc[p*c+k] = v
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return must(heatmap.ImageFromHWC(h, w, c, hwc, lo, hi))
}

// errors returns max |got − want| and max |got − want| / max |want|.
func errors(got, want []float32) (abs, rel float64) {
	scale := 0.0
	for i := range got {
		abs = math.Max(abs, math.Abs(float64(got[i])-float64(want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return abs, abs / scale
}

func flat(maps []*heatmap.Map) []float32 {
	var out []float32
	for _, m := range maps {
		out = append(out, m.Data...)
	}
	return out
}
"""),
("markdown", r"""
## Loading the model and listing its layers

`LoadONNX` parses the file, loads the initializers into a GoMLX store (scope `ONNX`) and
builds the graph once for a batch of one, so unsupported operators would be reported here.
`Model.Taps` lists every tap with its shape in graph order; `Model.Layers` keeps the 4-D ones,
the activations CAM methods can explain. The graph outputs are `logits` and
`target_activation` (the exporter's name for relu3's output, the layer pytorch-grad-cam
explained).
"""),
("code", r"""
%%
m := must(models.LoadONNX(refPath("model_a.onnx")))
fmt.Printf("arch %s, input %v (channels first: %v), %d classes, CAM weights %q\n",
	m.Spec.Arch, m.InputDims(1), m.ChannelsFirst, m.Spec.NumClasses, m.CAMWeights)
backend := must(backends.New())
for _, t := range must(m.Taps(backend)) {
	mark := " "
	for _, l := range m.Layers {
		if l == t.Name {
			mark = "*"
		}
	}
	fmt.Printf("  %s %-32s %v\n", mark, t.Name, t.Shape)
}
"""),
("markdown", r"""
## Grad-CAM and CAM on the ONNX graph

The input is 0.2·N(0, 1) noise with a bright square (+1.5) in rows 6–13, columns 18–25. We
explain class 3 (the raw logit, as pytorch-grad-cam's `ClassifierOutputTarget(3)`) at two
layers in one Explain call: `target_activation` (relu3, 16×16) and `/relu2/Relu_output_0`
(relu2, 32×32, before the max-pool). CAM needs the classifier's weights, so it applies only
at relu3, the layer right before global average pooling.

`Result.Final` post-processes as pytorch-grad-cam: minmax(resize(minmax(relu(raw)))); the
last column aggregates both layers as the library does for several target layers (mean of
the per-layer maps, min-max again).
"""),
("code", r"""
%%
m := must(models.LoadONNX(refPath("model_a.onnx")))
backend := must(backends.New())
in := must(npy.ReadFile(refPath("input_nchw.npy")))
layers := []string{"target_activation", "/relu2/Relu_output_0"}
grad := must(must(m.Explainer(backend, layers, camviz.MethodGradCAM)).ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3)))
cam := must(must(m.Explainer(backend, layers[:1], camviz.MethodCAM)).ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3)))
fmt.Printf("predicted class %d, explained class %d (logit %.5f)\n",
	models.Argmax(grad.Logits[0]), grad.Classes[0], grad.Scores[0])

pic := nchwPicture(in, 0)
overlay := func(maps []*heatmap.Map) image.Image { return must(heatmap.Overlay(pic, maps[0], heatmap.Jet, 0.5)) }
grid := &heatmap.Grid{
	ColLabels: []string{"input", "Grad-CAM relu3", "Grad-CAM relu2", "CAM relu3", "Grad-CAM relu2+relu3"},
	CellSize:  160,
	Cells: [][]image.Image{{
		pic,
		overlay(must(grad.Final("target_activation", camviz.MethodGradCAM))),
		overlay(must(grad.Final(m.LayerName(layers[1]), camviz.MethodGradCAM))),
		overlay(must(cam.Final("target_activation", camviz.MethodCAM))),
		overlay(must(grad.FinalMultiLayer([]string{"target_activation", m.LayerName(layers[1])}, camviz.MethodGradCAM))),
	}},
}
if err := nb.ShowGrid(grid); err != nil {
	panic(err)
}
"""),
("markdown", r"""
The model is untrained, so "class 3" means nothing semantically; what the maps show is where
the class-3 logit's evidence sits. The bright square dominates every activation, hence the
maps. relu2 is finer (32×32) and its gradient, unlike relu3's, varies over space (through
the max-pool and relu3), which is why Grad-CAM there differs from a blurred CAM.

## Against pytorch-grad-cam

The same numbers, compared with the reference files: the logits, then Grad-CAM's raw maps
(`Result.Raw`, before ReLU and normalisation, at the layer's resolution), channel weights and
final maps at both layers, and CAM at relu3. Raw maps and weights are compared relative to
their largest value, finals in absolute terms (they lie in [0, 1]).
"""),
("code", r"""
%%
m := must(models.LoadONNX(refPath("model_a.onnx")))
backend := must(backends.New())
in := must(npy.ReadFile(refPath("input_nchw.npy")))
layers := map[string]string{"target_activation": "relu3", "relu2/Relu_output_0": "relu2"}
grad := must(must(m.Explainer(backend, []string{"target_activation", "relu2/Relu_output_0"}, camviz.MethodGradCAM)).
	ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3)))
cam := must(must(m.Explainer(backend, []string{"target_activation"}, camviz.MethodCAM)).
	ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3)))

abs, rel := errors(grad.Logits[0], must(npy.ReadFile(refPath("logits.npy"))).Data)
fmt.Printf("%-34s max |Δ| %.1e, relative %.1e\n", "logits", abs, rel)
check := func(res *camviz.Result, layer string, meth camviz.Method) {
	ref := fmt.Sprintf("outputs/%s/%s_cls3_", layers[layer], meth)
	raw := flat(must(res.Raw(layer, meth)))
	_, rawRel := errors(raw, must(npy.ReadFile(refPath(ref+"raw.npy"))).Data)
	finalAbs, _ := errors(flat(must(res.Final(layer, meth))), must(npy.ReadFile(refPath(ref+"final.npy"))).Data)
	line := fmt.Sprintf("%-14s at %-6s raw rel %.1e   final abs %.1e", meth, layers[layer], rawRel, finalAbs)
	if w, err := res.Weights(layer, meth); err == nil && meth != camviz.MethodCAM {
		_, wRel := errors(w[0], must(npy.ReadFile(refPath(ref+"weights.npy"))).Data)
		line += fmt.Sprintf("   weights rel %.1e", wRel)
	}
	fmt.Println(line)
}
check(grad, "target_activation", camviz.MethodGradCAM)
check(grad, "relu2/Relu_output_0", camviz.MethodGradCAM)
check(cam, "target_activation", camviz.MethodCAM)
"""),
("markdown", r"""
Every difference is at float32 rounding level (the tests require raw maps within 1e-5
relative and finals within 1e-4). At relu3, ∂y/∂A is spatially constant, W_fc[3, k]/(16·16),
because the head is GAP → Linear, so Grad-CAM's raw map is exactly CAM/256: the two rows above
carry the same picture.

## The whole family, from one ONNX graph

Every method camviz offers, at both layers, in one Explain call, against the reference. The
Eigen methods project on a principal component whose sign the SVD leaves free, so they are
compared with the reference or its sign flip; Score-CAM and Ablation-CAM are ill-conditioned
on this untrained model (a nearly flat softmax; a division by a small logit), so the reference
allows them 1e-3. Ablation-CAM re-runs the ONNX graph from the layer on, once per channel
(64 and 32 passes here), through `camviz.ReplaceTap`.
"""),
("code", r"""
%%
m := must(models.LoadONNX(refPath("model_a.onnx")))
backend := must(backends.New())
in := must(npy.ReadFile(refPath("input_nchw.npy")))
layers := map[string]string{"target_activation": "relu3", "relu2/Relu_output_0": "relu2"}
var methods []camviz.Method
for _, meth := range camviz.Methods() {
	if meth != camviz.MethodCAM {
		methods = append(methods, meth)
	}
}
res := must(must(m.Explainer(backend, []string{"target_activation", "relu2/Relu_output_0"}, methods...)).
	ExplainFloats(in.Data, in.Shape, camviz.ClassTarget(3)))
fmt.Printf("%-20s %-6s %12s %12s\n", "method", "layer", "raw rel", "final abs")
for _, meth := range methods {
	for _, layer := range []string{"target_activation", "relu2/Relu_output_0"} {
		ref := fmt.Sprintf("outputs/%s/%s_cls3_", layers[layer], meth)
		raw := flat(must(res.Raw(layer, meth)))
		final := flat(must(res.Final(layer, meth)))
		_, rawRel := errors(raw, must(npy.ReadFile(refPath(ref+"raw.npy"))).Data)
		finalAbs, _ := errors(final, must(npy.ReadFile(refPath(ref+"final.npy"))).Data)
		if strings.HasPrefix(string(meth), "Eigen") {
			neg := make([]float32, len(raw))
			for i, v := range raw {
				neg[i] = -v
			}
			_, negRel := errors(neg, must(npy.ReadFile(refPath(ref+"raw.npy"))).Data)
			flipAbs, _ := errors(final, must(npy.ReadFile(refPath(ref+"final_signflip.npy"))).Data)
			rawRel, finalAbs = math.Min(rawRel, negRel), math.Min(finalAbs, flipAbs)
		}
		fmt.Printf("%-20s %-6s %12.1e %12.1e\n", meth, layers[layer], rawRel, finalAbs)
	}
}
"""),
("markdown", r"""
## Your own model: score, layer, preprocessing, labels

A model you bring needs four decisions, and camviz makes each from what the file says,
printing what it chose (the README's "Your own model" section has the export call):

* **Score** — the tensor whose entries are the class scores: the graph output named `logits`,
  else the first float `[N, C]` output, or the input of a final Softmax/Sigmoid (Grad-CAM wants
  pre-activation scores); `models.LoadONNXOptions(path, models.ONNXOptions{Score: name})` takes
  any node output instead. `Model.ScoreTensor` says which one is used and what it is.
* **Layer** — `Model.DefaultLayer`: the last activation with spatial extent on the path to the
  scores before the global pooling (torchcam's rule, restricted to that path), where
  pytorch-grad-cam's documentation puts the target layer of the usual CNNs.
* **Preprocessing** — `Model.Preprocessing(preprocess.Request{...})` resolves size, RGB/BGR,
  pixel range and mean/std from the request (flags or a preset), what the model file states
  (`Model.Input`) and the defaults; the plan prints each setting with its reason and
  `Plan.Apply` turns a picture into the model's input.
* **Labels** — `labels.Choose(file, m.Spec.ClassNames, m.Spec.NumClasses)`: a label file, else
  the names the model carries, else the ImageNet-1k names bundled with camviz for a 1000-class
  model; `labels.TopK` gives the top-k with softmax probabilities.

**A note on the model.** camviz ships no pretrained ImageNet classifier (no third-party weights
of that size are committed), so the cells below run the workflow on model A — untrained, 10
unnamed classes, 32×32 input — with a real photograph, scikit-image's `chelsea.png` (CC0,
Stefan van der Walt; Debian's `python3-skimage`). Its "prediction" means nothing; the steps
are what a pretrained model goes through unchanged, and there they print names such as
"tabby" or "Egyptian cat" (the CLI tests check that chain on a torch-exported 1000-class model
against torch's own numbers).
"""),
("code", r"""
%%
m := must(models.LoadONNXOptions(refPath("model_a.onnx"), models.ONNXOptions{}))
backend := must(backends.New())
score, what := m.ScoreTensor()
fmt.Printf("scores: %s (%s), %d classes\n", score, what, m.Spec.NumClasses)
fmt.Printf("default layer: %s\n", must(m.DefaultLayer(backend)))
names := must(labels.Choose("", m.Spec.ClassNames, m.Spec.NumClasses))
fmt.Printf("labels: %s\n", names.Source)
"""),
("code", r"""
%%
// chelsea.png from Debian's python3-skimage (CC0).
photo := "/usr/lib/python3/dist-packages/skimage/data/chelsea.png"
if _, err := os.Stat(photo); err != nil {
	panic("the photograph comes with Debian's scikit-image: apt-get install -y python3-skimage")
}
m := must(models.LoadONNXOptions(refPath("model_a.onnx"), models.ONNXOptions{}))
backend := must(backends.New())
plan := must(m.Preprocessing(preprocess.Request{Preset: preprocess.PresetImageNet}))
fmt.Println(plan)
rgb := must(datasets.LoadImage(photo, plan.Height, plan.Width)) // [H, W, 3] RGB in [0, 1]
x := must(plan.Apply(rgb, m.ChannelsFirst))

layer := must(m.DefaultLayer(backend))
ex := must(m.Explainer(backend, []string{layer}, camviz.MethodGradCAM))
res := must(ex.ExplainFloats(x, m.InputDims(1), camviz.ArgmaxTarget()))
names := must(labels.Choose("", m.Spec.ClassNames, m.Spec.NumClasses))
for i, p := range labels.TopK(names, res.Logits[0], 5) {
	fmt.Printf("top-%d: %v\n", i+1, p)
}

pic := must(heatmap.ImageFromHWC(plan.Height, plan.Width, 3, rgb, 0, 1))
final := must(res.Final(layer, camviz.MethodGradCAM))[0]
over := must(heatmap.Overlay(pic, final, heatmap.Jet, 0.5))
grid := &heatmap.Grid{Title: "Grad-CAM at " + layer, CellSize: 192,
	ColLabels: []string{"photograph (32x32)", "explained: " + names.Name(res.Classes[0])},
	Cells:     [][]image.Image{{pic, over}}}
must(0, nb.ShowGrid(grid))
"""),
("markdown", r"""
## From the command line

The same explanation, without writing Go, with the `camviz` command (`camviz/cmd/camviz`; `go install ./camviz/cmd/camviz`):

```
camviz layers --model testdata/reference/model_a/model_a.onnx
camviz explain --model testdata/reference/model_a/model_a.onnx \
    --input testdata/reference/model_a/input_nchw.npy \
    --layer target_activation --layer /relu2/Relu_output_0 \
    --method gradcam --method hirescam --class 3 --raw --out /tmp/model_a
```

`explain` writes `<layer>/<Method>.npy` (the final maps), `<Method>_raw.npy` (with `--raw`),
PNG overlays, the multi-layer aggregate in `multilayer/`, and an `index.html` that shows them
all. Without `--layer` it explains the default layer. `--input` also takes a PNG or JPEG,
preprocessed as above (`--preset imagenet|none`, `--size`, `--bgr`, `--range`, `--mean`,
`--std`; the command prints the plan), and the command prints each image's top-5 with names
(`--labels FILE`, the model's own, or ImageNet-1k for 1000 classes); `--class` takes a name:

```
camviz explain --model my.onnx --input photo.jpg --method gradcam --preset imagenet --class tabby --out /tmp/photo
```
"""),
]

nbgen.write("notebooks/04-onnx-models.ipynb", cells, min_png_outputs=1)
