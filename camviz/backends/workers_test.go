package backends

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	rtrace "runtime/trace"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"golang.org/x/exp/trace"
)

// productWorkers runs one 512×2048 · 2048×512 matrix product on the backend of config
// (GOMAXPROCS 2, set before the backend is made, as its worker pool reads it) under
// runtime/trace and returns how many goroutines the product fanned out to: those created
// from the Go backend's workerspool.Saturate.
func productWorkers(t *testing.T, config string) int {
	t.Helper()
	saved := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(saved)
	b, err := NewFromConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	const m, k, n = 512, 2048, 512
	lhs := tensors.FromFlatDataAndDimensions(make([]float32, m*k), m, k)
	rhs := tensors.FromFlatDataAndDimensions(make([]float32, k*n), k, n)
	e, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	if _, err := e.Call(lhs, rhs); err != nil { // compile outside the trace
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skipf("runtime/trace unavailable (another trace running?): %v", err)
	}
	out, err := e.Call(lhs, rhs)
	rtrace.Stop()
	if err != nil {
		t.Fatal(err)
	}
	out[0].FinalizeAll()
	r, err := trace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	workers := 0
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		if from, to := st.Goroutine(); from != trace.GoNotExist || to != trace.GoRunnable {
			continue
		}
		for f := range ev.Stack().Frames() {
			if strings.Contains(f.Func, "workerspool.(*Pool).Saturate") {
				workers++
				break
			}
		}
	}
	return workers
}

// TestProductsUseEveryCore checks the reason for GoConfig: on camviz's default backend
// (two op executors) a matrix product fans out to three workers on 2 cores (the extra
// executor holds one of the pool's four slots), with "go:sequential" to four, while with
// the Go backend's own op scheduling ("go:parallelops") the executors hold all but one
// slot of the worker pool and the product gets one (as measured for ResNet-18: one worker
// for each of its 20 products per forward pass). If the last check starts failing, the
// Go backend has changed how it schedules, and GoConfig's reason should be re-checked.
func TestProductsUseEveryCore(t *testing.T) {
	if got := productWorkers(t, ""); got < 2 {
		t.Errorf("default backend (%s): the product ran on %d worker goroutines, want at least 2 on 2 cores", GoConfig, got)
	}
	if got := productWorkers(t, "go:sequential"); got < 2 {
		t.Errorf("go:sequential (%s): the product ran on %d worker goroutines, want at least 2 on 2 cores",
			SequentialGoConfig, got)
	}
	if got := productWorkers(t, "go:parallelops"); got != 1 {
		t.Errorf("go:parallelops: the product ran on %d worker goroutines; the Go backend's executors used to leave it 1", got)
	}
}
