package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
	"github.com/camviz/camviz/camviz/models"
)

func init() {
	register.DoFn3x1[context.Context, Shard, func([]byte), error](&explainFn{})
	register.Emitter1[[]byte]()
	register.Combiner1[[]byte](&mergeFn{})
	register.DoFn2x1[context.Context, []byte, error](&reportFn{})
}

// Shard is a range [Start, End) of image positions in image_ids.txt order. Shards are
// the explanation batches of the single-process evaluation (Start a multiple of
// Options.Batch), so every worker explains exactly the batches evaluate.Run would and
// the maps, scores and merged metrics are the same bits.
type Shard struct {
	Start, End int
}

// Shards cuts n images into batch-sized shards.
func Shards(n, batch int) []Shard {
	var out []Shard
	for s := 0; s < n; s += batch {
		out = append(out, Shard{s, min(s+batch, n)})
	}
	return out
}

// Build adds the evaluation to the pipeline's scope and returns the one-element
// collection of the final encoded evaluate.Tally:
//
//	shards of image ids ─Reshuffle→ explainFn (one Evaluator per worker) ─→ encoded
//	partial tallies ─Combine(mergeFn)→ the tally of all images ─→ reportFn (the files)
func Build(s beam.Scope, o Options, n int) beam.PCollection {
	shards := beam.Create(s, toAny(Shards(n, o.Batch))...)
	shards = beam.Reshuffle(s, shards) // spread the shards over the workers
	partials := beam.ParDo(s, &explainFn{Opts: o}, shards)
	total := beam.Combine(s, &mergeFn{Opts: o}, partials)
	beam.ParDo0(s, &reportFn{Opts: o}, total)
	return total
}

func toAny(shards []Shard) []any {
	out := make([]any, len(shards))
	for i, sh := range shards {
		out[i] = sh
	}
	return out
}

// explainFn explains shards: Setup loads the model and the metadata and builds one
// evaluate.Evaluator (one camviz Explainer, its graphs compiled once per worker and
// reused across bundles); ProcessElement evaluates a shard and emits its tally.
type explainFn struct {
	Opts Options `json:"opts"`

	md    *datasets.WSOLMetadata
	model *models.Model
	ev    *evaluate.Evaluator
	size  int // the model's input side: images are loaded at size×size
}

func (f *explainFn) Setup(ctx context.Context) error {
	m, err := loadModel(f.Opts.Model)
	if err != nil {
		return err
	}
	in := m.Spec.InputSize
	if in[0] != in[1] || in[2] != 3 {
		return fmt.Errorf("the model takes %v images; WSOL images are loaded square and RGB", in)
	}
	f.size, f.model = in[0], m
	if f.md, err = datasets.ReadWSOLMetadata(f.Opts.WSOLMetadata, f.Opts.Dataset, f.Opts.Split); err != nil {
		return err
	}
	cfg, err := f.Opts.config()
	if err != nil {
		return err
	}
	if f.Opts.Maps != "" {
		cfg.Maps = mapWriter(filepath.Join(f.Opts.Out, "maps"), splitList(f.Opts.Maps))
	}
	backend, err := backends.New() // $GOMLX_BACKEND picks XLA where a PJRT plugin exists
	if err != nil {
		return err
	}
	if f.ev, err = evaluate.New(backend, m, cfg); err != nil {
		return err
	}
	return nil
}

func (f *explainFn) ProcessElement(ctx context.Context, sh Shard, emit func([]byte)) error {
	ex, err := f.md.Examples(sh.Start, sh.End, datasets.WSOLLoad{Images: f.Opts.Images, Masks: f.Opts.Masks, Size: f.size})
	if err != nil {
		return err
	}
	if _, _, err := evaluate.Preprocess(f.model, ex); err != nil { // as camviz evaluate does
		return err
	}
	if err := f.ev.UpdateAt(sh.Start, ex); err != nil {
		return fmt.Errorf("shard [%d, %d): %w", sh.Start, sh.End, err)
	}
	t, err := f.ev.TakeTally()
	if err != nil {
		return err
	}
	data, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	emit(data)
	return nil
}

// mergeFn combines encoded tallies (evaluate.Tally.Merge: integer counts and exact
// sums, so any grouping and order gives the same bits). An empty slice is the empty
// tally.
type mergeFn struct {
	Opts Options `json:"opts"`

	cfg evaluate.Config
}

func (f *mergeFn) Setup() error {
	var err error
	f.cfg, err = f.Opts.config()
	return err
}

func (f *mergeFn) MergeAccumulators(a, b []byte) ([]byte, error) {
	if len(a) == 0 {
		return b, nil
	}
	if len(b) == 0 {
		return a, nil
	}
	ta, err := evaluate.DecodeTally(f.cfg, a)
	if err != nil {
		return nil, err
	}
	tb, err := evaluate.DecodeTally(f.cfg, b)
	if err != nil {
		return nil, err
	}
	if err := ta.Merge(tb); err != nil {
		return nil, err
	}
	return ta.MarshalBinary()
}

// reportFn writes the report of the final tally (evaluate.WriteFiles: table.csv,
// table.md, the charts and index.html) into Opts.Out, and tally.bin, the encoded tally.
type reportFn struct {
	Opts Options `json:"opts"`
}

func (f *reportFn) ProcessElement(ctx context.Context, data []byte) error {
	cfg, err := f.Opts.config()
	if err != nil {
		return err
	}
	t, err := evaluate.DecodeTally(cfg, data)
	if err != nil {
		return err
	}
	r, err := t.Summary()
	if err != nil {
		return err
	}
	source := fmt.Sprintf("model %s; %d %s %s images (%s), Apache Beam pipeline", f.Opts.Model, r.Images, f.Opts.Dataset, f.Opts.Split, f.Opts.WSOLMetadata)
	if _, err := evaluate.WriteFiles(f.Opts.Out, r, evaluate.Page{Source: source, Command: "go run ./examples/beam " + strings.Join(os.Args[1:], " ")}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.Opts.Out, "tally.bin"), data, 0o644)
}

// loadModel reads a camviz model folder, an .onnx file, or a shipped model's name.
func loadModel(name string) (*models.Model, error) {
	if strings.HasSuffix(strings.ToLower(name), ".onnx") {
		return models.LoadONNX(name)
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return models.Load(name)
	}
	return models.LoadShipped(name)
}
