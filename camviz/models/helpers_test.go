package models

import (
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

func newTestBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := camviz.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// graphShape is x's batch size followed by dims, in x's dtype.
func graphShape(x *graph.Node, dims ...int) shapes.Shape {
	return shapes.Make(x.DType(), append([]int{x.Shape().Dimensions[0]}, dims...)...)
}
