package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/preprocess"
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
models). --layer defaults to the default layer: the last activation with spatial extent
before the global pooling that feeds the scores, or a vision transformer's last attention
input ("camviz layers" marks it); --method to
gradcam. --format png or npy writes only the overlays or only the maps. --score NAME
takes any node output [N,C] or [N,C,1,1] of an ONNX model as the class scores (default:
the logits output, or the input of a final Softmax/Sigmoid); the command prints which.

--input FOLDER (every PNG/JPEG directly in it) or a quoted GLOB ('pics/*.jpg') explains
every picture, in batches of --batch, with a progress bar on stderr, and writes each
picture's files under DIR/NAME/ (NAME: the file name without its extension; a clash gets
_2, _3, …), with DIR/index.html linking them all.

--input is a PNG/JPEG picture or a float32 .npy array in the model's own layout
([N,C,H,W] for ONNX models, [N,H,W,C] for zoo models), fed as it is. A picture is resized
(--size), its channels ordered (--bgr), scaled to --range (0-1 or 0-255), then
(x - mean)/std per channel. Each setting comes from its flag, else --preset, else what
the model file states, else the default (RGB, 0-1, mean 0, std 1, the model's size); the
command prints what it applied and why. torchvision ImageNet models want --preset imagenet,
Caffe/Caffe2 ImageNet models (BGR, 0-255, mean 104,117,123) --preset caffe.

Classes are named by --labels FILE (one name per line, a JSON list, or {"0": "name"}),
else by the names the model carries, else, for 1000 classes, by the ImageNet-1k names
bundled with camviz. The command prints each image's top-5 classes with their softmax
probabilities. --class takes an index or a name (exact, then ignoring case, then a unique
prefix).

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
	class, labels, score            string
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
	memoryBudgetMiB                 int64   // --memory-budget (MiB; 0: camviz.DefaultMemoryBudget)
	dff                             bool    // --method dff
	components                      int     // --components (DFF)
	refine                          string  // --refine BASE (RefineCAM over BASE)
	refineBase                      camviz.Method
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
	cfg.MemoryBudget = f.memoryBudgetMiB << 20
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
	fs.StringVar(&f.class, "class", "", "explain this class for every example: an index or a class name (default: each\n"+
		"example's predicted class)")
	fs.StringVar(&f.labels, "labels", "", "class names: one per line, a JSON list, or a JSON {\"index\": \"name\"} object")
	fs.StringVar(&f.score, "score", "", "node output to use as the class scores, [N,C] or [N,C,1,1] (ONNX; default: the\n"+
		"logits output, or the input of a final Softmax/Sigmoid; camviz layers lists the node outputs)")
	fs.BoolVar(&f.argmax, "argmax", false, "explain each example's predicted class (the default)")
	fs.BoolVar(&f.raw, "raw", false, "also write the raw maps M_raw.npy")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.StringVar(&f.colormap, "colormap", "jet", "overlay colormap: "+strings.Join(heatmap.ColormapNames(), ", "))
	fs.Float64Var(&f.alpha, "alpha", 0.5, "overlay opacity of the heatmap, in [0,1]")
	addPictureFlags(fs, &f.input)
	fs.StringVar(&f.format, "format", "both", "files per map: png (overlays), npy (arrays) or both")
	fs.IntVar(&f.batch, "batch", 16, "pictures per batch with a folder or glob --input")
	fs.StringVar(&f.targetSpec, "target", "", "what to explain, KIND:ARGS: "+targetUsage+" (default: --class or the predicted class)")
	fs.Float64Var(&f.finerAlpha, "finer-alpha", 1, "FinerCAM: strength α of the comparison with similar classes")
	fs.StringVar(&f.finerRanks, "finer-ranks", "1,2,3", "FinerCAM: ranks of the compared classes by logit closeness to the explained class (--class or predicted)")
	fs.Int64Var(&f.randomSeed, "random-seed", 0, "RandomCAM: seed of the random channel weights")
	fs.Int64Var(&f.memoryBudgetMiB, "memory-budget", 0, fmt.Sprintf("MiB that Score-CAM's and Ablation-CAM's chunked passes may use (default %d)",
		camviz.DefaultMemoryBudget>>20))
	fs.IntVar(&f.components, "components", 5, "--method dff: number of concepts (NMF components) per layer")
	fs.StringVar(&f.refine, "refine", "", "RefineCAM over this base method (e.g. gradcamplusplus, pytorch-grad-cam's default): "+
		"with several --layer, writes DIR/multilayer/RefineCAM_BASE.* (the product of the base's per-layer maps)")
	f.layout.register(fs)
	if err := fs.parse(args); err != nil {
		return nil, nil, target, nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.classSet = f.classSet || fl.Name == "class" })
	f.input.noteSet(fs.FlagSet)
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
	m, err := loadModel(f.model, f.score)
	if err != nil {
		return err
	}
	classes, err := chooseLabels(f.labels, m)
	if err != nil {
		return err
	}
	if f.classSet {
		c, err := f.lookupClass(classes, m)
		if err != nil {
			return err
		}
		target = camviz.ClassTarget(c)
	}
	if f.targetSpec != "" {
		if target, err = parseTarget(f.targetSpec, m.ChannelsFirst); err != nil {
			return usageError{err}
		}
	}
	layerNote, err := f.defaultLayers(m)
	if err != nil {
		return err
	}

	if many, err := inputList(f.inputPath); err != nil || many != nil {
		if err != nil {
			return err
		}
		if f.dff || f.refineBase != "" {
			return usagef("--method dff and --refine explain one input (an image or a .npy batch), not a folder or glob")
		}
		return explainMany(f, m, many, methods, target, cmap, classes, layerNote, stdout, stderr)
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
	taps, err := checkLayers(m, backend, in.dims, f.layers)
	if err != nil {
		return err
	}
	f.printSetup(stdout, m, taps, classes, in.plan, layerNote)
	folders, notes := layerFolders(f.layers)
	out := &writer{dir: f.out, model: f.model, m: m, in: in, cmap: cmap, alpha: f.alpha, raw: f.raw, folders: folders, format: f.format,
		classes: classes}
	plan, allNotes, err := f.planCAM(m, backend, in, methods, target)
	if err != nil {
		return err
	}
	notes = append(notes, allNotes...)
	out.skip = plan.skip
	if plan.cam != nil {
		if out.extra, err = plan.cam.ExplainFloats(in.data, in.dims, target); err != nil {
			return usageError{err}
		}
	}
	for _, note := range notes {
		fmt.Fprintln(stdout, note)
	}
	ex, err := f.explainer(backend, m, f.layers, plan.main...)
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
		if err := writeDFF(out, backend, res, f.layers, f.components, stdout); err != nil {
			return err
		}
	}
	if f.refineBase != "" {
		if err := writeRefine(out, res, f.layers, f.refineBase); err != nil {
			return err
		}
	}
	report(stdout, classes, res, f.out)
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
	if f.refine != "" {
		base, err := camviz.ParseMethod(f.refine)
		if err != nil {
			return nil, target, nil, usagef("--refine: %v", err)
		}
		f.refineBase = base
		methods = append(methods, base)
	}
	methods = dedup(methods)
	if f.dff && f.components < 1 {
		return nil, target, nil, usagef("--components %d: give at least 1 concept", f.components)
	}
	if f.classSet && f.argmax {
		return nil, target, nil, usagef("--class and --argmax exclude each other")
	}
	if i, err := strconv.Atoi(strings.TrimSpace(f.class)); f.classSet && err == nil && i < 0 {
		return nil, target, nil, usagef("--class %d: give a class index ≥ 0 (leave --class out, or give --argmax, to explain the predicted class)", i)
	}
	if f.classSet && f.targetSpec != "" {
		return nil, target, nil, usagef("--class and --target exclude each other (use --target class:C)")
	}
	// --class is resolved once the model and its labels are read (lookupClass).
	target = camviz.ArgmaxTarget()
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
	if f.memoryBudgetMiB < 0 || f.memoryBudgetMiB > 1<<30 {
		return nil, target, nil, usagef("--memory-budget %d: give MiB, at least 1 (0 for the default, %d)", f.memoryBudgetMiB,
			camviz.DefaultMemoryBudget>>20)
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
// (tokens) of the model, and returns the model's taps for input dims.
func checkLayers(m *models.Model, backend compute.Backend, dims []int, layers []string) ([]camviz.TapInfo, error) {
	taps, err := m.Taps(backend, dims...)
	if err != nil {
		return nil, err
	}
	byName := map[string]camviz.TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	for _, l := range layers {
		t, ok := byName[m.LayerName(l)]
		if !ok {
			return nil, usagef("--layer %q is not a layer of the model (camviz layers --model FILE lists them)", l)
		}
		if len(t.Shape) != 4 && len(t.Shape) != 3 {
			return nil, usagef("--layer %q has shape %v; CAM methods explain feature maps and tokens (marked * by camviz layers)", l, t.Shape)
		}
	}
	return taps, nil
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

// defaultLayers sets --layer to the model's default layer (models.Model.DefaultLayer:
// the last activation with spatial extent before the global pooling that feeds the
// scores; a vision transformer's last attention input) when none was given, and returns
// the note printed after the layer's name.
func (f *explainFlags) defaultLayers(m *models.Model) (string, error) {
	if len(f.layers) > 0 {
		return "", nil
	}
	backend, err := backends.New()
	if err != nil {
		return "", err
	}
	l, err := m.DefaultLayer(backend)
	if err != nil {
		return "", usagef("--layer is required: %s", strings.TrimPrefix(err.Error(), "models: "))
	}
	f.layers = stringList{l}
	return " (default: the last feature map before the global pooling, or a transformer's last attention input; --layer to choose)", nil
}

// lookupClass resolves --class: an index (checked against the model's classes) or a
// class name (labels.Lookup: exact, then ignoring case, then a unique prefix).
func (f *explainFlags) lookupClass(names labels.Choice, m *models.Model) (int, error) {
	if i, err := strconv.Atoi(strings.TrimSpace(f.class)); err == nil {
		return i, checkClass(i, m)
	}
	c, err := labels.Lookup(names.Names, m.Spec.NumClasses, f.class)
	if err != nil {
		return 0, usagef("--class: %v", err)
	}
	return c, nil
}

// printSetup prints what an explain run uses: where the labels come from, the score
// tensor, the preprocessing of pictures (plan; nil for a .npy array) and the layers.
func (f *explainFlags) printSetup(w io.Writer, m *models.Model, taps []camviz.TapInfo, classes labels.Choice,
	plan *preprocess.Plan, layerNote string) {
	fmt.Fprintf(w, "labels: %s\n", classes.Source)
	fmt.Fprintln(w, scoreLine(m, taps))
	if plan != nil {
		fmt.Fprintln(w, plan.String())
	}
	fmt.Fprintf(w, "layers: %s%s\n", strings.Join(f.layers, ", "), layerNote)
}
