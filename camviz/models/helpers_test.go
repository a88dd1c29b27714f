package models

import (
	"sync"
	"testing"

	"github.com/camviz/camviz/camviz/backends"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

var testBackend struct {
	once    sync.Once
	backend compute.Backend
	err     error
}

// newTestBackend returns the package's test backend: one instance for all tests, since
// a model's variables live on the backend that first used them.
func newTestBackend(t testing.TB) compute.Backend {
	t.Helper()
	testBackend.once.Do(func() { testBackend.backend, testBackend.err = backends.New() })
	if testBackend.err != nil {
		t.Fatal(testBackend.err)
	}
	return testBackend.backend
}

// graphShape is x's batch size followed by dims, in x's dtype.
func graphShape(x *graph.Node, dims ...int) shapes.Shape {
	return shapes.Make(x.DType(), append([]int{x.Shape().Dimensions[0]}, dims...)...)
}
