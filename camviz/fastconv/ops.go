package fastconv

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// ops adds ops to an inner compute.Function, keeping the first error: once
// an op fails every later call is a no-op, and err is checked once at the end.
type ops struct {
	f   compute.Function
	err error
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

func (o *ops) transpose(v compute.Value, perm []int) compute.Value {
	if o.err != nil || isIdentity(perm) {
		return v
	}
	v, o.err = o.f.Transpose(v, perm...)
	return v
}

func (o *ops) reshape(v compute.Value, dims []int) compute.Value {
	if o.err != nil {
		return v
	}
	s, err := o.f.Shape(v)
	if err != nil {
		o.err = err
		return v
	}
	if equalInts(s.Dimensions, dims) {
		return v
	}
	v, o.err = o.f.Reshape(v, dims...)
	return v
}

// zero returns a scalar zero of the given dtype.
func (o *ops) zero(dtype dtypes.DType) compute.Value {
	if o.err != nil {
		return nil
	}
	var v compute.Value
	if dtype == dtypes.Float64 {
		v, o.err = o.f.Constant([]float64{0})
	} else {
		v, o.err = o.f.Constant([]float32{0})
	}
	return v
}

// pad pads with zeros; it is a no-op when every PadAxis is zero.
func (o *ops) pad(v compute.Value, dtype dtypes.DType, cfg []compute.PadAxis) compute.Value {
	if o.err != nil {
		return v
	}
	trivial := true
	for _, c := range cfg {
		if c != (compute.PadAxis{}) {
			trivial = false
		}
	}
	if trivial {
		return v
	}
	z := o.zero(dtype)
	if o.err != nil {
		return v
	}
	v, o.err = o.f.Pad(v, z, cfg...)
	return v
}

// slice takes a strided slice; it is a no-op when it would copy v unchanged.
func (o *ops) slice(v compute.Value, starts, limits, strides []int) compute.Value {
	if o.err != nil {
		return v
	}
	s, err := o.f.Shape(v)
	if err != nil {
		o.err = err
		return v
	}
	full := true
	for i := range starts {
		if starts[i] != 0 || limits[i] != s.Dimensions[i] || strides[i] != 1 {
			full = false
		}
	}
	if full {
		return v
	}
	v, o.err = o.f.Slice(v, starts, limits, strides)
	return v
}

func (o *ops) constInt32(flat []int32, dims ...int) compute.Value {
	if o.err != nil {
		return nil
	}
	var v compute.Value
	v, o.err = o.f.Constant(flat, dims...)
	return v
}

func (o *ops) gather(operand, indices compute.Value, indexVectorAxis int,
	offsetOutputAxes, collapsedSliceAxes, startIndexMap, sliceSizes []int) compute.Value {
	if o.err != nil {
		return operand
	}
	var v compute.Value
	v, o.err = o.f.Gather(operand, indices, indexVectorAxis, offsetOutputAxes, collapsedSliceAxes,
		startIndexMap, sliceSizes, true)
	return v
}

func (o *ops) dot(lhs compute.Value, lhsContracting, lhsBatch []int,
	rhs compute.Value, rhsContracting, rhsBatch []int) compute.Value {
	if o.err != nil {
		return lhs
	}
	var v compute.Value
	v, o.err = o.f.DotGeneral(lhs, lhsContracting, lhsBatch, rhs, rhsContracting, rhsBatch,
		compute.DotGeneralConfig{})
	return v
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func iota(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}
