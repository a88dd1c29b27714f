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
	if opts.Torch { // fail before the long measurements, not after
		if _, err := findTorchPython(); err != nil {
			return nil, err
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

	if opts.Torch {
		fwd, ok1 := rep.find("resnet/b1/forward")
		gc, ok2 := rep.find("resnet/b1/gradcam")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("-torch compares with batch 1: include 1 in -batches")
		}
		rows, err := torchRows(opts, fwd.Value, gc.Value)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, rows...)
		step("torch")
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
