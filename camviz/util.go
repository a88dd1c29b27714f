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
		i := firstNonFinite(flat)
		if i < 0 {
			return
		}
		per := len(flat) / images.Shape().Dimensions[0]
		v := flat[i]
		bad = fmt.Errorf("camviz: images contain %v at example %d (flat index %d): clean the input first", v, i/per, i%per)
	})
	return bad
}

// firstNonFinite returns the index of the first NaN or ±Inf in x, or −1: the floats
// whose exponent bits are all ones. The all-finite case, Explain's, is one bit test
// per value (a 224² RGB image: see BenchmarkCheckFinite; math.IsNaN || math.IsInf in
// float64 per value took ≈ 1 ms of the model's goroutine per image).
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return i
		}
	}
	return -1
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
