package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/camviz/camviz/camviz/backends"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

const explainUsage = `Usage: camviz explain --model FILE --input FILE --layer NAME [--layer NAME...]
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

--input is a PNG/JPEG picture (resized to the model's input size, or --size, scaled to
[0,1], then (x - mean)/std per channel) or a float32 .npy array in the model's own layout
([N,C,H,W] for ONNX models, [N,H,W,C] for zoo models). ImageNet models usually want
--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225.

Methods (case-insensitive; "all" for every one): ` + "%s" + `

Flags:
`

type explainFlags struct {
	model, inputPath, out, colormap string
	layers, methods                 stringList
	class                           int
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
	fs.Var(&f.layers, "layer", "layer to explain, as listed by \"camviz layers\" (repeatable; required)")
	fs.Var(&f.methods, "method", "CAM method (repeatable; required), e.g. gradcam")
	fs.IntVar(&f.class, "class", -1, "explain this class for every example")
	fs.BoolVar(&f.argmax, "argmax", false, "explain each example's predicted class (the default)")
	fs.BoolVar(&f.raw, "raw", false, "also write the raw maps M_raw.npy")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.StringVar(&f.colormap, "colormap", "jet", "overlay colormap: "+strings.Join(heatmap.ColormapNames(), ", "))
	fs.Float64Var(&f.alpha, "alpha", 0.5, "overlay opacity of the heatmap, in [0,1]")
	fs.StringVar(&f.input.size, "size", "", "H,W to resize a picture to (default: the model's input size)")
	fs.StringVar(&f.input.mean, "mean", "", "per-channel mean subtracted from a picture (one value or one per channel)")
	fs.StringVar(&f.input.std, "std", "", "per-channel standard deviation dividing a picture")
	if err := fs.parse(args); err != nil {
		return err
	}
	methods, target, cmap, err := f.check()
	if err != nil {
		return err
	}
	m, err := loadModel(f.model)
	if err != nil {
		return err
	}
	in, err := loadInput(f.inputPath, m, f.input)
	if err != nil {
		return err
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	if err := checkLayers(m, backend, in.dims, f.layers); err != nil {
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
	out := &writer{dir: f.out, model: f.model, m: m, res: res, in: in, cmap: cmap, alpha: f.alpha, raw: f.raw}
	if err := out.writeAll(f.layers, methods); err != nil {
		return err
	}
	report(stdout, m, res, f.out)
	return nil
}

// check validates the flags that need no file.
func (f *explainFlags) check() ([]camviz.Method, camviz.Target, *heatmap.Colormap, error) {
	var target camviz.Target
	if f.model == "" {
		return nil, target, nil, usagef("--model is required: an ONNX file or a camviz model folder")
	}
	if f.inputPath == "" {
		return nil, target, nil, usagef("--input is required: a PNG/JPEG image or a .npy array in the model's layout")
	}
	if len(f.layers) == 0 {
		return nil, target, nil, usagef("--layer is required (camviz layers --model %s lists them)", f.model)
	}
	if len(f.methods) == 0 {
		return nil, target, nil, usagef("--method is required, e.g. --method gradcam")
	}
	if f.out == "" {
		return nil, target, nil, usagef("--out is required: the folder to write the maps to")
	}
	var methods []camviz.Method
	for _, name := range f.methods {
		if strings.EqualFold(name, "all") {
			methods = append(methods, camviz.Methods()...)
			continue
		}
		meth, err := camviz.ParseMethod(name)
		if err != nil {
			return nil, target, nil, usagef("--method: %v", err)
		}
		methods = append(methods, meth)
	}
	methods = dedup(methods)
	switch {
	case f.class >= 0 && f.argmax:
		return nil, target, nil, usagef("--class and --argmax exclude each other")
	case f.class >= 0:
		target = camviz.ClassTarget(f.class)
	case f.class < -1:
		return nil, target, nil, usagef("--class %d: give a class index ≥ 0", f.class)
	default:
		target = camviz.ArgmaxTarget()
	}
	if !(f.alpha >= 0 && f.alpha <= 1) {
		return nil, target, nil, usagef("--alpha %v: want a value in [0, 1]", f.alpha)
	}
	cmap, err := heatmap.ColormapByName(f.colormap)
	if err != nil {
		return nil, target, nil, usagef("--colormap: %v", err)
	}
	return methods, target, cmap, nil
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

// checkLayers checks that every --layer is a 4-D activation of the model.
func checkLayers(m *models.Model, backend compute.Backend, dims []int, layers []string) error {
	taps, err := m.Taps(backend, dims...)
	if err != nil {
		return err
	}
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

// report prints the predicted and explained classes and where the files are.
func report(w io.Writer, m *models.Model, res *camviz.Result, out string) {
	for i, logits := range res.Logits {
		pred := models.Argmax(logits)
		fmt.Fprintf(w, "image %d: predicted %s (logit %.6g); explained %s\n", i, m.ClassName(pred), logits[pred],
			m.ClassName(res.Classes[i]))
	}
	fmt.Fprintf(w, "maps written to %s (open %s)\n", out, joinPath(out, "index.html"))
}
