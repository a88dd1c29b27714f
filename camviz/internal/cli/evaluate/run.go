package evaluate

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
	"github.com/camviz/camviz/camviz/models"
)

// usageError marks errors in the flags (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// options are the parsed flags.
type options struct {
	model, data, out         string
	n, batch, causalSteps    int
	methods, layers, metrics string
	tauStep                  float64
	target                   string
	tolerance                int
	sanity, quiet            bool
	progress                 io.Writer // stderr, for the progress line
	seed                     uint64
	wsol                     wsolOptions
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{progress: stderr}
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.model, "model", "", "camviz model folder, or the name of a model shipped with camviz ("+strings.Join(models.ShippedNames(), ", ")+")")
	fs.StringVar(&o.data, "data", "", "held-out images: synthetic or fmnist-canvas (default: fmnist-canvas for models with Fashion-MNIST's classes, else synthetic)")
	fs.IntVar(&o.n, "n", 100, "number of images")
	fs.StringVar(&o.methods, "methods", "all", "comma-separated methods ("+methodNames()+"), or all")
	fs.StringVar(&o.layers, "layers", "", "comma-separated layers (default: the model's last block)")
	fs.StringVar(&o.metrics, "metrics", "default", "comma-separated metrics ("+metricNames()+"), or default (all but ROAD), all, localization")
	fs.Float64Var(&o.tauStep, "tau-step", 0.01, "spacing of the CAM thresholds τ for the box accuracies and PxAP (Choe et al. use 0.001)")
	fs.IntVar(&o.batch, "batch", 16, "images per explanation batch")
	fs.IntVar(&o.causalSteps, "causal-steps", 32, "steps of the deletion and insertion curves")
	fs.StringVar(&o.target, "target", "label", "explained class: label (ground truth, Choe et al.'s GT-known setting) or predicted")
	fs.IntVar(&o.tolerance, "pointing-tolerance", 0, "pointing-game tolerance in pixels")
	fs.BoolVar(&o.sanity, "sanity", false, "also run the cascading model-parameter randomization check")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of ROAD's noise and of the randomized weights")
	fs.StringVar(&o.out, "out", "", "folder to write table.csv, table.md, index.html and the charts to (required)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	fs.StringVar(&o.wsol.metadata, "wsol-metadata", "", "read a WSOL benchmark in wsolevaluation's layout: its metadata folder (holding <dataset>/<split>/image_ids.txt, …); -n then defaults to every image")
	fs.StringVar(&o.wsol.images, "images", "", "with -wsol-metadata: the image root (image ids are paths under it)")
	fs.StringVar(&o.wsol.masks, "masks", "", "with -wsol-metadata and OpenImages: the mask root (default: -images)")
	fs.StringVar(&o.wsol.dataset, "dataset", "", "with -wsol-metadata: CUB, ILSVRC or OpenImages")
	fs.StringVar(&o.wsol.split, "split", "test", "with -wsol-metadata: test or train-fullsup")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usagef("unexpected arguments %q: every option is a flag (evaluate -help)", fs.Args())
	}
	if o.model == "" || o.out == "" {
		return o, usagef("-model and -out are required (evaluate -help)")
	}
	if err := o.wsol.check(); err != nil {
		return o, err
	}
	nSet := false
	fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	if o.wsol.active() && !nSet {
		o.n = 0 // every image of the split
	} else if o.n <= 0 {
		return o, usagef("-n %d: evaluate at least one image", o.n)
	}
	return o, nil
}

// config turns the flags into an evaluate.Config.
func (o options) config() (evaluate.Config, error) {
	cfg := evaluate.Config{TauStep: o.tauStep, BatchSize: o.batch, CausalSteps: o.causalSteps,
		PointingTolerance: o.tolerance, Seed: o.seed}
	var err error
	if cfg.Methods, err = evaluate.ParseMethods(o.methods); err != nil {
		return cfg, usageError{err}
	}
	cfg.Layers = splitList(o.layers)
	if cfg.Metrics, err = evaluate.ParseMetrics(o.metrics); err != nil {
		return cfg, usageError{err}
	}
	if o.wsol.active() && o.metrics == "default" {
		cfg.Metrics = evaluate.WSOLDefaultMetrics(o.wsol.dataset)
	}
	if cfg.Target, err = evaluate.ParseTarget(o.target); err != nil {
		return cfg, usagef("-%v", err)
	}
	if !o.quiet {
		cfg.Progress = o.progress
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func methodNames() string {
	var names []string
	for _, m := range camviz.Methods() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

func metricNames() string {
	var names []string
	for _, m := range evaluate.AllMetrics() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// run is the command, args without the program name; the table and the files written
// go to stdout, help and progress to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	m, modelDir, err := loadModel(o.model)
	if err != nil {
		return err
	}
	data := o.data
	if data == "" {
		data = defaultData(m)
	}
	var examples []datasets.Example
	var source string
	if o.wsol.active() {
		examples, source, err = loadWSOL(o.wsol, m, o.n)
	} else {
		examples, source, err = loadData(data, m, o.n)
	}
	if err != nil {
		return err
	}
	source = fmt.Sprintf("model %s; %s", modelDir, source)
	backend, err := backends.New()
	if err != nil {
		return err
	}
	report, err := evaluate.Run(backend, m, examples, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n%s", source, report)
	var sanity *evaluate.SanityResult
	if o.sanity {
		sc := evaluate.SanityConfig{Layers: cfg.Layers, Methods: cfg.Methods, BatchSize: cfg.BatchSize, Seed: o.seed, Progress: cfg.Progress}
		if sanity, err = evaluate.CascadingRandomization(backend, m, examples, sc); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s", sanity)
	}
	files, err := writeOutputs(o.out, page{report: report, sanity: sanity, source: source, args: args})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s in %s\n", strings.Join(files, ", "), o.out)
	return nil
}
