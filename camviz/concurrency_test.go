package camviz_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/ml/model"
)

// TestExplainConcurrent checks the Explainer's concurrency contract: 8 goroutines share
// one Explainer and call Explain at once with different shapes and targets (and a
// graph cache of 2, so graphs are evicted while other calls use them); every result
// must equal the same call made alone, one after the other. Run with -race in CI.
func TestExplainConcurrent(t *testing.T) {
	cfg := camviz.Config{Layers: []string{"a2"},
		Methods:           []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodEigenCAM},
		MaxCompiledGraphs: 2}
	type call struct {
		x      []float32
		dims   []int
		target camviz.Target
	}
	var calls []call
	for i := range 24 {
		h := 1 + i%3
		targets := []camviz.Target{camviz.ArgmaxTarget(), camviz.ClassTarget(i % 2), camviz.SoftmaxTarget(1 - i%2)}
		calls = append(calls, call{randomImages(uint64(100+i), 2, h, 2), []int{2, h, 2, 2}, targets[i%3]})
	}
	run := func(ex *camviz.Explainer, c call) ([]float32, error) {
		res, err := ex.ExplainFloats(c.x, c.dims, c.target)
		if err != nil {
			return nil, err
		}
		var out []float32
		for _, m := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodEigenCAM} {
			raw, err := res.Raw("a2", m)
			if err != nil {
				return nil, err
			}
			for _, mp := range raw {
				out = append(out, mp.Data...)
			}
		}
		for _, l := range res.Logits {
			out = append(out, l...)
		}
		return out, nil
	}
	seq, err := camviz.NewExplainer(testBackend, model.NewStore(), tinyModel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]float32, len(calls))
	for i, c := range calls {
		if want[i], err = run(seq, c); err != nil {
			t.Fatal(err)
		}
	}
	shared, err := camviz.NewExplainer(testBackend, model.NewStore(), tinyModel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(calls))
	for g := range 8 {
		wg.Go(func() {
			for k := range calls {
				i := (k + 3*g) % len(calls) // each goroutine in its own order
				got, err := run(shared, calls[i])
				if err != nil {
					errs <- fmt.Errorf("goroutine %d, call %d: %w", g, i, err)
					return
				}
				if !closeTo(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d, call %d (%v, %s): maps differ from the sequential run", g, i, calls[i].dims, calls[i].target)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := shared.CompiledGraphs(); n > 2 {
		t.Errorf("%d compiled graphs kept, MaxCompiledGraphs is 2", n)
	}
}

// closeTo compares maps to float32 rounding: the same graph on the same input, so any
// real difference (a race, a mixed-up cache entry) is far larger.
func closeTo(got, want []float32) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6*(1+math.Abs(float64(want[i]))) {
			return false
		}
	}
	return true
}
