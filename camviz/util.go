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

// catch runs fn and turns a panic (GoMLX reports shape errors by panicking) into an error.
func catch(fn func() error) (err error) {
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
