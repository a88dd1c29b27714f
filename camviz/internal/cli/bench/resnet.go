package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The goals and the project's pytorch-grad-cam measurements (ResNet-18,
// 224×224, batch 1, on a 2 vCPU Xeon 2.8 GHz): not measured by this run.
var (
	goalGradCAM   = &goal{Limit: 80, AtMost: true}
	goalAllBlocks = &goal{Limit: 1.5, AtMost: true}
	goalScoreCAM  = &goal{Limit: 8.8, AtMost: true}
	goalEigenCAM  = &goal{Limit: 73, AtMost: true}
	refForward    = "49 ms"
	refGradCAM    = "165 ms"
	refScoreCAM   = "17.6 s"
	refGradPerFwd = "3.37× (165/49)"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// resnetBench holds one model (its variables initialised once) and backend.
type resnetBench struct {
	opts    options
	backend compute.Backend
	m       *models.Model
	last    string   // the last block's tap, "layer4.1"
	blocks  []string // every block's tap, "layer1.0" … "layer4.1"
	rng     *rand.Rand
	// initialised is set once the model's variables have values (see initVariables).
	initialised bool
}

func newResNetBench(opts options, backend compute.Backend) (*resnetBench, error) {
	m, err := models.New(opts.Spec)
	if err != nil {
		return nil, err
	}
	b := &resnetBench{opts: opts, backend: backend, m: m, last: m.Layers[len(m.Layers)-1],
		rng: rand.New(rand.NewPCG(3, 4))}
	for _, l := range m.Layers {
		if strings.HasPrefix(l, "layer") {
			b.blocks = append(b.blocks, l)
		}
	}
	return b, nil
}

func (b *resnetBench) section(batch int) string {
	s := b.opts.Spec.InputSize
	return fmt.Sprintf("ResNet-18 (%s), %d×%d, batch %d, random weights", widthName(b.opts.Spec), s[0], s[1], batch)
}

func widthName(s models.Spec) string {
	if fmt.Sprint(s.Channels) == "[64 128 256 512]" {
		return "full width"
	}
	return fmt.Sprintf("channels %v", s.Channels)
}

// convsDuring returns how many convolutions the backend's graph builders
// received while fn ran (-1 if the backend is not fastconv's).
func (b *resnetBench) convsDuring(fn func() error) (int64, error) {
	before, ok := fastconv.StatsOf(b.backend)
	err := fn()
	after, _ := fastconv.StatsOf(b.backend)
	if !ok {
		return -1, err
	}
	return after.Lowered + after.Fallback - before.Lowered - before.Fallback, err
}

// rows measures the forward pass and the methods at one batch size, interleaved
// (see measureAll).
func (b *resnetBench) rows(batch int) ([]row, error) {
	o := b.opts
	s := o.Spec.InputSize
	img := randomTensor(b.rng, batch, s[0], s[1], s[2])
	sec := b.section(batch)
	id := func(name string) string { return fmt.Sprintf("resnet/b%d/%s", batch, name) }
	var rows []row

	newFwd := func() (*model.Exec, error) {
		return model.NewExec(b.backend, b.m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return b.m.Fn(scope, x)
		})
	}
	// The timed graph is compiled after the variables have values, like the Explainers'
	// graphs below: the Go backend then embeds the weights as constants and caches their
	// packing for the matrix products (a graph compiled before would take them as
	// parameters and pack them at every call; docs/performance.md).
	if err := b.initVariables(newFwd, img); err != nil {
		return nil, fmt.Errorf("forward pass: %w", err)
	}
	fwd, err := newFwd()
	if err != nil {
		return nil, err
	}
	defer fwd.Finalize()
	runFwd := func() error {
		out, err := fwd.Exec(img)
		for _, t := range out {
			t.FinalizeAll()
		}
		return err
	}
	fwdConvs, err := b.convsDuring(runFwd) // compiles
	if err != nil {
		return nil, fmt.Errorf("forward pass: %w", err)
	}

	type method struct {
		key, name string
		layers    []string
		m         camviz.Method
		goal      *goal
		ref       string
	}
	methods := []method{
		{"gradcam", "Grad-CAM at " + b.last, []string{b.last}, camviz.MethodGradCAM, goalGradCAM, refGradCAM},
		{"gradcam-blocks", fmt.Sprintf("Grad-CAM at all %d blocks, one pass", len(b.blocks)), b.blocks,
			camviz.MethodGradCAM, nil, ""},
		{"gradcampp", "Grad-CAM++ at " + b.last, []string{b.last}, camviz.MethodGradCAMPlusPlus, nil, ""},
		{"eigencam", "Eigen-CAM at " + b.last, []string{b.last}, camviz.MethodEigenCAM, goalEigenCAM, ""},
	}
	runs := []func() error{runFwd}
	convs := map[string]int64{}
	for _, mt := range methods {
		ex, err := b.m.Explainer(b.backend, mt.layers, mt.m)
		if err != nil {
			return nil, err
		}
		n, err := b.convsDuring(func() error {
			_, err := ex.EstimateMemory(camviz.ArgmaxTarget(), img.Shape().Dimensions...) // builds and compiles
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mt.name, err)
		}
		convs[mt.key] = n
		runs = append(runs, func() error {
			if _, err := ex.Explain(img, camviz.ArgmaxTarget()); err != nil {
				return fmt.Errorf("%s: %w", mt.name, err)
			}
			return nil
		})
	}
	ts, err := measureAll(o.Warmup, o.Reps, runs...)
	if err != nil {
		return nil, err
	}
	tf := ts[0]
	fwdRow := row{ID: id("forward"), Section: sec, Name: "forward", Value: ms(tf.Wall), Unit: "ms", CPU: ms(tf.CPU)}
	if batch == 1 {
		fwdRow.Ref = refForward
	}
	rows = append(rows, fwdRow)
	times := map[string]timing{}
	for i, mt := range methods {
		t := ts[i+1]
		times[mt.key] = t
		r := row{ID: id(mt.key), Section: sec, Name: mt.name, Value: ms(t.Wall), Unit: "ms", CPU: ms(t.CPU)}
		if batch == 1 {
			r.Goal, r.Ref = mt.goal, mt.ref
		}
		rows = append(rows, r)
	}
	one, all := times["gradcam"], times["gradcam-blocks"]
	ratio := row{ID: id("ratio-gradcam-forward"), Section: sec, Name: "Grad-CAM / forward",
		Value: one.Wall.Seconds() / tf.Wall.Seconds(), Unit: "x"}
	blocks := row{ID: id("ratio-blocks-one"), Section: sec, Name: fmt.Sprintf("all %d blocks / one block", len(b.blocks)),
		Value: all.Wall.Seconds() / one.Wall.Seconds(), Unit: "x"}
	if batch == 1 {
		ratio.Ref, blocks.Goal = refGradPerFwd, goalAllBlocks
	}
	if fwdConvs >= 0 {
		ratio.Note = fmt.Sprintf("convolutions built: forward %d, Grad-CAM %d (the backward pass to %s has none)",
			fwdConvs, convs["gradcam"], b.last)
		blocks.Note = fmt.Sprintf("convolutions: %d built = %d forward + %d backward (GoMLX's convolution VJP builds "+
			"input and kernel gradients; nothing uses the kernel ones, so the Go backend never runs them)",
			convs["gradcam-blocks"], fwdConvs, convs["gradcam-blocks"]-fwdConvs)
	}
	return append(rows, ratio, blocks), nil
}

// scoreCAMRows measures Score-CAM at the last block, batch 1, with the chunk
// camviz chooses for Config.MemoryBudget = budget (0: the default, the goal's
// row), and the peak RSS of the section so far (run resets it before each
// Score-CAM section) against the budget + 300 MiB and against the estimate
// Result.Memory reports.
func (b *resnetBench) scoreCAMRows(budget int64) ([]row, error) {
	s := b.opts.Spec.InputSize
	r := row{ID: "resnet/b1/scorecam", Section: b.section(1), Name: "Score-CAM at " + b.last, Unit: "s",
		Goal: goalScoreCAM, Ref: refScoreCAM}
	effective := budget
	if budget == 0 {
		effective = camviz.DefaultMemoryBudget
	}
	tag := fmt.Sprintf("%dMiB", effective>>20)
	mem := row{ID: "resnet/b1/scorecam-rss-" + tag, Section: b.section(1), Unit: "MiB",
		Name: fmt.Sprintf("Score-CAM peak RSS, MemoryBudget %s", formatMiB(effective)),
		Goal: &goal{Limit: float64(effective+scoreCAMSlack) / (1 << 20), AtMost: true}}
	if budget > 0 {
		r = row{ID: "resnet/b1/scorecam-" + tag, Section: b.section(1), Unit: "s",
			Name: fmt.Sprintf("Score-CAM at %s, Config.MemoryBudget = %s", b.last, formatMiB(budget))}
	}
	if !b.opts.ScoreCAM {
		r.Value, mem.Value = nan(), nan()
		r.Note = "skipped (-quick or -scorecam=false): it runs one forward pass per channel"
		mem.Note = r.Note
		return []row{r, mem}, nil
	}
	img := randomTensor(b.rng, 1, s[0], s[1], s[2])
	start, startErr := currentRSS() // run reset the peak to it (startMemorySection)
	cfg := b.m.Config([]string{b.last}, camviz.MethodScoreCAM)
	cfg.MemoryBudget = budget
	ex, err := camviz.NewExplainer(b.backend, b.m.Store, b.m.Fn, cfg)
	if err != nil {
		return nil, err
	}
	est, err := ex.EstimateMemory(camviz.ArgmaxTarget(), img.Shape().Dimensions...) // builds and compiles
	if err != nil {
		return nil, fmt.Errorf("Score-CAM: %w", err)
	}
	explain := func() error {
		_, err := ex.Explain(img, camviz.ArgmaxTarget())
		return err
	}
	// The first call fills the backend's buffer pools for the chunks' shapes;
	// later calls (more images) reuse them. Both are reported.
	first, err := measure(0, 1, explain)
	if err != nil {
		return nil, fmt.Errorf("Score-CAM: %w", err)
	}
	t, err := measure(0, b.opts.ScoreReps, explain)
	if err != nil {
		return nil, fmt.Errorf("Score-CAM: %w", err)
	}
	r.Value, r.CPU = t.Wall.Seconds(), ms(t.CPU)
	if len(est) == 1 {
		e := est[0]
		runs := fmt.Sprintf("second call (the first, after compiling: %.1f s, CPU %.1f s, %.2f× the later)",
			first.Wall.Seconds(), first.CPU.Seconds(), first.Wall.Seconds()/t.Wall.Seconds())
		if t.Reps > 1 {
			runs = fmt.Sprintf("median of calls 2-%d (the first, after compiling: %.1f s, CPU %.1f s, %.2f× the later)",
				t.Reps+1, first.Wall.Seconds(), first.CPU.Seconds(), first.Wall.Seconds()/t.Wall.Seconds())
		}
		r.Note = fmt.Sprintf("%s; %d passes in %d chunks of %d (camviz's choice for its %s memory budget); estimated peak %s",
			runs, e.Passes, e.Chunks, e.ChunkSize, formatMiB(e.Budget), formatMiB(e.PeakBytes))
		ratio := row{ID: "resnet/b1/scorecam-rss-estimate-" + tag, Section: b.section(1), Unit: "x",
			Name:  fmt.Sprintf("Score-CAM RSS growth / Result.Memory's estimate, MemoryBudget %s", formatMiB(effective)),
			Value: nan()}
		if peak, err := peakRSS(); err == nil && startErr == nil {
			mem.Value = float64(peak) / (1 << 20)
			mem.Note = fmt.Sprintf("VmHWM of the section (compile and %d calls), %s at its start", 1+t.Reps, formatMiB(start))
			ratio.Value = float64(peak-start) / float64(e.PeakBytes)
			ratio.Note = fmt.Sprintf("growth %s (VmHWM − RSS at the section's start); estimate %s = %s for the passes "+
				"(%d × %s + %s, within the budget) + %s compiled graph (%d chunks) + %s weights' copies; "+
				"absolute VmHWM / estimate %.2f×", formatMiB(peak-start), formatMiB(e.PeakBytes),
				formatMiB(e.BaseBytes+int64(e.ChunkSize)*e.BytesPerPass), e.ChunkSize, formatMiB(e.BytesPerPass),
				formatMiB(e.BaseBytes), formatMiB(e.GraphBytes), e.Chunks, formatMiB(e.WeightBytes),
				float64(peak)/float64(e.PeakBytes))
		} else {
			mem.Value, mem.Note = nan(), fmt.Sprint(errors.Join(err, startErr))
		}
		return []row{r, mem, ratio}, nil
	}
	return []row{r, mem}, nil
}

// initVariables runs one forward pass on a throw-away graph if the model's
// variables have no values yet (the first graph initialises them).
func (b *resnetBench) initVariables(newFwd func() (*model.Exec, error), img *tensors.Tensor) error {
	if b.initialised {
		return nil
	}
	e, err := newFwd()
	if err != nil {
		return err
	}
	defer e.Finalize()
	out, err := e.Exec(img)
	for _, t := range out {
		t.FinalizeAll()
	}
	if err == nil {
		b.initialised = true
	}
	return err
}

func formatMiB(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
