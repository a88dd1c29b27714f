package fastconv

import (
	"math"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// ConstFold says whether a wrapped function folds constants: when every operand
// of a Reshape, Transpose, Reverse, BroadcastInDim, ConvertDType (float32 ↔
// float64), Neg, Add, Sub, Mul, Div, Sqrt or Rsqrt is a float constant of the
// graph (one added with Constant, or one folded before), the result is computed
// in Go when the graph is built and added as a constant, instead of an op the
// executable runs at every call. It is read when an op is added;
// FASTCONV_CONSTFOLD=off turns it off for the process.
//
// Why: the Go backend does not fold constants, and GoMLX embeds model variables
// as constants (PreferConstantsForVariables), so every op applied to a weight in
// the graph runs at each execution — the reversed and transposed kernels of a
// convolution's input gradient, inference batch norm's γ/√(var+ε) and the
// kernel scaled by it (camviz/models folds batch norm into the convolution's
// kernel), fastconv's own kernel layouts. Folded, the kernel of a convolution is
// a constant again, so its Winograd transform is computed once
// (winogradKernelConst) and nothing is recomputed per call. The backend's
// DotGeneral already keeps the packed copy of a right operand computed from
// constants only (its IsConstant is transitive), but the ops producing that
// operand still ran at every call.
//
// Exactness: each op is computed in its operand's dtype with the Go backend's
// own formulas (float32 products, quotients and sums rounded once; Sqrt and Rsqrt
// as float(√float64(x)) and float(1/√float64(x))), so a folded graph gives the
// same bits as the unfolded one (TestConstFoldBitwise).
//
// Cost: a folded constant is a new copy of its data, kept by the executable next
// to the original (which the backend's dead-code elimination no longer runs), so
// a graph whose weights are all transformed holds them twice or more; results
// larger than ConstFoldMaxElements are not folded. A broadcast is the exception:
// it stays an op and its data is only computed for a consumer that folds (see
// BroadcastInDim).
var ConstFold = os.Getenv("FASTCONV_CONSTFOLD") != "off"

// ConstFoldMaxElements caps the size of a folded result (2²⁴ = 16 Mi elements,
// 64 MiB of float32; ResNet-18's largest kernel has 2.4 Mi): a larger one, such
// as a constant broadcast to an activation's shape, stays an op.
var ConstFoldMaxElements = 1 << 24

// constOf returns the recorded flat data and shape of v when it is a float
// constant of f and folding is on.
func (f *Function) constOf(v compute.Value) (flat any, shape shapes.Shape, ok bool) {
	if !ConstFold {
		return nil, shapes.Shape{}, false
	}
	flat, ok = f.constData(v)
	if !ok {
		return nil, shapes.Shape{}, false
	}
	shape, err := f.Function.Shape(v)
	if err != nil || shape.IsDynamic() {
		return nil, shapes.Shape{}, false
	}
	return flat, shape, true
}

// constData returns the recorded flat data of v, a float constant of f or, for a
// closure, of one of its ancestors (a value the closure captures), computing it first
// if it was recorded lazily, whether or not folding is on.
func (f *Function) constData(v compute.Value) (flat any, ok bool) {
	for fn := f; fn != nil; fn = fn.parent {
		if flat, ok = fn.constants[v]; ok {
			if lazy, isLazy := flat.(lazyConst); isLazy {
				flat = lazy()
				fn.constants[v] = flat
			}
			return flat, true
		}
	}
	return nil, false
}

// emitFolded adds the folded result flat (of dims) as a recorded constant.
func (f *Function) emitFolded(flat any, dims []int) (compute.Value, error) {
	v, err := f.Constant(flat, dims...)
	if err == nil {
		f.builder.backend.constFolded.Add(1)
	}
	return v, err
}

// foldable reports whether a result of n elements may be folded.
func foldable(n int) bool { return n <= ConstFoldMaxElements }

// Reshape folds the reshape of a constant (the same data with new dimensions).
func (f *Function) Reshape(x compute.Value, dimensions ...int) (compute.Value, error) {
	flat, s, ok := f.constOf(x)
	if !ok || !foldable(s.Size()) || shapes.Make(s.DType, dimensions...).Size() != s.Size() {
		return f.Function.Reshape(x, dimensions...)
	}
	return f.emitFolded(flat, dimensions)
}

// Transpose folds the transposition of a constant.
func (f *Function) Transpose(x compute.Value, permutation ...int) (compute.Value, error) {
	flat, s, ok := f.constOf(x)
	if !ok || !foldable(s.Size()) || !isPermutation(permutation, s.Rank()) {
		return f.Function.Transpose(x, permutation...)
	}
	in := rowMajorStrides(s.Dimensions)
	outDims, strides := make([]int, len(permutation)), make([]int, len(permutation))
	for i, p := range permutation {
		outDims[i], strides[i] = s.Dimensions[p], in[p]
	}
	return f.emitFolded(gatherFlat(flat, outDims, strides, 0), outDims)
}

// Reverse folds the reversal of axes of a constant.
func (f *Function) Reverse(x compute.Value, axes ...int) (compute.Value, error) {
	flat, s, ok := f.constOf(x)
	if !ok || !foldable(s.Size()) {
		return f.Function.Reverse(x, axes...)
	}
	strides := rowMajorStrides(s.Dimensions)
	offset := 0
	for _, a := range axes {
		if a < 0 || a >= s.Rank() {
			return f.Function.Reverse(x, axes...)
		}
		if s.Dimensions[a] > 0 {
			offset += (s.Dimensions[a] - 1) * strides[a]
		}
		strides[a] = -strides[a]
	}
	if s.Size() == 0 {
		offset = 0
	}
	return f.emitFolded(gatherFlat(flat, s.Dimensions, strides, offset), s.Dimensions)
}

// BroadcastInDim records the broadcast of a constant for folding consumers, and in a
// closure keeps the broadcast out of the inner backend's implicit-broadcast pass (see
// closureBroadcast).
func (f *Function) BroadcastInDim(operand compute.Value, outputShape shapes.Shape, broadcastAxes []int) (compute.Value, error) {
	v, err := f.broadcastInDim(operand, outputShape, broadcastAxes)
	if err != nil {
		return v, err
	}
	return f.closureBroadcast(v)
}

// broadcastInDim adds the broadcast; of a constant, it records its data lazily.
func (f *Function) broadcastInDim(operand compute.Value, outputShape shapes.Shape, broadcastAxes []int) (compute.Value, error) {
	flat, s, ok := f.constOf(operand)
	if !ok || outputShape.IsDynamic() || outputShape.DType != s.DType || !foldable(outputShape.Size()) ||
		len(broadcastAxes) != s.Rank() {
		return f.Function.BroadcastInDim(operand, outputShape, broadcastAxes)
	}
	in := rowMajorStrides(s.Dimensions)
	strides := make([]int, outputShape.Rank())
	for i, a := range broadcastAxes {
		if a < 0 || a >= outputShape.Rank() {
			return f.Function.BroadcastInDim(operand, outputShape, broadcastAxes)
		}
		switch s.Dimensions[i] {
		case outputShape.Dimensions[a]:
			strides[a] = in[i]
		case 1: // stride 0
		default:
			return f.Function.BroadcastInDim(operand, outputShape, broadcastAxes)
		}
	}
	// The broadcast stays an op, with its data recorded lazily: folded into a constant it
	// would hold its whole result in memory for the executable's life, although a
	// broadcast costs about nothing to run — a scalar spread over a [15, 224, 224] mask
	// in each of Score-CAM's 35 chunks added 600+ MiB of constants. Only when a consumer
	// folds (batch norm's scale against the kernel) is the data materialised, and then
	// the broadcast op is dead code.
	v, err := f.Function.BroadcastInDim(operand, outputShape, broadcastAxes)
	if err != nil {
		return v, err
	}
	dims := outputShape.Dimensions
	if f.constants == nil {
		f.constants = make(map[compute.Value]any)
	}
	f.constants[v] = lazyConst(func() any { return gatherFlat(flat, dims, strides, 0) })
	return v, nil
}

// lazyConst is recorded for a value whose constant data is computed only when a
// folding consumer asks for it (constOf).
type lazyConst func() any

// ConvertDType folds float32 ↔ float64 conversions of a constant (Go's
// conversion rounds to nearest even, as the backend's does).
func (f *Function) ConvertDType(x compute.Value, dtype dtypes.DType) (compute.Value, error) {
	flat, s, ok := f.constOf(x)
	if !ok || !foldable(s.Size()) {
		return f.Function.ConvertDType(x, dtype)
	}
	switch src := flat.(type) {
	case []float32:
		if dtype == dtypes.Float64 {
			out := make([]float64, len(src))
			for i, v := range src {
				out[i] = float64(v)
			}
			return f.emitFolded(out, s.Dimensions)
		}
	case []float64:
		if dtype == dtypes.Float32 {
			out := make([]float32, len(src))
			for i, v := range src {
				out[i] = float32(v)
			}
			return f.emitFolded(out, s.Dimensions)
		}
	}
	return f.Function.ConvertDType(x, dtype)
}

// Neg folds −x of a constant.
func (f *Function) Neg(x compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldUnary(x, func(a float64) float64 { return -a }, func(a float32) float32 { return -a }); ok {
		return v, err
	}
	return f.Function.Neg(x)
}

// Sqrt folds √x of a constant, as the backend computes it: float(√float64(x)).
func (f *Function) Sqrt(x compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldUnary(x, math.Sqrt, func(a float32) float32 { return float32(math.Sqrt(float64(a))) }); ok {
		return v, err
	}
	return f.Function.Sqrt(x)
}

// Rsqrt folds 1/√x of a constant, as the backend computes it: float(1/√float64(x)).
func (f *Function) Rsqrt(x compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldUnary(x, func(a float64) float64 { return 1 / math.Sqrt(a) },
		func(a float32) float32 { return float32(1 / math.Sqrt(float64(a))) }); ok {
		return v, err
	}
	return f.Function.Rsqrt(x)
}

// Add folds the sum of two constants.
func (f *Function) Add(lhs, rhs compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldBinary(lhs, rhs, func(a, b float64) float64 { return a + b },
		func(a, b float32) float32 { return a + b }); ok {
		return v, err
	}
	return f.Function.Add(lhs, rhs)
}

// Sub folds the difference of two constants.
func (f *Function) Sub(lhs, rhs compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldBinary(lhs, rhs, func(a, b float64) float64 { return a - b },
		func(a, b float32) float32 { return a - b }); ok {
		return v, err
	}
	return f.Function.Sub(lhs, rhs)
}

// Mul folds the product of two constants.
func (f *Function) Mul(lhs, rhs compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldBinary(lhs, rhs, func(a, b float64) float64 { return a * b },
		func(a, b float32) float32 { return a * b }); ok {
		return v, err
	}
	return f.Function.Mul(lhs, rhs)
}

// Div folds the quotient of two constants.
func (f *Function) Div(lhs, rhs compute.Value) (compute.Value, error) {
	if v, ok, err := f.foldBinary(lhs, rhs, func(a, b float64) float64 { return a / b },
		func(a, b float32) float32 { return a / b }); ok {
		return v, err
	}
	return f.Function.Div(lhs, rhs)
}

// foldUnary applies op64 or op32 to every element of a constant x; ok is false
// when x is not a foldable constant.
func (f *Function) foldUnary(x compute.Value, op64 func(float64) float64, op32 func(float32) float32) (v compute.Value, ok bool, err error) {
	flat, s, isConst := f.constOf(x)
	if !isConst || !foldable(s.Size()) {
		return nil, false, nil
	}
	switch src := flat.(type) {
	case []float32:
		out := make([]float32, len(src))
		for i, a := range src {
			out[i] = op32(a)
		}
		v, err = f.emitFolded(out, s.Dimensions)
	case []float64:
		out := make([]float64, len(src))
		for i, a := range src {
			out[i] = op64(a)
		}
		v, err = f.emitFolded(out, s.Dimensions)
	default:
		return nil, false, nil
	}
	return v, true, err
}

// foldBinary applies op64 or op32 to two constants of the same dtype with the
// backend's broadcasting (a scalar operand, or axes of dimension 1 against the
// other operand's); ok is false when they are not foldable constants.
func (f *Function) foldBinary(lhs, rhs compute.Value, op64 func(a, b float64) float64, op32 func(a, b float32) float32) (v compute.Value, ok bool, err error) {
	lFlat, ls, lOK := f.constOf(lhs)
	if !lOK {
		return nil, false, nil
	}
	rFlat, rs, rOK := f.constOf(rhs)
	if !rOK || ls.DType != rs.DType {
		return nil, false, nil
	}
	outDims, lStrides, rStrides, bOK := broadcastStrides(ls, rs)
	if !bOK || !foldable(shapes.Make(ls.DType, outDims...).Size()) {
		return nil, false, nil
	}
	switch l := lFlat.(type) {
	case []float32:
		r := rFlat.([]float32)
		out := make([]float32, 0, shapes.Make(ls.DType, outDims...).Size())
		walk2(outDims, lStrides, rStrides, func(i, j int) { out = append(out, op32(l[i], r[j])) })
		v, err = f.emitFolded(out, outDims)
	case []float64:
		r := rFlat.([]float64)
		out := make([]float64, 0, shapes.Make(ls.DType, outDims...).Size())
		walk2(outDims, lStrides, rStrides, func(i, j int) { out = append(out, op64(l[i], r[j])) })
		v, err = f.emitFolded(out, outDims)
	default:
		return nil, false, nil
	}
	return v, true, err
}

// broadcastStrides returns the output dimensions of a binary op on shapes l and
// r (shapeinference.BinaryOp's rules: a scalar side takes the other's shape,
// otherwise equal ranks with each axis equal or 1 on one side) and the strides
// of each operand over them (0 along broadcast axes); ok is false otherwise.
func broadcastStrides(l, r shapes.Shape) (outDims, lStrides, rStrides []int, ok bool) {
	switch {
	case l.IsScalar():
		return r.Dimensions, make([]int, r.Rank()), rowMajorStrides(r.Dimensions), true
	case r.IsScalar():
		return l.Dimensions, rowMajorStrides(l.Dimensions), make([]int, l.Rank()), true
	case l.Rank() != r.Rank():
		return nil, nil, nil, false
	}
	ls, rs := rowMajorStrides(l.Dimensions), rowMajorStrides(r.Dimensions)
	outDims = make([]int, l.Rank())
	lStrides, rStrides = make([]int, l.Rank()), make([]int, l.Rank())
	for a := range outDims {
		ld, rd := l.Dimensions[a], r.Dimensions[a]
		switch {
		case ld == rd:
			outDims[a], lStrides[a], rStrides[a] = ld, ls[a], rs[a]
		case ld == 1:
			outDims[a], rStrides[a] = rd, rs[a]
		case rd == 1:
			outDims[a], lStrides[a] = ld, ls[a]
		default:
			return nil, nil, nil, false
		}
	}
	return outDims, lStrides, rStrides, true
}

// rowMajorStrides returns the element strides of a row-major array of dims.
func rowMajorStrides(dims []int) []int {
	strides := make([]int, len(dims))
	s := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = s
		s *= dims[a]
	}
	return strides
}

func isPermutation(perm []int, rank int) bool {
	if len(perm) != rank {
		return false
	}
	seen := make([]bool, rank)
	for _, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

// gatherFlat returns out[i] = src[offset + Σ_a idx_a(i)·strides[a]] for every
// row-major index i of outDims; src is []float32 or []float64.
func gatherFlat(src any, outDims, strides []int, offset int) any {
	n := 1
	for _, d := range outDims {
		n *= d
	}
	zero := make([]int, len(outDims))
	switch s := src.(type) {
	case []float32:
		out := make([]float32, 0, n)
		walk2(outDims, strides, zero, func(i, _ int) { out = append(out, s[offset+i]) })
		return out
	case []float64:
		out := make([]float64, 0, n)
		walk2(outDims, strides, zero, func(i, _ int) { out = append(out, s[offset+i]) })
		return out
	}
	return nil
}

// walk2 calls visit with the offsets Σ_a idx_a·aStrides[a] and Σ_a
// idx_a·bStrides[a] of every index of dims, in row-major order.
func walk2(dims, aStrides, bStrides []int, visit func(a, b int)) {
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	idx := make([]int, len(dims))
	a, b := 0, 0
	for {
		visit(a, b)
		ax := len(dims) - 1
		for ; ax >= 0; ax-- {
			idx[ax]++
			a += aStrides[ax]
			b += bStrides[ax]
			if idx[ax] < dims[ax] {
				break
			}
			a -= aStrides[ax] * dims[ax]
			b -= bStrides[ax] * dims[ax]
			idx[ax] = 0
		}
		if ax < 0 {
			return
		}
	}
}
