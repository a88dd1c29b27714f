// Command beam evaluates CAM methods on a WSOL benchmark (wsolevaluation's layout:
// CUB, ILSVRC, OpenImages) as an Apache Beam pipeline, so that the evaluation that
// `camviz evaluate -wsol-metadata …` does in one process runs on any Beam
// runner — Prism on a laptop, Flink, Spark or Google Cloud Dataflow on a cluster — and
// writes the same report (table.csv with the same numbers, table.md, index.html with the
// charts), plus optionally the maps as .npy and PNG shards:
//
//	go run ./camviz/datasets/cmd/mkwsol -dataset OpenImages -test 300 -out /tmp/wsol
//	cd examples/beam && go run . -model gapcnn -wsol-metadata /tmp/wsol/metadata \
//	    -images /tmp/wsol/images/OpenImages -masks /tmp/wsol/masks/OpenImages \
//	    -dataset OpenImages -split test -methods CAM,GradCAM -out /tmp/beam-eval
//
// The pipeline: shards of image ids (the evaluation's batches) → a DoFn holding one
// camviz Explainer per worker (evaluate.Evaluator, built in Setup) → per-shard tallies
// of every metric → a CombineFn merging them (evaluate.Tally.Merge: counts, histograms
// and exact sums) → the report. -runner picks the runner (default prism, in-process);
// see docs/scale-out.md for the cluster runners. This is a separate Go module so that
// the camviz library does not depend on Beam.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/camviz/camviz/camviz/datasets"
)

func main() {
	var o Options
	flag.StringVar(&o.Model, "model", "", "camviz model folder, .onnx file, or the name of a shipped model (gapcnn, …)")
	flag.StringVar(&o.WSOLMetadata, "wsol-metadata", "", "wsolevaluation's metadata folder (holding <dataset>/<split>/image_ids.txt, …)")
	flag.StringVar(&o.Images, "images", "", "the image root (image ids are paths under it)")
	flag.StringVar(&o.Masks, "masks", "", "OpenImages: the mask root (default: -images)")
	flag.StringVar(&o.Dataset, "dataset", "", "CUB, ILSVRC or OpenImages")
	flag.StringVar(&o.Split, "split", "test", "test or train-fullsup")
	flag.IntVar(&o.N, "n", 0, "evaluate the first n images (0: all)")
	flag.StringVar(&o.Methods, "methods", "all", "comma-separated methods, or all")
	flag.StringVar(&o.Layers, "layers", "", "comma-separated layers (default: the model's last block)")
	flag.StringVar(&o.Metrics, "metrics", "default", "comma-separated metrics, or default, all, localization")
	flag.StringVar(&o.Target, "target", "label", "explained class: label or predicted")
	flag.Float64Var(&o.TauStep, "tau-step", 0.01, "spacing of the CAM thresholds τ")
	flag.IntVar(&o.Batch, "batch", 16, "images per explanation batch (one shard)")
	flag.IntVar(&o.CausalSteps, "causal-steps", 32, "steps of the deletion and insertion curves")
	flag.IntVar(&o.Tolerance, "pointing-tolerance", 0, "pointing-game tolerance in pixels")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of ROAD's noise")
	flag.StringVar(&o.Out, "out", "", "report folder (required; on a cluster, a path every worker sees)")
	flag.StringVar(&o.Maps, "maps", "", "also write the maps under <out>/maps: npy, png or npy,png")
	flag.Parse()
	beam.Init()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "beam:", err)
		os.Exit(1)
	}
}

// run builds the pipeline and runs it on the runner named by -runner.
func run(ctx context.Context, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	if _, err := o.config(); err != nil {
		return err
	}
	md, err := datasets.ReadWSOLMetadata(o.WSOLMetadata, o.Dataset, o.Split)
	if err != nil {
		return err
	}
	n := len(md.Images)
	if o.N > 0 && o.N < n {
		n = o.N
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	Build(s, o, n)
	start := time.Now()
	if _, err := beamx.RunWithMetrics(ctx, p); err != nil {
		return fmt.Errorf("running the pipeline: %w", err)
	}
	el := time.Since(start)
	fmt.Printf("evaluated %d images in %.1f s (%.2f images/s) with the Beam pipeline; wrote the report in %s\n",
		n, el.Seconds(), float64(n)/el.Seconds(), o.Out)
	return nil
}
