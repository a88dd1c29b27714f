package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkScoreCAMPerPassAB splits Score-CAM's cost into the model and the rest, in
// one process, interleaved (each repetition runs every part in turn; see measureAll),
// on the full-width ResNet-18 at 224²:
//
//   - scorecam: the Explainer's Score-CAM at layer1.1 (64 channels, so 64 masked passes
//     per call) with Config.ChunkSize = chunk ($CAMVIZ_SCORE_AB_CHUNK, default 16);
//   - fwd1: the ordinary forward pass of batch 1 that every Explainer call also runs;
//   - fwdConst, fwdParam: the model's own forward graph at batch = chunk, with the
//     weights as constants (their packing cached) and as parameters (what Score-CAM's
//     chunked graphs get under fastconv's VariablesAsParameters);
//   - masks: camviz.ScoreCAM's own graph with the model replaced by a sum over each
//     masked image: the gathers, the upsampling and normalisation of the masks, the
//     masked-image multiply, the softmax and the weighted sum, with no model at all.
//
// It prints each part's median wall and CPU time, and the residual
//
//	scorecam − fwd1 − passes/chunk · fwdParam − masks
//
// (the chunk loop's own cost, if any). Run it, e.g.:
//
//	go test -run '^$' -bench ScoreCAMPerPassAB -benchtime 5x ./camviz/internal/cli/bench/
//
// $CAMVIZ_SCORE_AB_ONLY (a comma-separated list of the names above) times only those
// parts, for a CPU profile of one of them.
func BenchmarkScoreCAMPerPassAB(b *testing.B) {
	chunk := 16
	if s := os.Getenv("CAMVIZ_SCORE_AB_CHUNK"); s != "" {
		var err error
		if chunk, err = strconv.Atoi(s); err != nil || chunk < 1 {
			b.Fatalf("$CAMVIZ_SCORE_AB_CHUNK=%q: want a positive chunk size", s)
		}
	}
	backend, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	m, err := models.New(models.ResNet18Spec(1000, 224))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	img1 := randomTensor(rng, 1, 224, 224, 3)
	imgN := randomTensor(rng, chunk, 224, 224, 3)

	// Constants: compiled after the variables have values (constForwardExec).
	eConst, runConst := constForwardExec(b, backend, m, imgN)
	b.Cleanup(eConst.Finalize)
	e1, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node { return m.Fn(scope, x) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e1.Finalize)
	run1 := func() error {
		out, err := e1.Exec(img1)
		for _, t := range out {
			t.FinalizeAll()
		}
		return err
	}
	// Parameters: compiled (at its first call) under VariablesAsParameters.
	eParam, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node { return m.Fn(scope, x) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eParam.Finalize)
	vp, ok := backend.(interface{ VariablesAsParameters() (done func()) })
	if !ok {
		b.Fatalf("backend %s has no VariablesAsParameters (not fastconv's)", backends.Describe(backend))
	}
	done := vp.VariablesAsParameters()
	err = runConst(eParam)
	done()
	if err != nil {
		b.Fatal(err)
	}

	// Constants, built with fastconv.SmallProducts off (as graphs under VariablesAsParameters are).
	eNoSmall, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node { return m.Fn(scope, x) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eNoSmall.Finalize)
	savedSmall := fastconv.SmallProducts
	fastconv.SmallProducts = fastconv.SmallProductsOff
	err = runConst(eNoSmall)
	fastconv.SmallProducts = savedSmall
	if err != nil {
		b.Fatal(err)
	}

	const layer = "layer1.1"
	cfg := m.Config([]string{layer}, camviz.MethodScoreCAM)
	cfg.ChunkSize, cfg.MemoryBudget = chunk, 8<<30
	ex, err := camviz.NewExplainer(backend, m.Store, m.Fn, cfg)
	if err != nil {
		b.Fatal(err)
	}
	est, err := ex.EstimateMemory(camviz.ArgmaxTarget(), img1.Shape().Dimensions...)
	if err != nil {
		b.Fatal(err)
	}
	passes := est[0].Passes
	runScore := func() error {
		_, err := ex.Explain(img1, camviz.ArgmaxTarget())
		return err
	}

	// The masks alone: layer1.1's activations are [1, 56, 56, 64].
	acts := randomTensor(rng, 1, 56, 56, 64)
	masks, err := graph.NewExec(backend, func(a, x *graph.Node) *graph.Node {
		raw, _, err := camviz.ScoreCAM(a, x, chunk, func(masked, _ *graph.Node) *graph.Node {
			return graph.ReduceSum(masked, 1, 2, 3)
		})
		if err != nil {
			panic(err)
		}
		return raw
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(masks.Finalize)
	runMasks := func() error {
		out, err := masks.Exec(acts, img1)
		for _, t := range out {
			t.FinalizeAll()
		}
		return err
	}

	names := []string{"scorecam", "fwd1", "fwdConst", "fwdParam", "masks", "fwdConstNoSmall"}
	fns := []func() error{runScore, run1, func() error { return runConst(eConst) }, func() error { return runConst(eParam) }, runMasks,
		func() error { return runConst(eNoSmall) }}
	if only := os.Getenv("CAMVIZ_SCORE_AB_ONLY"); only != "" {
		// For a profile of one part: the others are not timed (and print as zero).
		for i, n := range names {
			if !strings.Contains(","+only+",", ","+n+",") {
				fns[i] = func() error { return nil }
			}
		}
	}
	b.ResetTimer()
	ts, err := measureAll(1, b.N, fns...)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i, n := range names {
		fmt.Printf("%-9s wall %9.2f ms  CPU %9.2f ms\n", n, ms(ts[i].Wall), ms(ts[i].CPU))
	}
	chunks := float64(passes) / float64(chunk)
	resWall := ms(ts[0].Wall) - ms(ts[1].Wall) - chunks*ms(ts[3].Wall) - ms(ts[4].Wall)
	resCPU := ms(ts[0].CPU) - ms(ts[1].CPU) - chunks*ms(ts[3].CPU) - ms(ts[4].CPU)
	fmt.Printf("chunk %d, %d passes: Score-CAM per pass wall %.2f ms CPU %.2f ms; forward per image at batch %d: "+
		"constants %.2f / %.2f ms, parameters %.2f / %.2f ms; masks per pass %.3f / %.3f ms; residual per pass %.2f / %.2f ms\n",
		chunk, passes, ms(ts[0].Wall)/float64(passes), ms(ts[0].CPU)/float64(passes), chunk,
		ms(ts[2].Wall)/float64(chunk), ms(ts[2].CPU)/float64(chunk), ms(ts[3].Wall)/float64(chunk), ms(ts[3].CPU)/float64(chunk),
		ms(ts[4].Wall)/float64(passes), ms(ts[4].CPU)/float64(passes), resWall/float64(passes), resCPU/float64(passes))
}
