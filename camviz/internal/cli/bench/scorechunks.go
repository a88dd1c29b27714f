package bench

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
)

// scoreChunkLayer is the tap of the chunk-size rows: layer1.1 has 64 channels, so a
// Score-CAM call is 64 masked passes (a few seconds), and a pass costs what one at
// layer4.1 costs (a whole forward pass of a masked 224² image, plus its mask).
const scoreChunkLayer = "layer1.1"

// scoreChunkRows measures Score-CAM's per-pass wall and CPU time for each chunk size
// (Config.ChunkSize, with a budget large enough for all), interleaved: every
// repetition runs each chunk size once in turn, so that load changes weigh alike.
// It is what camviz's choice of chunk (the largest the memory budget allows, capped at
// camviz.FastChunkSize) rests on; see docs/performance.md.
func (b *resnetBench) scoreChunkRows(chunks []int) ([]row, error) {
	if len(chunks) == 0 {
		return nil, nil
	}
	s := b.opts.Spec.InputSize
	layer := scoreChunkLayer
	if !contains(b.m.Layers, layer) {
		layer = b.last
	}
	img := randomTensor(b.rng, 1, s[0], s[1], s[2])
	var runs []func() error
	passes := 0
	for _, c := range chunks {
		cfg := b.m.Config([]string{layer}, camviz.MethodScoreCAM)
		cfg.ChunkSize, cfg.MemoryBudget = c, 8<<30
		ex, err := camviz.NewExplainer(b.backend, b.m.Store, b.m.Fn, cfg)
		if err != nil {
			return nil, err
		}
		est, err := ex.EstimateMemory(camviz.ArgmaxTarget(), img.Shape().Dimensions...)
		if err != nil {
			return nil, fmt.Errorf("Score-CAM chunk %d: %w", c, err)
		}
		passes = est[0].Passes
		runs = append(runs, func() error {
			_, err := ex.Explain(img, camviz.ArgmaxTarget())
			return err
		})
	}
	reps := max(1, min(b.opts.Reps, 3))
	ts, err := measureAll(1, reps, runs...)
	if err != nil {
		return nil, fmt.Errorf("Score-CAM chunk sizes: %w", err)
	}
	sec := fmt.Sprintf("Score-CAM chunk size for speed: %s, %d passes per call, %d×%d, batch 1 (median of %d interleaved calls)",
		layer, passes, s[0], s[1], reps)
	best := 0
	for i, t := range ts {
		if t.CPU < ts[best].CPU {
			best = i
		}
	}
	var rows []row
	for i, c := range chunks {
		t := ts[i]
		r := row{ID: fmt.Sprintf("scorecam-chunk/%d", c), Section: sec, Name: fmt.Sprintf("per pass, chunks of %d", c),
			Value: ms(t.Wall) / float64(passes), CPU: ms(t.CPU) / float64(passes), Unit: "ms",
			Note: fmt.Sprintf("CPU %.2f× the fastest chunk's (%d); a call also runs one ordinary forward pass",
				float64(t.CPU)/float64(ts[best].CPU), chunks[best])}
		rows = append(rows, r)
	}
	return rows, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
