package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"time"

	"github.com/camviz/camviz/camviz/backends"
)

// scoreCAMSmallBudget is the Config.MemoryBudget of the second Score-CAM row, and
// scoreCAMSlack what the process may use beyond the budget (the goal of the
// peak-RSS rows: budget + 300 MiB).
const (
	scoreCAMSmallBudget = 256 << 20
	scoreCAMSlack       = 300 << 20
)

// report is one run's results.
type report struct {
	Machine machine
	Backend string
	Command string
	Rows    []row
}

func nan() float64 { return math.NaN() }

// find returns the row with the given ID.
func (r *report) find(id string) (row, bool) {
	for _, x := range r.Rows {
		if x.ID == id {
			return x, true
		}
	}
	return row{}, false
}

// run measures everything opts asks for, prints the table to out and progress
// lines to progress, writes the Markdown file if asked, and returns the report.
func run(opts options, command string, out, progress io.Writer) (*report, error) {
	start := time.Now()
	step := func(what string) {
		fmt.Fprintf(progress, "bench: %-28s done at %5.1fs\n", what, time.Since(start).Seconds())
	}
	if opts.Profile != "" {
		f, err := os.Create(opts.Profile)
		if err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// torch runs first, before this process has allocated or started anything
	// that could compete with it for the cores (docs/performance.md, "torch in the
	// bench"); its rows are added at the end, with the ratios.
	if (opts.Torch || opts.PGC != "") && !hasBatch1(opts.Batches) {
		return nil, fmt.Errorf("-torch and -pgc compare with batch 1: include 1 in -batches")
	}
	if opts.PGC != "" && !opts.ScoreCAM {
		return nil, fmt.Errorf("-pgc compares with camviz's Score-CAM: drop -scorecam=false (or give -scorecam with -quick)")
	}
	var torch *torchMeasure
	var pgc *pgcMeasure
	if opts.Torch || opts.PGC != "" {
		py, err := findTorchPython()
		if err != nil {
			return nil, err
		}
		if err := checkPGC(py, opts.PGC); err != nil {
			return nil, err
		}
		policy := os.Getenv("OMP_WAIT_POLICY")
		if opts.Torch {
			if torch, err = measureTorch(opts); err != nil {
				return nil, err
			}
			policy = torch.best().Policy
			step("torch")
		}
		if opts.PGC != "" {
			if pgc, err = measurePGC(py, opts.PGC, opts, policy); err != nil {
				return nil, err
			}
			step("pytorch-grad-cam Score-CAM")
		}
	}
	backend, err := backends.New()
	if err != nil {
		return nil, err
	}
	rep := &report{Machine: describeMachine(), Backend: backends.Describe(backend), Command: command}
	// Memory: each section starts from freed memory and a reset peak RSS, so
	// each row is that section's own peak (where the reset works; else the
	// peak so far, as the row's name says).
	var mem []row
	var overall int64
	resets := startMemorySection()
	memRow := func(section string) {
		b, err := peakRSS()
		if err != nil {
			return
		}
		overall = max(overall, b)
		name := "peak RSS during " + section
		if !resets {
			name = "peak RSS after " + section
		}
		mem = append(mem, row{ID: "rss/" + section, Section: "Memory", Name: name, Value: float64(b) / (1 << 20),
			Unit: "MiB"})
		resets = startMemorySection()
	}

	conv, err := convRows(opts)
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, conv...)
	step("convolutions")
	memRow("the convolutions")

	rb, err := newResNetBench(opts, backend)
	if err != nil {
		return nil, err
	}
	for _, b := range opts.Batches {
		rows, err := rb.rows(b)
		if err != nil {
			return nil, fmt.Errorf("ResNet-18 batch %d: %w", b, err)
		}
		rep.Rows = append(rep.Rows, rows...)
		step(fmt.Sprintf("ResNet-18 batch %d", b))
		memRow(fmt.Sprintf("ResNet-18 batch %d", b))
		if b != 1 {
			continue
		}
		// Score-CAM: the default memory budget (the goal), then a small one.
		for _, budget := range []int64{0, scoreCAMSmallBudget} {
			sc, err := rb.scoreCAMRows(budget)
			if err != nil {
				return nil, err
			}
			rep.Rows = append(rep.Rows, sc...)
			if opts.ScoreCAM {
				what := "Score-CAM (default budget)"
				if budget > 0 {
					what = fmt.Sprintf("Score-CAM (budget %d MiB)", budget>>20)
				}
				step(what)
				memRow(what)
			}
		}
		if len(opts.ScoreChunks) > 0 {
			rows, err := rb.scoreChunkRows(opts.ScoreChunks)
			if err != nil {
				return nil, err
			}
			rep.Rows = append(rep.Rows, rows...)
			step("Score-CAM chunk sizes")
			memRow("Score-CAM chunk sizes")
		}
	}

	tp, err := rb.throughputRows()
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, tp...)
	if opts.Throughput > 0 {
		step("throughput")
		memRow("the throughput pipeline")
	}

	ov, err := overlayRow(opts)
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, ov)
	step("overlay")

	soak, err := soakRows(opts.Soak, backend)
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, soak...)
	step(fmt.Sprintf("soak (%d Explain calls)", opts.Soak))

	if pgc != nil {
		sc, _ := rep.find("resnet/b1/scorecam")
		rep.Rows = append(rep.Rows, pgcRows(pgc, sc.Value, sc.CPU)...)
	}
	if torch != nil {
		fwd, _ := rep.find("resnet/b1/forward")
		gc, _ := rep.find("resnet/b1/gradcam")
		rep.Rows = append(rep.Rows, torchRows(torch, fwd.Value, gc.Value)...)
		if opts.TorchAfter { // the same script again, now that camviz's rows have run
			again, err := measureTorch(opts)
			if err != nil {
				return nil, err
			}
			rep.Rows = append(rep.Rows, torchAfterRows(again)...)
			step("torch again")
		}
	}
	memRow("the overlay")
	mem = append(mem, row{ID: "rss/whole run", Section: "Memory", Name: "peak RSS of the whole run",
		Value: float64(overall) / (1 << 20), Unit: "MiB"})
	rep.Rows = append(rep.Rows, mem...)
	rep.Machine.LoadAfter = loadAverage()

	if err := writeReport(out, rep); err != nil {
		return nil, err
	}
	if opts.MD != "" {
		f, err := os.Create(opts.MD)
		if err != nil {
			return nil, fmt.Errorf("-md: %w", err)
		}
		if err := writeMarkdownReport(f, rep); err != nil {
			f.Close()
			return nil, fmt.Errorf("-md %s: %w", opts.MD, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("-md %s: %w", opts.MD, err)
		}
	}
	return rep, nil
}

func hasBatch1(batches []int) bool {
	for _, b := range batches {
		if b == 1 {
			return true
		}
	}
	return false
}

// preamble says where and how the numbers were measured.
func (r *report) preamble() []string {
	m := r.Machine
	return []string{
		fmt.Sprintf("Command: `%s` (%s).", r.Command, m.Date),
		fmt.Sprintf("Machine: %s, %d logical CPUs; %s; backend: %s.", m.CPU, m.Cores, m.Go, r.Backend),
		fmt.Sprintf("Load average (1, 5, 15 min): %s at the start, %s at the end. On a shared machine wall times "+
			"include waiting for a core; CPU/op is the process's CPU time (all threads) per operation.",
			m.LoadBefore, m.LoadAfter),
		"Times are medians after warm-up runs. The reference column is pytorch-grad-cam as measured by the " +
			"project on the same kind of machine (2 vCPU Xeon 2.8 GHz), not in this run.",
	}
}

func writeReport(w io.Writer, r *report) error {
	for _, l := range r.preamble() {
		fmt.Fprintln(w, l)
	}
	return writeText(w, r.Rows)
}

func writeMarkdownReport(w io.Writer, r *report) error {
	for _, l := range r.preamble() {
		fmt.Fprintln(w, l)
		fmt.Fprintln(w)
	}
	return writeMarkdown(w, r.Rows)
}
