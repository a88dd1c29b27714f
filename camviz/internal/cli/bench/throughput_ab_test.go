package bench

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// decodeResizeBefore and overlayEncodeBefore are the pipeline's stages as they were
// before the 2026-11-30 throughput round (through datasets.FromImage's float
// picture, heatmap.ImageFromHWC and heatmap.Overlay): the baseline of
// BenchmarkThroughputPipelineAB and the reference of the stages' equality tests.
func decodeResizeBefore(b []byte, h, w int) ([]float32, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	pix, ih, iw := datasets.FromImage(img)
	return datasets.ResizeBilinear(pix, ih, iw, 3, h, w)
}

func overlayEncodeBefore(buf *bytes.Buffer, pix []float32, m *heatmap.Map, h, w int) (int, error) {
	img, err := heatmap.ImageFromHWC(h, w, 3, pix, 0, 1)
	if err != nil {
		return 0, err
	}
	out, err := heatmap.Overlay(img, m, heatmap.Jet, 0.5)
	if err != nil {
		return 0, err
	}
	buf.Reset()
	if err := heatmap.EncodePNG(buf, out); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

// explainPipelineBefore is explainPipeline with the stages as they were before the
// round, one image per Explain call.
func explainPipelineBefore(ex *camviz.Explainer, layer string, sources [][]byte, n, h, w int) (time.Duration, int64, error) {
	return runPipeline(ex, layer, sources, n, h, w, 1, decodeResizeBefore, overlayEncodeBefore)
}

// BenchmarkThroughputPipelineAB runs, interleaved (b.N rounds, each running every
// variant in turn on $CAMVIZ_THROUGHPUT_N images, default 100), the full-size
// ResNet-18 224² forward pass alone, Grad-CAM at layer4.1 alone (Explain on one
// tensor, no decoding or encoding), the throughput pipeline as it was before the
// 2026-11-30 round ("before") and as it is ("after"), and for every batch size of
// $CAMVIZ_THROUGHPUT_BATCHES (default 1; e.g. "1,2,4": n should be a multiple) the
// forward pass and the pipeline at that batch, and the batch-1 pipeline with its
// stages yielding (yieldStages, -throughput-yield), in one process on one model. It
// prints the median rate and CPU per image of each and its ratio to the batch-1
// forward-only rate. $CAMVIZ_THROUGHPUT_ONLY keeps the variants whose name contains it
// (the first kept is then the ratios' reference). For an idle machine, e.g.:
//
//	CAMVIZ_THROUGHPUT_BATCHES=1,2,4 go test -run '^$' -bench ThroughputPipelineAB -benchtime 5x ./camviz/internal/cli/bench/
func BenchmarkThroughputPipelineAB(b *testing.B) {
	n := 100
	if s := os.Getenv("CAMVIZ_THROUGHPUT_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("$CAMVIZ_THROUGHPUT_N=%q: want a positive number of images", s)
		}
	}
	backend, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	rb, err := newResNetBench(defaultOptions(), backend)
	if err != nil {
		b.Fatal(err)
	}
	h, w := rb.opts.Spec.InputSize[0], rb.opts.Spec.InputSize[1]
	sources, err := sourcePNGs(h, w)
	if err != nil {
		b.Fatal(err)
	}
	ex, err := rb.m.Explainer(backend, []string{rb.last}, camviz.MethodGradCAM)
	if err != nil {
		b.Fatal(err)
	}
	newFwd := func() (*model.Exec, error) {
		return model.NewExec(backend, rb.m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return rb.m.Fn(scope, x)
		})
	}
	img := randomTensor(rb.rng, 1, h, w, 3)
	// As in the bench: the timed graphs are compiled once the variables have values,
	// so that both embed the weights as constants.
	if err := rb.initVariables(newFwd, img); err != nil {
		b.Fatal(err)
	}
	fwd, err := newFwd()
	if err != nil {
		b.Fatal(err)
	}
	defer fwd.Finalize()
	type variant struct {
		name string
		fn   func() error
	}
	forward := func(batch int) variant {
		img := randomTensor(rb.rng, batch, h, w, 3)
		return variant{fmt.Sprintf("forward only b%d", batch), func() error {
			for range n / batch {
				out, err := fwd.Exec(img)
				for _, t := range out {
					t.FinalizeAll()
				}
				if err != nil {
					return err
				}
			}
			return nil
		}}
	}
	variants := []variant{forward(1),
		{"Grad-CAM only b1", func() error {
			for range n {
				if _, err := ex.Explain(img, camviz.ArgmaxTarget()); err != nil {
					return err
				}
			}
			return nil
		}},
		{"pipeline before", func() error {
			_, _, err := explainPipelineBefore(ex, rb.last, sources, n, h, w)
			return err
		}},
	}
	batches := []int{1}
	if s := os.Getenv("CAMVIZ_THROUGHPUT_BATCHES"); s != "" {
		if batches, err = parseBatches(s); err != nil {
			b.Fatalf("$CAMVIZ_THROUGHPUT_BATCHES: %v", err)
		}
	}
	for _, batch := range batches {
		if batch != 1 {
			variants = append(variants, forward(batch))
		}
		variants = append(variants, variant{fmt.Sprintf("pipeline after b%d", batch), func() error {
			_, _, err := explainPipeline(ex, rb.last, sources, n, h, w, batch)
			return err
		}})
	}
	variants = append(variants, variant{"after b1, yielding", func() error {
		yieldStages = true
		defer func() { yieldStages = false }()
		_, _, err := explainPipeline(ex, rb.last, sources, n, h, w, 1)
		return err
	}})
	if only := os.Getenv("CAMVIZ_THROUGHPUT_ONLY"); only != "" { // e.g. for a CPU profile of one variant
		var kept []variant
		for _, v := range variants {
			if strings.Contains(v.name, only) {
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			b.Fatalf("$CAMVIZ_THROUGHPUT_ONLY=%q matches no variant", only)
		}
		variants = kept
	}
	// Allocation and collections of every call, the warm-up's included.
	allocs, gcs := make([]uint64, len(variants)), make([]uint32, len(variants))
	calls := make([]int, len(variants))
	fns := make([]func() error, len(variants))
	for i, v := range variants {
		fns[i] = func() error {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			err := v.fn()
			runtime.ReadMemStats(&m1)
			allocs[i] += m1.TotalAlloc - m0.TotalAlloc
			gcs[i] += m1.NumGC - m0.NumGC
			calls[i]++
			return err
		}
	}
	b.ResetTimer()
	times, err := measureAll(1, b.N, fns...)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	fwdRate := float64(n) / times[0].Wall.Seconds()
	for i, v := range variants {
		rate := float64(n) / times[i].Wall.Seconds()
		images := float64(calls[i] * n)
		fmt.Printf("%-18s %6.2f images/s  CPU %6.2f ms/image  (%.2f cores busy)  / forward only b1: %.3f×  %.2f MB allocated, %.3f collections per image\n",
			v.name, rate, ms(times[i].CPU)/float64(n), float64(times[i].CPU)/float64(times[i].Wall), rate/fwdRate,
			float64(allocs[i])/1e6/images, float64(gcs[i])/images)
	}
}

// TestThroughputBatchRows runs the throughput rows on a tiny ResNet-18 with Explain
// on 2 images at a time, 5 images (so the last call takes 1) and the stages yielding:
// the three rows are there, positive, named so, and the ratios are the rows' own
// quotients.
func TestThroughputBatchRows(t *testing.T) {
	opts := defaultOptions()
	opts.Spec, opts.Throughput, opts.ThroughputBatch, opts.ThroughputYield = tinyResNet18(), 5, 2, true
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := newResNetBench(opts, backend)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := rb.throughputRows()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]row{}
	for _, r := range rows {
		byID[r.ID] = r
		if !(r.Value > 0) {
			t.Errorf("row %s = %v, want a positive value", r.ID, r.Value)
		}
	}
	pipe, ratio, same := byID["throughput/pipeline"], byID["throughput/ratio"], byID["throughput/ratio-same-batch"]
	if len(rows) != 3 || same.ID == "" {
		t.Fatalf("rows %v; want pipeline, ratio and ratio-same-batch", rows)
	}
	if yieldStages {
		t.Error("yieldStages is still set after the row")
	}
	if !strings.Contains(pipe.Name, "2 images at a time") || !strings.Contains(pipe.Name, "yielding") ||
		!strings.Contains(same.Name, "batch 2") {
		t.Errorf("names %q, %q do not give the batch", pipe.Name, same.Name)
	}
	var fwd1, fwd2 float64
	if _, err := fmt.Sscanf(pipe.Note[strings.Index(pipe.Note, "forward only: "):], "forward only: %g", &fwd1); err != nil {
		t.Fatalf("note %q: %v", pipe.Note, err)
	}
	if _, err := fmt.Sscanf(same.Note, "forward only at batch 2: %g", &fwd2); err != nil {
		t.Fatalf("note %q: %v", same.Note, err)
	}
	// The notes print one decimal: the ratios agree with them to that precision.
	if r := pipe.Value / fwd1; math.Abs(r-ratio.Value) > 0.06*r+0.01 {
		t.Errorf("ratio %v, but pipeline %v / forward %v = %v", ratio.Value, pipe.Value, fwd1, r)
	}
	if r := pipe.Value / fwd2; math.Abs(r-same.Value) > 0.06*r+0.01 {
		t.Errorf("same-batch ratio %v, but pipeline %v / forward %v = %v", same.Value, pipe.Value, fwd2, r)
	}
}

func TestThroughputBatchFlag(t *testing.T) {
	var stderr strings.Builder
	if code := Main([]string{"-throughput-batch", "0"}, io.Discard, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "-throughput-batch 0") {
		t.Errorf("-throughput-batch 0: exit %d, %q; want 1 and an error naming the flag", code, stderr.String())
	}
}
