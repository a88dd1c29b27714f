package evaluate

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

// Evaluator explains batches of examples with a model and accumulates every layer ×
// method's metrics: New, then Update per batch, then Summary. One camviz Explainer
// computes all layers × methods of a batch in one graph.
type Evaluator struct {
	cfg       Config
	m         *models.Model
	explainer *camviz.Explainer
	layers    []string
	score     ClassScoreFn   // nil unless a faithfulness metric is configured
	rows      []*Accumulator // layer-major: rows[l·len(Methods)+k]
	images    int
	correct   int
}

// New returns an Evaluator of model m. The model must take channels-last images of the
// examples' size (zoo models do; channels-first models are given transposed images).
func New(backend compute.Backend, m *models.Model, cfg Config) (*Evaluator, error) {
	if backend == nil || m == nil {
		return nil, fmt.Errorf("evaluate.New: needs a backend (backends.New()) and a model (models.Load or models.LoadShipped)")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Layers) == 0 {
		if len(m.Layers) == 0 {
			return nil, fmt.Errorf("evaluate.New: the model lists no layers; name the taps to explain in Config.Layers (models.ListLayers shows them)")
		}
		cfg.Layers = []string{m.Layers[len(m.Layers)-1]}
	}
	ccfg := m.Config(cfg.Layers, cfg.Methods...)
	ccfg.ChunkSize, ccfg.MemoryBudget = cfg.ChunkSize, cfg.MemoryBudget
	ex, err := camviz.NewExplainer(backend, m.Store, m.Fn, ccfg)
	if err != nil {
		return nil, fmt.Errorf("evaluate.New: %w", err)
	}
	var score ClassScoreFn
	if cfg.needsScore() {
		if score, err = ModelScore(backend, m); err != nil {
			return nil, err
		}
	}
	e := &Evaluator{cfg: cfg, m: m, explainer: ex, layers: ccfg.Layers, score: score}
	if e.rows, err = newRows(cfg, len(e.layers), score); err != nil {
		return nil, err
	}
	return e, nil
}

// newRows returns one empty accumulator per layer × method.
func newRows(cfg Config, layers int, score ClassScoreFn) ([]*Accumulator, error) {
	var rows []*Accumulator
	for range layers * len(cfg.Methods) {
		a, err := NewAccumulator(cfg, score)
		if err != nil {
			return nil, err
		}
		rows = append(rows, a)
	}
	return rows, nil
}

// Config returns the configuration with its defaults filled in.
func (e *Evaluator) Config() Config { return e.cfg }

// Update explains a batch of examples (all of the model's input size) and adds their
// final maps (camviz's Result.Final: ReLU, min-max, bilinear resize to the image) to
// every row.
func (e *Evaluator) Update(examples []datasets.Example) error {
	return e.UpdateAt(e.images, examples)
}

// UpdateAt is Update for examples that are images start, start+1, … of the dataset
// (see Accumulator.UpdateAt): a worker that evaluates a shard gives its position, so
// that the merged Tally equals a single pass.
func (e *Evaluator) UpdateAt(start int, examples []datasets.Example) error {
	if len(examples) == 0 {
		return nil
	}
	in := e.m.Spec.InputSize
	labels := make([]int, len(examples))
	for i := range examples {
		ex := &examples[i]
		if ex.H != in[0] || ex.W != in[1] || len(ex.Image) != ex.H*ex.W*in[2] {
			return fmt.Errorf("evaluate: example %d is %dx%d with %d values, but the model takes %dx%dx%d images",
				i, ex.H, ex.W, len(ex.Image), in[0], in[1], in[2])
		}
		if ex.Label < 0 || ex.Label >= e.m.Spec.NumClasses {
			return fmt.Errorf("evaluate: example %d has label %d outside the model's %d classes", i, ex.Label, e.m.Spec.NumClasses)
		}
		labels[i] = ex.Label
	}
	images, _, err := datasets.Stack(examples)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	n := len(examples)
	if e.m.ChannelsFirst {
		images = toChannelsFirst(images, n, in[0], in[1], in[2])
	}
	target := camviz.ClassTarget(labels...)
	if e.cfg.Target == TargetPredicted {
		target = camviz.ArgmaxTarget()
	}
	res, err := e.explainer.ExplainFloats(images, e.m.InputDims(n), target)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	correct := make([]bool, n)
	nCorrect := 0
	for i, l := range res.Logits {
		correct[i] = models.Argmax(l) == labels[i]
		if correct[i] {
			nCorrect++
		}
	}
	classes := labels
	if e.cfg.Target == TargetPredicted {
		classes = res.Classes
	}
	for l, layer := range e.layers {
		for k, method := range e.cfg.Methods {
			maps, err := res.Final(layer, method)
			if err != nil {
				return fmt.Errorf("evaluate: %w", err)
			}
			if e.cfg.Maps != nil {
				if err := e.cfg.Maps(start, layer, method, maps); err != nil {
					return fmt.Errorf("evaluate: Config.Maps for %s at %q: %w", method, layer, err)
				}
			}
			if err := e.rows[l*len(e.cfg.Methods)+k].UpdateAt(start, examples, maps, classes, correct); err != nil {
				return fmt.Errorf("evaluate: %s at %q: %w", method, layer, err)
			}
		}
	}
	e.images += n
	e.correct += nCorrect
	return nil
}

// Summary returns the table so far. It is an error before any image.
func (e *Evaluator) Summary() (*Report, error) {
	if e.images == 0 {
		return nil, fmt.Errorf("evaluate: no images evaluated; call Update (or use Run)")
	}
	t := &Tally{cfg: e.cfg, model: describe(e.m), layers: e.layers, rows: e.rows, images: e.images, correct: e.correct}
	return t.Summary()
}

// Run evaluates m on examples in batches of cfg.BatchSize, reporting progress to
// cfg.Progress, and returns the table.
func Run(backend compute.Backend, m *models.Model, examples []datasets.Example, cfg Config) (*Report, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("evaluate.Run: no examples; pass at least one image with its box and mask")
	}
	e, err := New(backend, m, cfg)
	if err != nil {
		return nil, err
	}
	p := newProgress(cfg.Progress, "evaluate", len(examples))
	for start := 0; start < len(examples); start += e.cfg.BatchSize {
		batch := examples[start:min(start+e.cfg.BatchSize, len(examples))]
		if err := e.Update(batch); err != nil {
			return nil, err
		}
		p.add(len(batch))
	}
	return e.Summary()
}

// describe names a model: "gapcnn [16 32 64], 6 classes".
func describe(m *models.Model) string {
	s := m.Spec.Arch
	if len(m.Spec.Channels) > 0 {
		s += fmt.Sprint(" ", m.Spec.Channels)
	}
	if len(m.Spec.Blocks) > 0 {
		s += fmt.Sprint(" blocks ", m.Spec.Blocks)
	}
	return fmt.Sprintf("%s, %d classes", s, m.Spec.NumClasses)
}
