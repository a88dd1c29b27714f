package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/camviz/camviz/camviz/backends"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
)

const explainUsage = `Usage: camviz explain --model FILE --input FILE [--layer NAME...]
                      --method NAME [--method NAME...] --out DIR [flags]

Explains the model's prediction for the input with every method at every layer, in one
pass, and writes, for layer L and method M (L' is L with every character outside
[A-Za-z0-9._-] replaced by _):

  DIR/L'/M.npy        final maps [N,H,W] float32, post-processed as pytorch-grad-cam:
                      minmax(resize(minmax(relu(raw)))) at the input size
  DIR/L'/M_raw.npy    raw maps [N,h,w] at the layer's resolution (with --raw)
  DIR/L'/M.png        the final maps over the input (one image per example, side by side)
  DIR/multilayer/M.*  the multi-layer aggregate, when several --layer are given
  DIR/index.html      all of it on one self-contained page

Without --layer, the default layer is explained: the last activation with spatial extent
before the global pooling that feeds the scores ("camviz layers" marks it).

--input is a PNG/JPEG picture or a float32 .npy array in the model's own layout
([N,C,H,W] for ONNX models, [N,H,W,C] for zoo models), fed as it is. A picture is resized
(--size), its channels ordered (--bgr), scaled to --range (0-1 or 0-255), then
(x - mean)/std per channel. Each setting comes from its flag, else --preset, else what
the model file states, else the default (RGB, 0-1, mean 0, std 1, the model's size); the
command prints what it applied and why. torchvision ImageNet models want --preset imagenet.

Classes are named by --labels FILE (one name per line, a JSON list, or {"0": "name"}),
else by the names the model carries, else, for 1000 classes, by the ImageNet-1k names
bundled with camviz. The command prints each image's top-5 classes with their softmax
probabilities. --class takes an index or a name (exact, then ignoring case, then a unique
prefix).

Methods (case-insensitive; "all" for every one): ` + "%s" + `

Flags:
`

type explainFlags struct {
	model, inputPath, out, colormap string
	layers, methods                 stringList
	class, labels, score            string
	argmax, raw                     bool
	alpha                           float64
	input                           inputOptions
}

func runExplain(args []string, stdout io.Writer) error {
	names := make([]string, 0)
	for _, m := range camviz.Methods() {
		names = append(names, string(m))
	}
	fs := newFlagSet("explain", fmt.Sprintf(explainUsage, strings.Join(names, ", ")), stdout)
	var f explainFlags
	fs.StringVar(&f.model, "model", "", "ONNX file or camviz model folder (required)")
	fs.StringVar(&f.inputPath, "input", "", "PNG/JPEG image or float32 .npy array in the model's layout (required)")
	fs.Var(&f.layers, "layer", "layer to explain, as listed by \"camviz layers\" (repeatable; default: the last spatial\n"+
		"activation before the global pooling)")
	fs.Var(&f.methods, "method", "CAM method (repeatable; required), e.g. gradcam")
	fs.StringVar(&f.class, "class", "", "explain this class for every example: an index or a class name")
	fs.StringVar(&f.score, "score", "", "node output to use as the class scores, [N,C] or [N,C,1,1] (ONNX; default: the\n"+
		"logits output, or the input of a final Softmax/Sigmoid; camviz layers lists the node outputs)")
	fs.StringVar(&f.labels, "labels", "", "class names: one per line, a JSON list, or a JSON {\"index\": \"name\"} object")
	fs.BoolVar(&f.argmax, "argmax", false, "explain each example's predicted class (the default)")
	fs.BoolVar(&f.raw, "raw", false, "also write the raw maps M_raw.npy")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.StringVar(&f.colormap, "colormap", "jet", "overlay colormap: "+strings.Join(heatmap.ColormapNames(), ", "))
	fs.Float64Var(&f.alpha, "alpha", 0.5, "overlay opacity of the heatmap, in [0,1]")
	addPictureFlags(fs, &f.input)
	if err := fs.parse(args); err != nil {
		return err
	}
	f.input.noteSet(fs.FlagSet)
	methods, cmap, err := f.check()
	if err != nil {
		return err
	}
	m, err := loadModel(f.model, f.score)
	if err != nil {
		return err
	}
	classes, err := chooseLabels(f.labels, m)
	if err != nil {
		return err
	}
	target := camviz.ArgmaxTarget()
	if f.class != "" {
		c, err := labels.Lookup(classes.Names, m.Spec.NumClasses, f.class)
		if err != nil {
			return usagef("--class: %v", err)
		}
		target = camviz.ClassTarget(c)
	}
	in, err := loadInput(f.inputPath, m, f.input)
	if err != nil {
		return err
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	taps, err := m.Taps(backend, in.dims...)
	if err != nil {
		return err
	}
	layerNote := ""
	if len(f.layers) == 0 {
		l, err := m.DefaultLayerFromTaps(taps)
		if err != nil {
			return usagef("no --layer given and %v", strings.TrimPrefix(err.Error(), "models: "))
		}
		f.layers = stringList{l}
		layerNote = " (default: the last activation with spatial extent before the global pooling; --layer to choose)"
	}
	if err := checkLayers(m, taps, f.layers); err != nil {
		return err
	}
	ex, err := m.Explainer(backend, f.layers, methods...)
	if err != nil {
		return usageError{err}
	}
	res, err := ex.ExplainFloats(in.data, in.dims, target)
	if err != nil {
		return usageError{err}
	}
	out := &writer{dir: f.out, model: f.model, m: m, res: res, in: in, cmap: cmap, alpha: f.alpha, raw: f.raw, classes: classes}
	if err := out.writeAll(f.layers, methods); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "labels: %s\n", classes.Source)
	fmt.Fprintln(stdout, scoreLine(m, taps))
	if in.plan != nil {
		fmt.Fprintln(stdout, in.plan.String())
	}
	fmt.Fprintf(stdout, "layers: %s%s\n", strings.Join(f.layers, ", "), layerNote)
	report(stdout, classes, res, f.out)
	return nil
}

// check validates the flags that need no file.
func (f *explainFlags) check() ([]camviz.Method, *heatmap.Colormap, error) {
	if f.model == "" {
		return nil, nil, usagef("--model is required: an ONNX file or a camviz model folder")
	}
	if f.inputPath == "" {
		return nil, nil, usagef("--input is required: a PNG/JPEG image or a .npy array in the model's layout")
	}
	if len(f.methods) == 0 {
		return nil, nil, usagef("--method is required, e.g. --method gradcam")
	}
	if f.out == "" {
		return nil, nil, usagef("--out is required: the folder to write the maps to")
	}
	var methods []camviz.Method
	for _, name := range f.methods {
		if strings.EqualFold(name, "all") {
			methods = append(methods, camviz.Methods()...)
			continue
		}
		meth, err := camviz.ParseMethod(name)
		if err != nil {
			return nil, nil, usagef("--method: %v", err)
		}
		methods = append(methods, meth)
	}
	methods = dedup(methods)
	if f.class != "" && f.argmax {
		return nil, nil, usagef("--class and --argmax exclude each other")
	}
	if !(f.alpha >= 0 && f.alpha <= 1) {
		return nil, nil, usagef("--alpha %v: want a value in [0, 1]", f.alpha)
	}
	cmap, err := heatmap.ColormapByName(f.colormap)
	if err != nil {
		return nil, nil, usagef("--colormap: %v", err)
	}
	return methods, cmap, nil
}

func dedup[T comparable](xs []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// checkLayers checks that every --layer is a 4-D activation among the model's taps.
func checkLayers(m *models.Model, taps []camviz.TapInfo, layers []string) error {
	byName := map[string]camviz.TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	for _, l := range layers {
		t, ok := byName[m.LayerName(l)]
		if !ok {
			return usagef("--layer %q is not a layer of the model (camviz layers --model FILE lists them)", l)
		}
		if len(t.Shape) != 4 {
			return usagef("--layer %q has shape %v; CAM methods explain 4-D activations (marked * by camviz layers)", l, t.Shape)
		}
	}
	return nil
}

// report prints, per image, the predicted and explained classes and the top-5 classes
// with their softmax probabilities, and where the files are.
func report(w io.Writer, names labels.Choice, res *camviz.Result, out string) {
	for i, logits := range res.Logits {
		pred := models.Argmax(logits)
		fmt.Fprintf(w, "image %d: predicted %s, score %.6g; explained %s\n", i, classLabel(names, pred), logits[pred],
			classLabel(names, res.Classes[i]))
		fmt.Fprintf(w, "  top-%d softmax: %s\n", topK, formatTop(names, labels.TopK(names, logits, topK)))
	}
	fmt.Fprintf(w, "maps written to %s (open %s)\n", out, joinPath(out, "index.html"))
}
