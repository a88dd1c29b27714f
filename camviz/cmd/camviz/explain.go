package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

const explainUsage = `Usage: camviz explain --model FILE --input FILE|FOLDER|GLOB [--layer NAME...]
                      [--method NAME...] --out DIR [flags]

Explains the model's prediction for the input with every method at every layer, in one
pass, and writes, for layer L and method M (L' is L with every character outside
[A-Za-z0-9._-] replaced by _):

  DIR/L'/M.npy        final maps [N,H,W] float32, post-processed as pytorch-grad-cam:
                      minmax(resize(minmax(relu(raw)))) at the input size
  DIR/L'/M_raw.npy    raw maps [N,h,w] at the layer's resolution (with --raw)
  DIR/L'/M.png        the final maps over the input (one image per example, side by side)
  DIR/multilayer/M.*  the multi-layer aggregate, when several --layer are given
  DIR/index.html      all of it on one self-contained page

--layer defaults to the model's last explainable layer (the last listed by camviz layers),
--method to gradcam. --format png or npy writes only the overlays or only the maps.

--input FOLDER (every PNG/JPEG in it) or a quoted GLOB ('pics/*.jpg') explains every
picture, in batches of --batch, with a progress bar on stderr, and writes each picture's
files under DIR/NAME/ (NAME: the file name without its extension), with DIR/index.html
linking them all.

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
	format                          string // png, npy or both
	batch                           int    // pictures per batch for a folder or glob
}

func runExplain(args []string, stdout, stderr io.Writer) error {
	names := make([]string, 0)
	for _, m := range camviz.Methods() {
		names = append(names, string(m))
	}
	fs := newFlagSet("explain", fmt.Sprintf(explainUsage, strings.Join(names, ", ")), stdout)
	var f explainFlags
	fs.StringVar(&f.model, "model", "", "ONNX file or camviz model folder (required)")
	fs.StringVar(&f.inputPath, "input", "", "PNG/JPEG image, float32 .npy array in the model's layout, or a folder or glob of pictures (required)")
	fs.Var(&f.layers, "layer", "layer to explain, as listed by \"camviz layers\" (repeatable; default: the model's last)")
	fs.Var(&f.methods, "method", "CAM method (repeatable; default gradcam)")
	fs.IntVar(&f.class, "class", -1, "explain this class for every example")
	fs.BoolVar(&f.argmax, "argmax", false, "explain each example's predicted class (the default)")
	fs.BoolVar(&f.raw, "raw", false, "also write the raw maps M_raw.npy")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.StringVar(&f.colormap, "colormap", "jet", "overlay colormap: "+strings.Join(heatmap.ColormapNames(), ", "))
	fs.Float64Var(&f.alpha, "alpha", 0.5, "overlay opacity of the heatmap, in [0,1]")
	fs.StringVar(&f.input.size, "size", "", "H,W to resize a picture to (default: the model's input size)")
	fs.StringVar(&f.input.mean, "mean", "", "per-channel mean subtracted from a picture (one value or one per channel)")
	fs.StringVar(&f.input.std, "std", "", "per-channel standard deviation dividing a picture")
	fs.StringVar(&f.format, "format", "both", "files per map: png (overlays), npy (arrays) or both")
	fs.IntVar(&f.batch, "batch", 16, "pictures per batch with a folder or glob --input")
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
	if err := f.defaultLayers(m); err != nil {
		return err
	}
	if many, err := inputList(f.inputPath); err != nil || many != nil {
		if err != nil {
			return err
		}
		return explainMany(&f, m, many, methods, target, cmap, stdout, stderr)
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
	out := &writer{dir: f.out, model: f.model, m: m, res: res, in: in, cmap: cmap, alpha: f.alpha, raw: f.raw, format: f.format}
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
	if len(f.methods) == 0 {
		f.methods = stringList{string(camviz.MethodGradCAM)}
	}
	switch f.format {
	case "png", "npy", "both":
	default:
		return nil, target, nil, usagef("--format %q: use png, npy or both", f.format)
	}
	if f.batch < 1 {
		return nil, target, nil, usagef("--batch %d: give at least 1 picture per batch", f.batch)
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

// defaultLayers sets --layer to the model's last explainable layer when none was given.
func (f *explainFlags) defaultLayers(m *models.Model) error {
	if len(f.layers) > 0 {
		return nil
	}
	if len(m.Layers) == 0 {
		return usagef("--layer is required: the model names no layer to explain by default (camviz layers --model %s lists them)", f.model)
	}
	f.layers = stringList{m.Layers[len(m.Layers)-1]}
	return nil
}
