package camviz

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// checkFinite returns an error naming the first NaN or Inf in the images.
func checkFinite(images *tensors.Tensor) error {
	var bad error
	tensors.MustConstFlatData(images, func(flat []float32) {
		per := len(flat) / images.Shape().Dimensions[0]
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = fmt.Errorf("camviz: images contain %v at example %d (flat index %d): clean the input first", v, i/per, i%per)
				return
			}
		}
	})
	return bad
}

// CatchPanic runs fn and turns a panic into an error: GoMLX reports shape and graph
// errors by panicking, and camviz's public API returns errors instead. Packages built on
// camviz (models, evaluate) use it at their own boundaries.
func CatchPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return fn()
}
