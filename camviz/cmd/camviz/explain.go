package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
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
[A-Za-z0-9._-] replaced by _; a name that would leave DIR, be hidden, clash with another
layer's folder or with multilayer/index.html, or run past 96 bytes gets a prefix, a -2
suffix or a hash, and the command says where it went):

  DIR/L'/M.npy        final maps [N,H,W] float32, post-processed as pytorch-grad-cam:
                      minmax(resize(minmax(relu(raw)))) at the input size
  DIR/L'/M_raw.npy    raw maps [N,h,w] at the layer's resolution (with --raw)
  DIR/L'/M.png        the final maps over the input (one image per example, side by side)
  DIR/multilayer/M.*  the multi-layer aggregate, when several --layer are given
  DIR/index.html      all of it on one self-contained page

--model is an ONNX file, a camviz model folder or the name of a shipped model (camviz
models). --layer defaults to the model's last explainable layer (the last one camviz
layers marks), --method to gradcam. --format png or npy writes only the overlays or only
the maps.

--input FOLDER (every PNG/JPEG directly in it) or a quoted GLOB ('pics/*.jpg') explains
every picture, in batches of --batch, with a progress bar on stderr, and writes each
picture's files under DIR/NAME/ (NAME: the file name without its extension; a clash gets
_2, _3, …), with DIR/index.html linking them all.

--input is a PNG/JPEG picture (resized to the model's input size, or --size, scaled to
[0,1], then (x - mean)/std per channel) or a float32 .npy array in the model's own layout
([N,C,H,W] for ONNX models, [N,H,W,C] for zoo models). ImageNet models usually want
--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225.

--out is checked before anything is computed; index.html is written last, whole.
Pictures over 64 Mpx (from their header) are refused before decoding.

Vision transformers: a layer of tokens [N,T,D] is mapped to an h×w grid as
pytorch-grad-cam's reshape_transform does (the leading class/distillation tokens
dropped); the grid is inferred when exactly one of T, T-1, T-2 tokens fits the picture's
aspect ratio, else give --tokens HxW (and --drop-tokens N). Channels-last blocks
[N,h,w,C] inside an NCHW model (Swin, ConvNeXt) are recognised by their shape, or
marked with --channels-last. "camviz layers" shows the layout each layer gets.

Methods (case-insensitive; "all" for every one that applies at each layer: CAM only
where the classifier's weights match the layer, the others everywhere): ` + "%s" + `

Flags:
`

type explainFlags struct {
	model, inputPath, out, colormap string
	layers, methods                 stringList
	class                           int
	classSet, all                   bool // --class given; --method all given
	argmax, raw                     bool
	alpha                           float64
	input                           inputOptions
	format                          string // png, npy or both
	batch                           int    // pictures per batch for a folder or glob
	layout                          layoutFlags
	targetSpec                      string  // --target KIND:ARGS
	finerAlpha                      float64 // --finer-alpha
	finerRanks                      string  // --finer-ranks
	randomSeed                      int64   // --random-seed
	dff                             bool    // --method dff
	components                      int     // --components (DFF)
}

// configure sets the method options given by flags on cfg.
func (f *explainFlags) configure(cfg *camviz.Config) error {
	ranks, err := parseRanks(f.finerRanks)
	if err != nil {
		return err
	}
	cfg.Finer = camviz.FinerOptions{Alpha: f.finerAlpha, Comparisons: ranks}
	cfg.RandomSeed = f.randomSeed
	cfg.KeepActivations = f.dff
	return nil
}

// parseExplain parses and checks the flags of "camviz explain" (everything that needs
// no file).
func parseExplain(args []string, stdout io.Writer) (f *explainFlags, methods []camviz.Method, target camviz.Target,
	cmap *heatmap.Colormap, err error) {
	names := make([]string, 0)
	for _, m := range camviz.Methods() {
		names = append(names, string(m))
	}
	fs := newFlagSet("explain", fmt.Sprintf(explainUsage, strings.Join(names, ", ")), stdout)
	f = &explainFlags{}
	fs.StringVar(&f.model, "model", "", "ONNX file, camviz model folder or shipped model name (required)")
	fs.StringVar(&f.inputPath, "input", "", "PNG/JPEG image, float32 .npy array in the model's layout, or a folder or glob of pictures (required)")
	fs.Var(&f.layers, "layer", "layer to explain, as listed by \"camviz layers\" (repeatable; default: the model's last)")
	fs.Var(&f.methods, "method", "CAM method (repeatable; default gradcam)")
	fs.IntVar(&f.class, "class", 0, "explain this class for every example (default: each example's predicted class)")
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
	fs.StringVar(&f.targetSpec, "target", "", "what to explain, KIND:ARGS: "+targetUsage+" (default: --class or the predicted class)")
	fs.Float64Var(&f.finerAlpha, "finer-alpha", 1, "FinerCAM: strength α of the comparison with similar classes")
	fs.StringVar(&f.finerRanks, "finer-ranks", "1,2,3", "FinerCAM: ranks of the compared classes by logit closeness to the explained class (--class or predicted)")
	fs.Int64Var(&f.randomSeed, "random-seed", 0, "RandomCAM: seed of the random channel weights")
	fs.IntVar(&f.components, "components", 5, "--method dff: number of concepts (NMF components) per layer")
	f.layout.register(fs)
	if err := fs.parse(args); err != nil {
		return nil, nil, target, nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.classSet = f.classSet || fl.Name == "class" })
	methods, target, cmap, err = f.check()
	return f, methods, target, cmap, err
}

func runExplain(args []string, stdout, stderr io.Writer) error {
	f, methods, target, cmap, err := parseExplain(args, stdout)
	if err != nil {
		return err
	}
	if err := prepareOut(f.out); err != nil {
		return err
	}
	m, err := loadModel(f.model)
	if err != nil {
		return err
	}
	if f.classSet {
		if err := checkClass(f.class, m); err != nil {
			return err
		}
	}
	if f.targetSpec != "" {
		if target, err = parseTarget(f.targetSpec, m.ChannelsFirst); err != nil {
			return usageError{err}
		}
	}
	if err := f.defaultLayers(m); err != nil {
		return err
	}
	if many, err := inputList(f.inputPath); err != nil || many != nil {
		if err != nil {
			return err
		}
		if f.dff {
			return usagef("--method dff explains one input (an image or a .npy batch), not a folder or glob")
		}
		return explainMany(f, m, many, methods, target, cmap, stdout, stderr)
	}
	in, err := loadInput(f.inputPath, m, f.input)
	if err != nil {
		return err
	}
	for _, note := range in.notes {
		fmt.Fprintln(stdout, note)
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	if err := checkLayers(m, backend, in.dims, f.layers); err != nil {
		return err
	}
	// newExplainer explains layers with methods, each layer in its layout (tokens,
	// channels-last blocks; --tokens, --drop-tokens, --channels-last).
	newExplainer := func(layers []string, methods ...camviz.Method) (*camviz.Explainer, error) {
		cfg := m.Config(layers, methods...)
		if err := f.configure(&cfg); err != nil {
			return nil, err
		}
		var err error
		if cfg.LayerLayouts, err = f.layout.layouts(cfg.Layers); err != nil {
			return nil, err
		}
		return camviz.NewExplainer(backend, m.Store, m.Fn, cfg)
	}
	folders, notes := layerFolders(f.layers)
	out := &writer{dir: f.out, model: f.model, m: m, in: in, cmap: cmap, alpha: f.alpha, raw: f.raw, folders: folders, format: f.format}
	mainMethods := methods
	if f.all && slices.Contains(methods, camviz.MethodCAM) && len(f.layers) > 0 {
		camLayers, allNotes := splitAll(m, backend, in, f.layers, target)
		notes = append(notes, allNotes...)
		if len(camLayers) < len(f.layers) {
			// CAM only where it applies: the other methods in one pass over every layer,
			// CAM in a second (one forward pass) over the layers it applies to.
			mainMethods = slices.DeleteFunc(slices.Clone(methods), func(x camviz.Method) bool { return x == camviz.MethodCAM })
			out.skip = map[string]map[camviz.Method]bool{}
			for _, l := range f.layers {
				if !slices.Contains(camLayers, l) {
					out.skip[l] = map[camviz.Method]bool{camviz.MethodCAM: true}
				}
			}
			if len(camLayers) > 0 {
				ex, err := newExplainer(camLayers, camviz.MethodCAM)
				if err != nil {
					return usageError{err}
				}
				if out.extra, err = ex.ExplainFloats(in.data, in.dims, target); err != nil {
					return usageError{err}
				}
			}
		}
	}
	for _, note := range notes {
		fmt.Fprintln(stdout, note)
	}
	ex, err := newExplainer(f.layers, mainMethods...)
	if err != nil {
		return usageError{err}
	}
	res, err := ex.ExplainFloats(in.data, in.dims, target)
	if err != nil {
		return usageError{err}
	}
	if err := checkLogits(res); err != nil {
		return err
	}
	out.res = res
	if err := out.writeAll(f.layers, methods); err != nil {
		return err
	}
	if f.dff {
		if err := writeDFF(out, res, f.layers, f.components); err != nil {
			return err
		}
	}
	report(stdout, m, res, f.out)
	return nil
}

// check validates the flags that need no file.
func (f *explainFlags) check() ([]camviz.Method, camviz.Target, *heatmap.Colormap, error) {
	var target camviz.Target
	if f.model == "" {
		return nil, target, nil, usagef("--model is required: an ONNX file, a camviz model folder or a shipped model (camviz models)")
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
		if strings.EqualFold(name, "dff") {
			f.dff = true // Deep Feature Factorization: not an Explainer method (see writeDFF)
			continue
		}
		if strings.EqualFold(name, "all") {
			f.all = true
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
	if f.dff && f.components < 1 {
		return nil, target, nil, usagef("--components %d: give at least 1 concept", f.components)
	}
	switch {
	case f.classSet && f.argmax:
		return nil, target, nil, usagef("--class and --argmax exclude each other")
	case f.classSet && f.class < 0:
		return nil, target, nil, usagef("--class %d: give a class index ≥ 0 (leave --class out, or give --argmax, to explain the predicted class)", f.class)
	case f.classSet && f.targetSpec != "":
		return nil, target, nil, usagef("--class and --target exclude each other (use --target class:C)")
	case f.classSet:
		target = camviz.ClassTarget(f.class)
	default:
		target = camviz.ArgmaxTarget()
	}
	if f.targetSpec != "" {
		// Checked here for its form; files and the model's layout are read in runExplain.
		kind, _, _ := strings.Cut(f.targetSpec, ":")
		if !slices.Contains([]string{"class", "softmax", "rest", "binary", "seg", "box", "similarity"}, strings.ToLower(kind)) {
			return nil, target, nil, usagef("--target %q: unknown kind %q; forms: %s", f.targetSpec, kind, targetUsage)
		}
	}
	if _, err := parseRanks(f.finerRanks); err != nil {
		return nil, target, nil, usagef("%v", err)
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

// checkLayers checks that every --layer is a 4-D activation (feature map) or a 3-D one
// (tokens) of the model.
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
		if len(t.Shape) != 4 && len(t.Shape) != 3 {
			return usagef("--layer %q has shape %v; CAM methods explain feature maps and tokens (marked * by camviz layers)", l, t.Shape)
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
