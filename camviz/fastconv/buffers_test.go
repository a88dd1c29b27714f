package fastconv

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBuffersReportWrapper checks that buffers made by the wrapper (directly or as graph
// outputs) report the wrapper as their backend, and that a variable initialised by one
// graph feeds the next one: GoMLX refuses tensors from "another" backend instance.
func TestBuffersReportWrapper(t *testing.T) {
	inner, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	w := Wrap(inner)
	buf, err := w.BufferFromFlatData(0, []float32{1, 2}, shapes.Make(dtypes.Float32, 2))
	if err != nil {
		t.Fatal(err)
	}
	if buf.Backend() != w {
		t.Fatalf("BufferFromFlatData's buffer reports %v, want the wrapper", buf.Backend())
	}
	store := model.NewStore()
	fn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		v := scope.VariableWithShape("w", shapes.Make(dtypes.Float32, 2))
		return graph.Add(x, v.NodeValue(x.Graph()))
	}
	for i := 0; i < 2; i++ { // the second Exec reuses the variable initialised by the first
		out, err := model.CallOnce(w, store, fn, tensors.FromValue([]float32{1, 1}))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if got := tensors.MustCopyFlatData[float32](out); got[0] != 1 || got[1] != 1 {
			t.Fatalf("run %d: got %v, want [1 1] (zero-initialised bias)", i, got)
		}
	}
}
