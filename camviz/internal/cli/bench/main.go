// Package bench is the "camviz bench" command: it measures camviz's speed on this machine, every number in one
// run: convolutions on the Go backend (lowered by camviz/fastconv vs native),
// a full-width ResNet-18 at 224×224 with random weights, batch 1 and 8
// (forward, Grad-CAM at the last block and at all 8 blocks in one pass,
// Grad-CAM++, Eigen-CAM; at batch 1 Score-CAM with camviz's chunk and with
// chunks of 4, its first call in the note), a heatmap overlay with PNG
// encoding, and each section's peak RSS. Each time is the median of -reps
// runs after -warmup untimed ones, the methods of one batch size interleaved.
// It prints a table with the project's goals and reference numbers, and with
// -md FILE also writes it as Markdown.
//
//	camviz bench [-quick] [-md table.md]
//
// -quick is a smoke run (under a minute: batch 1, 3 repetitions, no Score-CAM,
// 50 images instead of 1000 in the throughput row);
// -torch also runs ResNet-18 forward and Grad-CAM with Debian's python3-torch
// (apt-get install python3-torch), with the default OpenMP waiting and with
// OMP_WAIT_POLICY=PASSIVE, before camviz's rows, and prints the ratios measured
// in the same run; -pgc DIR times pytorch-grad-cam's own Score-CAM (imported
// from DIR, never part of camviz) on the same network for the Score-CAM ratio; -cpuprofile FILE writes a CPU profile of the whole run. The backend is
// backends.New's ($GOMLX_BACKEND selects another one). docs/performance.md
// holds the latest full run.
package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/camviz/camviz/camviz/models"
)

// options say what the bench measures and how often.
type options struct {
	Quick     bool
	Reps      int // timed repetitions per measure (median)
	Warmup    int // untimed runs before them
	ScoreReps int // timed Score-CAM runs (it is slow)
	Batches   []int
	Spec      models.Spec // the ResNet
	Convs     []convShape
	ScoreCAM  bool
	// ScoreChunks are the chunk sizes of the Score-CAM chunk-size rows (-score-chunks); none skips them.
	ScoreChunks []int
	// Throughput is the number of images the end-to-end pipeline row explains (0 skips it).
	Throughput int
	Torch      bool
	TorchAfter bool // -torch-after: run torch again after camviz's rows (a same-run check of the order's effect)
	// PGC is the -pgc value: folders (':'-separated) holding pytorch_grad_cam (and ttach),
	// for the same-run pytorch-grad-cam Score-CAM rows; "" skips them.
	PGC     string
	MD      string // Markdown output file
	Profile string // CPU profile file
	Soak    int    // Explain calls of the soak rows (soak.go); 0 skips them

	// ThroughputBatch is how many images each Explain call of the throughput row takes
	// (-throughput-batch; 1 by default, so that the goal row compares the pipeline with the
	// forward-only rate at the same batch size; 2 was faster in 2 of 3 A/B rounds,
	// docs/performance.md, and adds a row against the batch-2 forward-only rate).
	ThroughputBatch int
	// ThroughputYield makes that row's decoding and encoding goroutines yield their core
	// often (-throughput-yield; see yieldStages).
	ThroughputYield bool
}

func defaultOptions() options {
	return options{Reps: 7, Warmup: 2, ScoreReps: 1, Batches: []int{1, 8}, Spec: models.ResNet18Spec(1000, 224),
		Convs: resnetConvs, ScoreCAM: true, Throughput: 1000, ThroughputBatch: 1}
}

func parseBatches(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-batches %q: want positive batch sizes separated by commas, e.g. 1,8", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// Main runs the command with args (without the program and command names), writing
// the table to stdout and progress to stderr, and returns the exit status: 0, 1 for
// failures, 2 for flags that do not parse.
func Main(args []string, stdout, stderr io.Writer) int {
	opts := defaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&opts.Quick, "quick", false, "smoke run: batch 1, 3 repetitions after 1 warm-up, no Score-CAM (under a minute)")
	fs.IntVar(&opts.Reps, "reps", opts.Reps, "timed repetitions per measure (the median is reported)")
	fs.IntVar(&opts.Warmup, "warmup", opts.Warmup, "untimed runs before the timed ones")
	fs.IntVar(&opts.ScoreReps, "score-reps", opts.ScoreReps,
		"timed Score-CAM calls after the first (each is 512 forward passes; the first is reported in the note)")
	batches := fs.String("batches", "1,8", "ResNet-18 batch sizes, comma separated")
	size := fs.Int("size", 224, "ResNet-18 image size")
	fs.BoolVar(&opts.ScoreCAM, "scorecam", true, "measure Score-CAM (batch 1)")
	scoreChunks := fs.String("score-chunks", "", "Score-CAM per-pass time for these chunk sizes (comma separated, e.g. 1,2,4,8,15), interleaved; empty skips it")
	fs.IntVar(&opts.Throughput, "throughput", opts.Throughput,
		"images for the end-to-end row (decode PNG → resize → Grad-CAM → overlay → PNG, stages overlapped); 0 skips it")
	fs.IntVar(&opts.ThroughputBatch, "throughput-batch", opts.ThroughputBatch,
		"images per Explain call in the throughput row (2 was faster than 1 in 2 of 3 A/B rounds, docs/performance.md; above 1 adds a row against the forward-only rate at that batch)")
	fs.BoolVar(&opts.ThroughputYield, "throughput-yield", false,
		"in the throughput row, decoding and encoding yield their core every ≈0.1 ms (runtime.Gosched), for an A/B on an idle machine")
	fs.BoolVar(&opts.Torch, "torch", false, "also run ResNet-18 forward and Grad-CAM with python3-torch (Debian) for same-run ratios")
	fs.BoolVar(&opts.TorchAfter, "torch-after", false, "with -torch: run torch again after camviz's rows, to see what the order does")
	fs.StringVar(&opts.PGC, "pgc", "", "DIR[:TTACH_DIR]: also time pytorch-grad-cam's own Score-CAM on the same ResNet-18, "+
		"importing it from DIR (a checkout of jacobgil/pytorch-grad-cam; ttach's folder after ':' if not installed)")
	fs.StringVar(&opts.MD, "md", "", "also write the table as Markdown to this file")
	fs.StringVar(&opts.Profile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.IntVar(&opts.Soak, "soak", 1000, "Explain calls on one Explainer for the soak rows (RSS every 100 calls); 0 skips them")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q: every value goes with a flag (camviz bench --help)\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	if opts.Batches, err = parseBatches(*batches); err != nil {
		return fail(stderr, err)
	}
	if *scoreChunks != "" {
		if opts.ScoreChunks, err = parseBatches(*scoreChunks); err != nil {
			return fail(stderr, fmt.Errorf("-score-chunks %q: want positive chunk sizes separated by commas, e.g. 1,2,4,8,15", *scoreChunks))
		}
	}
	if *size < 32 {
		return fail(stderr, fmt.Errorf("-size %d: ResNet-18 needs images of at least 32×32", *size))
	}
	opts.Spec = models.ResNet18Spec(1000, *size)
	if opts.Quick {
		if !set["reps"] {
			opts.Reps = 3
		}
		if !set["warmup"] {
			opts.Warmup = 1
		}
		if !set["batches"] {
			opts.Batches = []int{1}
		}
		if !set["scorecam"] {
			opts.ScoreCAM = false
		}
		if !set["soak"] {
			opts.Soak = 200
		}
		if !set["throughput"] {
			opts.Throughput = 50
		}
	}
	if opts.Throughput < 0 {
		return fail(stderr, fmt.Errorf("-throughput %d: want a number of images, or 0 to skip the row", opts.Throughput))
	}
	if opts.ThroughputBatch < 1 {
		return fail(stderr, fmt.Errorf("-throughput-batch %d: want at least 1 image per Explain call", opts.ThroughputBatch))
	}
	if opts.Reps < 1 || opts.Warmup < 0 || opts.ScoreReps < 1 {
		return fail(stderr, fmt.Errorf("-reps %d, -warmup %d, -score-reps %d: want at least 1, 0 and 1", opts.Reps, opts.Warmup, opts.ScoreReps))
	}
	command := strings.TrimSpace("camviz bench " + strings.Join(args, " "))
	if _, err := run(opts, command, stdout, stderr); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// fail prints err as "bench: ..." and returns the failure exit status, 1.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "bench:", err)
	return 1
}
