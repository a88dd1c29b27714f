package camviz

import (
	"reflect"
	"unsafe"

	"github.com/gomlx/gomlx/core/graph"
)

// withClosureScalars runs build (which builds a graph.NewClosure) with g's cache of
// scalar constants emptied, and restores the cache afterwards; it reports false, without
// calling build, when the cache cannot be found (a GoMLX whose Graph differs from
// v0.28.16's), and the caller then builds without closures.
//
// Why: GoMLX v0.28.16 caches the nodes of graph.Scalar (used by AddScalar, MulScalar,
// MinScalar, …) per graph and value, not per function. A scalar first made inside a
// closure is then returned to the main function, or to another closure, which cannot
// use it ("input #1 uses a node from a different function scope"). With the cache empty
// while the closure is built, the closure's scalars are its own and are forgotten after.
// Reproduction: docs/performance.md, "Upstream findings".
func withClosureScalars(g *graph.Graph, build func()) bool {
	field := reflect.ValueOf(g).Elem().FieldByName("scalars")
	if !field.IsValid() || field.Kind() != reflect.Map {
		return false
	}
	cache := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	saved := reflect.ValueOf(cache.Interface())
	cache.Set(reflect.MakeMap(field.Type()))
	defer cache.Set(saved)
	build()
	return true
}
