package fastconv

import (
	"slices"

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

// transpose permutes the axes of v so that output axis i is input axis
// perm[i]. It first drops size-1 axes and merges runs of axes that stay
// adjacent, then routes the reduced permutation to the Go backend's fast
// transposes (trailing axis kept, 2-D, or [a,b,c]→[a,c,b] as a 2-D
// transpose followed by a copy of runs), and reshapes back.
func (o *ops) transpose(v compute.Value, perm []int) compute.Value {
	if o.err != nil || isIdentity(perm) {
		return v
	}
	s, err := o.f.Shape(v)
	if err != nil {
		o.err = err
		return v
	}
	dims := s.Dimensions
	outDims := make([]int, len(perm))
	for i, p := range perm {
		outDims[i] = dims[p]
	}
	mDims, mPerm := mergeAxes(dims, perm)
	switch {
	case isIdentity(mPerm):
		return o.reshape(v, outDims)
	case len(mPerm) == 3 && mPerm[0] == 0 && mPerm[1] == 2 && mPerm[2] == 1:
		// [a,b,c] → [a,c,b] as two fast kernels: the tiled 2-D transpose
		// [a·b, c] → [c, a·b], then [c,a,b] → [a,c,b], which copies runs
		// of b values. (The 4-D [0,2,1,3] kernel with a trailing axis of
		// 1 calls copy once per element: 1.3-2x slower, see
		// BenchmarkTransposeInner.)
		a, b, c := mDims[0], mDims[1], mDims[2]
		v = o.rawTranspose(o.reshape(v, []int{a * b, c}), []int{1, 0})
		v = o.rawTranspose(o.reshape(v, []int{c, a, b}), []int{1, 0, 2})
	default:
		v = o.reshape(v, mDims)
		v = o.rawTranspose(v, mPerm)
	}
	return o.reshape(v, outDims)
}

func (o *ops) rawTranspose(v compute.Value, perm []int) compute.Value {
	if o.err != nil {
		return v
	}
	v, o.err = o.f.Transpose(v, perm...)
	return v
}

// mergeAxes simplifies a transposition of a tensor with dimensions dims:
// it drops axes of size 1 and merges consecutive input axes that remain
// consecutive in the output. It returns the merged dimensions (in input
// order) and the permutation over them.
func mergeAxes(dims, perm []int) (mDims, mPerm []int) {
	// Output order of the input axes that are not of size 1.
	var order []int
	for _, p := range perm {
		if dims[p] != 1 {
			order = append(order, p)
		}
	}
	// Groups of output-consecutive axes that are also input-consecutive
	// (ignoring size-1 axes in between).
	var groups [][]int
	for i, p := range order {
		if i > 0 {
			last := groups[len(groups)-1]
			prev := last[len(last)-1]
			if nextNonUnit(dims, prev) == p {
				groups[len(groups)-1] = append(last, p)
				continue
			}
		}
		groups = append(groups, []int{p})
	}
	// Merged dims in input order; mPerm maps output group → input group rank.
	byInput := make([]int, len(groups))
	for i := range groups {
		byInput[i] = i
	}
	slices.SortFunc(byInput, func(a, b int) int { return groups[a][0] - groups[b][0] })
	rank := make([]int, len(groups))
	for r, g := range byInput {
		rank[g] = r
		d := 1
		for _, ax := range groups[g] {
			d *= dims[ax]
		}
		mDims = append(mDims, d)
	}
	for g := range groups {
		mPerm = append(mPerm, rank[g])
	}
	return mDims, mPerm
}

// nextNonUnit returns the first axis after ax whose dimension is not 1, or -1.
func nextNonUnit(dims []int, ax int) int {
	for a := ax + 1; a < len(dims); a++ {
		if dims[a] != 1 {
			return a
		}
	}
	return -1
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
	if slices.Equal(s.Dimensions, dims) {
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

// concatenate joins values along axis; a single value is returned as is.
func (o *ops) concatenate(axis int, values ...compute.Value) compute.Value {
	if o.err != nil || len(values) == 1 {
		return values[0]
	}
	var v compute.Value
	v, o.err = o.f.Concatenate(axis, values...)
	return v
}

func iota(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}
