package bench

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// goalThroughput: the pipeline keeps the model busy, at least 0.9× the
// forward-only rate.
var goalThroughput = &goal{Limit: 0.9}

// throughputSources is how many distinct PNG files the pipeline cycles through
// (encoded once, before timing; decoding costs the same for each).
const throughputSources = 16

// decoded is one input of the pipeline after decoding and resizing.
type decoded struct {
	pix []float32 // H×W×3 in [0, 1]
	err error
}

// explained is one Explain call's result with its pictures, on its way to the
// encoder (which post-processes the maps, so that the model's goroutine only runs
// the model).
type explained struct {
	pix [][]float32
	r   *camviz.Result
}

// sourcePNGs encodes throughputSources textured pictures of 8/7 the model's
// input size (so that every image is resized, as a 256² photograph is for a
// 224² model), shifted so that they differ.
func sourcePNGs(h, w int) ([][]byte, error) {
	sh, sw := h*8/7, w*8/7
	base := texturedImage(max(sh, sw) + throughputSources)
	var out [][]byte
	for i := range throughputSources {
		sub := base.SubImage(image.Rect(i, i, i+sw, i+sh))
		var buf bytes.Buffer
		if err := png.Encode(&buf, sub); err != nil {
			return nil, err
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}

// pixPool recycles the pipeline's h×w×3 float32 pictures: the decoder takes one,
// the encoder gives it back once the overlay is drawn.
var pixPool sync.Pool

// yieldStages (-throughput-yield) makes the pipeline's decoding and encoding goroutines
// yield their core (runtime.Gosched) between small pieces of work, so that a model
// worker made runnable meanwhile waits for a processor about 0.1 ms instead of up to
// the rest of a 2-3 ms decode: Go has no goroutine priorities, and the scheduler
// otherwise preempts a running goroutine only after 10 ms. Each Gosched also wakes an
// idle processor (runtime.wakep), which costs CPU when one is idle: ≈ 2 ms per image at
// load 3-5 (docs/performance.md). Off by default; what it does to the wall time on an
// idle machine is not measured: the bench flag and BenchmarkThroughputPipelineAB's
// "yielding" variant are that A/B.
var yieldStages = false

// yieldingReader is r that yields the processor before each Read when yieldStages
// is set. image/png reads a PNG's compressed data through a 4 kB buffer, so the
// decoder yields about every 4 kB of input (≈ 0.1 ms of decoding).
type yieldingReader struct{ r io.Reader }

func (y *yieldingReader) Read(p []byte) (int, error) {
	if yieldStages {
		runtime.Gosched()
	}
	return y.r.Read(p)
}

// yield yields the processor when yieldStages is set (between the encoder's stages).
func yield() {
	if yieldStages {
		runtime.Gosched()
	}
}

// decodeResize is the pipeline's first stage: PNG bytes to an h×w×3 float32 image,
// resized straight from the decoded 8-bit pixels (datasets.FromImageResized: the
// values of FromImage then ResizeBilinear, bit for bit) into a recycled buffer.
func decodeResize(b []byte, h, w int) ([]float32, error) {
	img, err := png.Decode(&yieldingReader{r: bytes.NewReader(b)})
	if err != nil {
		return nil, err
	}
	dst, _ := pixPool.Get().([]float32)
	return datasets.FromImageResized(img, h, w, dst)
}

// overlayEncode is the last stage: the map over its picture (Jet, alpha 0.5),
// encoded as PNG into buf with Huffman-only compression (heatmap.PNGHuffmanOnly:
// the same pixels as EncodePNG's BestSpeed, about half its CPU and a smaller file
// for these overlays); it returns the PNG's size.
func overlayEncode(buf *bytes.Buffer, pix []float32, m *heatmap.Map, h, w int) (int, error) {
	img, err := heatmap.ImageFromHWC(h, w, 3, pix, 0, 1)
	if err != nil {
		return 0, err
	}
	out, err := heatmap.Overlay(img, m, heatmap.Jet, 0.5)
	if err != nil {
		return 0, err
	}
	buf.Reset()
	yield()
	if err := heatmap.EncodePNGCompressed(buf, out, heatmap.PNGHuffmanOnly); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

// explainPipeline explains n images end to end — decode PNG → resize → Grad-CAM
// at layer, batch images per Explain call (the last call takes what is left) →
// post-process → overlay → PNG — as three goroutine stages joined by buffered
// channels, so that decoding, post-processing and encoding overlap with the model.
// It returns the wall time and the bytes of PNG written.
func explainPipeline(ex *camviz.Explainer, layer string, sources [][]byte, n, h, w, batch int) (time.Duration, int64, error) {
	return runPipeline(ex, layer, sources, n, h, w, batch, decodeResize, overlayEncode)
}

// decodeStage and encodeStage are the first and last stages of runPipeline (decodeResize
// and overlayEncode, or the benchmarks' earlier versions).
type (
	decodeStage func(b []byte, h, w int) ([]float32, error)
	encodeStage func(buf *bytes.Buffer, pix []float32, m *heatmap.Map, h, w int) (int, error)
)

// runPipeline is explainPipeline with the given first and last stages.
func runPipeline(ex *camviz.Explainer, layer string, sources [][]byte, n, h, w, batch int,
	decode decodeStage, encode encodeStage) (time.Duration, int64, error) {
	start := time.Now()
	in := make(chan decoded, 4*batch)
	go func() {
		defer close(in)
		for i := range n {
			pix, err := decode(sources[i%len(sources)], h, w)
			in <- decoded{pix, err}
			if err != nil {
				return
			}
		}
	}()
	out := make(chan explained, 4)
	done := make(chan error, 1)
	var written int64
	go func() {
		var buf bytes.Buffer
		var firstErr error
		for e := range out {
			if firstErr != nil {
				continue // drain
			}
			yield()
			maps, err := e.r.Final(layer, camviz.MethodGradCAM)
			if err != nil {
				firstErr = err
				continue
			}
			for i, pix := range e.pix {
				yield()
				nb, err := encode(&buf, pix, maps[i], h, w)
				pixPool.Put(pix)
				written += int64(nb)
				if err != nil {
					firstErr = err
					break
				}
			}
		}
		done <- firstErr
	}()
	var err error
	images := make([]float32, 0, batch*h*w*3)
	var pending [][]float32
	explain := func() error {
		flat := pending[0] // batch 1: no concatenation (the tensor copies it anyway)
		if len(pending) > 1 {
			images = images[:0]
			for _, p := range pending {
				images = append(images, p...)
			}
			flat = images
		}
		r, err := ex.Explain(tensors.FromFlatDataAndDimensions(flat, len(pending), h, w, 3), camviz.ArgmaxTarget())
		if err != nil {
			return err
		}
		out <- explained{pending, r}
		pending = nil
		return nil
	}
	for d := range in {
		if err = d.err; err != nil {
			break
		}
		pending = append(pending, d.pix)
		if len(pending) == batch {
			if err = explain(); err != nil {
				break
			}
		}
	}
	if err == nil && len(pending) > 0 {
		err = explain()
	}
	close(out)
	for range in { // let the decoder finish after an error
	}
	if encErr := <-done; err == nil {
		err = encErr
	}
	return time.Since(start), written, err
}

// throughputRows measures the pipeline on opts.Throughput images, Explain called on
// opts.ThroughputBatch images at a time, and the batch-1 forward pass alone on as many
// images (half before the pipeline and half after, so that a change of load on a
// shared machine weighs on both alike). With a batch above 1 the forward pass is also
// measured at that batch, for a third row: the pipeline against the forward-only
// rate of the same batch, which leaves out what batching itself gains.
func (b *resnetBench) throughputRows() ([]row, error) {
	n := b.opts.Throughput
	batch := max(b.opts.ThroughputBatch, 1)
	s := b.opts.Spec.InputSize
	h, w := s[0], s[1]
	sec := "Throughput: explain images end to end, " + b.section(1)
	pipeRow := row{ID: "throughput/pipeline", Section: sec, Unit: "images/s",
		Name: fmt.Sprintf("%d PNGs: decode → resize → Grad-CAM at %s → overlay → PNG", n, b.last)}
	if batch > 1 {
		pipeRow.Name += fmt.Sprintf(" (Explain on %d images at a time)", batch)
	}
	if b.opts.ThroughputYield {
		pipeRow.Name += " (stages yielding)"
	}
	ratioRow := row{ID: "throughput/ratio", Section: sec, Unit: "x", Goal: goalThroughput,
		Name: "pipeline rate / forward-only rate"}
	sameRow := row{ID: "throughput/ratio-same-batch", Section: sec, Unit: "x",
		Name: fmt.Sprintf("pipeline rate / forward-only rate at batch %d", batch)}
	rows := func() []row {
		if batch > 1 {
			return []row{pipeRow, ratioRow, sameRow}
		}
		return []row{pipeRow, ratioRow}
	}
	if n <= 0 {
		for _, r := range []*row{&pipeRow, &ratioRow, &sameRow} {
			r.Value, r.Note = nan(), "skipped (-throughput 0)"
		}
		return rows(), nil
	}
	sources, err := sourcePNGs(h, w)
	if err != nil {
		return nil, err
	}
	ex, err := b.m.Explainer(b.backend, []string{b.last}, camviz.MethodGradCAM)
	if err != nil {
		return nil, err
	}
	newFwd := func() (*model.Exec, error) {
		return model.NewExec(b.backend, b.m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return b.m.Fn(scope, x)
		})
	}
	img := randomTensor(b.rng, 1, h, w, 3)
	// Both graphs are compiled once the variables have values (they are, when the
	// batch rows ran first), so that both embed the weights as constants.
	if err := b.initVariables(newFwd, img); err != nil {
		return nil, err
	}
	fwd, err := newFwd()
	if err != nil {
		return nil, err
	}
	defer fwd.Finalize()
	// forwardOnly is the forward pass on one batch size: its input and accumulated times.
	type forwardOnly struct {
		img       *tensors.Tensor
		wall, cpu time.Duration
	}
	measures := map[int]*forwardOnly{1: {img: img}}
	if batch > 1 {
		measures[batch] = &forwardOnly{img: randomTensor(b.rng, batch, h, w, 3)}
	}
	forward := func(bs, k int) error {
		f := measures[bs]
		start, c0 := time.Now(), cpuTime()
		for range max(k/bs, 1) {
			out, err := fwd.Exec(f.img)
			for _, t := range out {
				t.FinalizeAll()
			}
			if err != nil {
				return err
			}
		}
		f.wall += time.Since(start)
		f.cpu += cpuTime() - c0
		return nil
	}
	// Warm up both (compilation, buffer pools).
	for bs := range measures {
		if err := forward(bs, 2*bs); err != nil {
			return nil, err
		}
		measures[bs].wall, measures[bs].cpu = 0, 0
	}
	if _, _, err := explainPipeline(ex, b.last, sources, 2*batch, h, w, batch); err != nil {
		return nil, fmt.Errorf("throughput pipeline: %w", err)
	}
	for bs := range measures {
		if err := forward(bs, n/2); err != nil {
			return nil, err
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0 := cpuTime()
	yieldStages = b.opts.ThroughputYield
	defer func() { yieldStages = false }()
	pipe, written, err := explainPipeline(ex, b.last, sources, n, h, w, batch)
	cpu := cpuTime() - c0
	runtime.ReadMemStats(&ms1)
	if err != nil {
		return nil, fmt.Errorf("throughput pipeline: %w", err)
	}
	for bs := range measures {
		if err := forward(bs, n-n/2); err != nil {
			return nil, err
		}
	}
	rate := func(bs int) float64 { // images per second
		images := max(n/2/bs, 1)*bs + max((n-n/2)/bs, 1)*bs
		return float64(images) / measures[bs].wall.Seconds()
	}
	cpuPerImage := func(bs int) float64 {
		images := max(n/2/bs, 1)*bs + max((n-n/2)/bs, 1)*bs
		return ms(measures[bs].cpu) / float64(images)
	}
	fwdRate := rate(1)
	pipeRow.Value = float64(n) / pipe.Seconds()
	pipeRow.CPU = ms(cpu) / float64(n)
	pipeRow.Note = fmt.Sprintf("%.1f s for %d images, %.1f MB of PNG written; forward only: %.1f images/s (%.1f ms each, CPU %.1f ms)",
		pipe.Seconds(), n, float64(written)/1e6, fwdRate, 1000/fwdRate, cpuPerImage(1)) +
		fmt.Sprintf("; %d garbage collections during the pipeline (%.1f MB allocated per image)",
			ms1.NumGC-ms0.NumGC, float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e6/float64(n))
	ratioRow.Value = pipeRow.Value / fwdRate
	ratioRow.Note = "forward-only rate (batch 1) measured on as many images, half before and half after the pipeline"
	if batch > 1 {
		sameRow.Value = pipeRow.Value / rate(batch)
		sameRow.Note = fmt.Sprintf("forward only at batch %d: %.1f images/s (CPU %.1f ms per image), measured as the batch-1 rate",
			batch, rate(batch), cpuPerImage(batch))
	}
	return rows(), nil
}
