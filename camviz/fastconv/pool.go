package fastconv

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// MaxPoolTaps bounds the window size (the product of the window dimensions)
// of the ReduceWindow ops that are lowered: the lowering adds one Slice per
// tap, so larger windows are left to the native op.
var MaxPoolTaps = 64

// ReduceWindow lowers max, min and sum pooling to data movement plus
// element-wise or plain reductions, when the configuration is covered (see
// PoolCovered); otherwise it calls the inner backend's native ReduceWindow.
//
// With xp the input padded with the reduction's identity (−∞ for max, +∞ for
// min, 0 for sum), strides s and window dilations d, output position o is
//
//	out[o] = ⊕_{t ∈ window} xp[o·s + t·d]
//
// Channels-last pools copy their trailing axes whole (window 1, stride 1):
// then each window is gathered whole, [O…, W…, C], by one Gather whose rows
// are contiguous runs, and reduced over W with ReduceMax, ReduceMin or
// ReduceSum (patchReduce, in chunks of ChunkPatchBytes; for dilated windows,
// one Gather per tap instead). Otherwise, for a fixed
// tap t the values xp[o·s + t·d] over all o are Slice(xp, start = t·d,
// stride = s), combined with the element-wise Max, Min or Add. The Go
// backend's native ReduceWindow walks the window of every output element
// through a generic iterator: about 120 ms for ResNet-18's 3×3/2 stem
// max-pool on 112×112×64, against about 5 ms lowered (BenchmarkMaxPool).
// Max and min give exactly the native values (NaN included); sums may differ
// in the last bits (another summation order).
func (f *Function) ReduceWindow(input compute.Value, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (compute.Value, error) {
	native := func() (compute.Value, error) {
		f.builder.backend.poolFallback.Add(1)
		return f.Function.ReduceWindow(input, reductionType, windowDimensions, strides, inputDilations,
			windowDilations, paddings)
	}
	s, err := f.Function.Shape(input)
	if err != nil {
		return native()
	}
	p, err := newPoolPlan(s, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings)
	if err != nil {
		return native()
	}
	out, err := p.lower(f.Function, input)
	if err != nil {
		return native()
	}
	f.builder.backend.poolLowered.Add(1)
	return out, nil
}

// PoolCovered reports whether fastconv lowers a ReduceWindow with these
// arguments (same meaning as compute.StandardOps.ReduceWindow): nil if it
// does, and an error wrapping ErrNotCovered that says why not otherwise.
func PoolCovered(input shapes.Shape, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) error {
	_, err := newPoolPlan(input, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings)
	return err
}

// poolPlan is a covered ReduceWindow with every per-axis parameter filled in.
type poolPlan struct {
	op                    compute.ReduceOpType
	dtype                 dtypes.DType
	window, strides, wDil []int
	pads                  [][2]int
	inDims, outDims       []int
	padded                bool
	taps                  int
}

func newPoolPlan(input shapes.Shape, op compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (*poolPlan, error) {
	if input.DType != dtypes.Float32 && input.DType != dtypes.Float64 {
		return nil, notCovered("pooling dtype %s (only float32 and float64 are lowered)", input.DType)
	}
	if op != compute.ReduceOpMax && op != compute.ReduceOpMin && op != compute.ReduceOpSum {
		return nil, notCovered("pooling reduction %s (only max, min and sum are lowered)", op)
	}
	if input.IsDynamic() {
		return nil, notCovered("dynamic shape %s", input)
	}
	out, err := shapeinference.ReduceWindow(input, windowDimensions, strides, inputDilations, windowDilations, paddings)
	if err != nil {
		return nil, notCovered("invalid pooling configuration, left to the native op to report: %v", err)
	}
	if out.Size() == 0 || input.Size() == 0 {
		return nil, notCovered("empty tensor (input %s, output %s)", input, out)
	}
	rank := input.Rank()
	p := &poolPlan{op: op, dtype: input.DType, inDims: input.Dimensions, outDims: out.Dimensions, taps: 1,
		window: perAxis(windowDimensions, rank, 1), wDil: perAxis(windowDilations, rank, 1),
		pads: make([][2]int, rank)}
	p.strides = perAxis(strides, rank, 1)
	if len(strides) == 0 {
		copy(p.strides, p.window) // the native default: one window at a time
	}
	if len(paddings) > 0 {
		copy(p.pads, paddings)
	}
	for a, d := range perAxis(inputDilations, rank, 1) {
		if d != 1 {
			return nil, notCovered("input dilation %d on axis %d", d, a)
		}
	}
	for a := range rank {
		if p.pads[a][0] < 0 || p.pads[a][1] < 0 {
			return nil, notCovered("negative padding %v on axis %d", p.pads[a], a)
		}
		p.padded = p.padded || p.pads[a] != [2]int{}
		p.taps *= p.window[a]
	}
	if p.taps > MaxPoolTaps {
		return nil, notCovered("window of %d taps exceeds MaxPoolTaps=%d", p.taps, MaxPoolTaps)
	}
	return p, nil
}

// identity returns the reduction's neutral element, as the value the native
// op starts from (dtype.LowestValue is −∞ for floats).
func (p *poolPlan) identity() any {
	switch p.op {
	case compute.ReduceOpMax:
		return p.dtype.LowestValue()
	case compute.ReduceOpMin:
		return p.dtype.HighestValue()
	}
	if p.dtype == dtypes.Float64 {
		return float64(0)
	}
	return float32(0)
}

// lower adds the padded input, one strided slice per tap, and the
// element-wise reduction of the slices. Max and min windows holding a NaN are
// NaN, as in the native op (Go's max and min); the Go backend's element-wise
// Max and Min return their second operand when either is NaN, so NaN is
// tracked with IsNaN instead of relying on them.
func (p *poolPlan) lower(f compute.Function, x compute.Value) (compute.Value, error) {
	o := &ops{f: f}
	xp := p.padOperand(o, x)
	if p.patchable() {
		out := p.patchReduce(o, xp)
		if o.err != nil {
			return nil, fmt.Errorf("fastconv: lowering ReduceWindow: %w", o.err)
		}
		return out, nil
	}
	var acc, nan compute.Value
	for t := range p.taps {
		v := p.tapSlice(o, xp, t)
		if acc == nil {
			acc = v
		} else {
			acc = o.combine(p.op, acc, v)
		}
		if p.op != compute.ReduceOpSum {
			nan = o.or(nan, o.isNaN(v))
		}
	}
	if nan != nil {
		acc = o.where(nan, o.scalar(p.dtype, math.NaN()), acc)
	}
	if o.err != nil {
		return nil, fmt.Errorf("fastconv: lowering ReduceWindow: %w", o.err)
	}
	return acc, nil
}

// patchable reports whether the windows can be gathered whole: the trailing
// axes are copied whole in runs of at least minGatherRun values and the
// windows are not dilated.
func (p *poolPlan) patchable() bool {
	run := p.runAxes()
	if run == 0 || run == len(p.window) || p.runLength(run) < minGatherRun {
		return false
	}
	for _, d := range p.wDil {
		if d != 1 {
			return false
		}
	}
	return true
}

// patchReduce gathers every window whole, [positions, W…, run…], with a
// Gather whose start indices are the window origins o·s (the axes before
// the run, flattened) and whose rows are W_last·run contiguous values, and
// reduces the window axes with the backend's ReduceMax, ReduceMin or
// ReduceSum (Go's max and min, which keep NaN, as the native ReduceWindow).
// Patches larger than ChunkPatchBytes are gathered and reduced in chunks of
// positions, concatenated.
func (p *poolPlan) patchReduce(o *ops, xp compute.Value) compute.Value {
	run := p.runAxes()
	rank := len(p.window)
	count := 1
	for _, d := range p.outDims[:run] {
		count *= d
	}
	flat := make([]int32, 0, count*run)
	counter := make([]int, run)
	for range count {
		for a := range run {
			flat = append(flat, int32(counter[a]*p.strides[a]))
		}
		for a := run - 1; a >= 0; a-- {
			counter[a]++
			if counter[a] < p.outDims[a] {
				break
			}
			counter[a] = 0
		}
	}
	sliceSizes := append(append([]int(nil), p.window[:run]...), p.inDims[run:]...)
	perPosition := int64(p.taps) * int64(p.runLength(run)) * int64(p.dtype.Size())
	chunk := int(max(1, min(int64(count), ChunkPatchBytes/perPosition)))
	var parts []compute.Value
	for start := 0; start < count; start += chunk {
		end := min(start+chunk, count)
		indices := o.constInt32(flat[start*run:end*run], end-start, run)
		patches := o.gather(xp, indices, 1, iota(1, rank), nil, iota(0, run), sliceSizes)
		axes := iota(1, run)
		parts = append(parts, o.apply(func() (compute.Value, error) {
			switch p.op {
			case compute.ReduceOpMax:
				return o.f.ReduceMax(patches, axes...)
			case compute.ReduceOpMin:
				return o.f.ReduceMin(patches, axes...)
			}
			return o.f.ReduceSum(patches, axes...)
		}))
	}
	return o.reshape(o.concatenate(0, parts...), p.outDims)
}

// padOperand pads x with the reduction's identity (a no-op without padding).
func (p *poolPlan) padOperand(o *ops, x compute.Value) compute.Value {
	if !p.padded {
		return x
	}
	cfg := make([]compute.PadAxis, len(p.pads))
	for a, pd := range p.pads {
		cfg[a] = compute.PadAxis{Start: pd[0], End: pd[1]}
	}
	return o.padWith(x, p.dtype, p.identity(), cfg)
}

// tapOffsets returns the window position of tap number t (row-major over the
// window, the native op's order).
func (p *poolPlan) tapOffsets(t int) []int {
	off := make([]int, len(p.window))
	for a := len(p.window) - 1; a >= 0; a-- {
		off[a] = t % p.window[a]
		t /= p.window[a]
	}
	return off
}

// tapSlice returns xp[o·s + t·d] for every output position o: shape outDims.
// When the trailing axes are copied whole (window 1, stride 1: the channels
// of a channels-last pool), it is a Gather of runs of those axes (one copy
// per run); otherwise a strided Slice, which the Go backend copies element by
// element (about 4x slower for ResNet's 64-channel stem pool).
func (p *poolPlan) tapSlice(o *ops, xp compute.Value, t int) compute.Value {
	off := p.tapOffsets(t)
	rank := len(p.window)
	if run := p.runAxes(); run > 0 && run < rank && p.runLength(run) >= minGatherRun {
		return p.tapGather(o, xp, off, run)
	}
	starts, limits := make([]int, rank), make([]int, rank)
	for a := range rank {
		starts[a] = off[a] * p.wDil[a]
		limits[a] = starts[a] + (p.outDims[a]-1)*p.strides[a] + 1
	}
	return o.slice(xp, starts, limits, p.strides)
}

// minGatherRun is the shortest run of contiguous values worth a Gather.
const minGatherRun = 8

// runAxes returns the first axis of the trailing run of axes that every tap
// copies whole (window 1, stride 1, no padding); rank if there is none, 0 if
// every axis is (a pool that copies its input).
func (p *poolPlan) runAxes() int {
	a := len(p.window)
	for a > 0 && p.window[a-1] == 1 && p.strides[a-1] == 1 && p.pads[a-1] == [2]int{} {
		a--
	}
	return a
}

func (p *poolPlan) runLength(run int) int {
	n := 1
	for _, d := range p.inDims[run:] {
		n *= d
	}
	return n
}

// tapGather is tapSlice as one Gather: the start indices enumerate the output
// positions o of the axes before the run, o·s + t·d, and every slice is one
// run of the trailing axes.
func (p *poolPlan) tapGather(o *ops, xp compute.Value, off []int, run int) compute.Value {
	idxDims := append([]int(nil), p.outDims[:run]...)
	count := 1
	for _, d := range idxDims {
		count *= d
	}
	flat := make([]int32, 0, count*run)
	counter := make([]int, run)
	for range count {
		for a := range run {
			flat = append(flat, int32(counter[a]*p.strides[a]+off[a]*p.wDil[a]))
		}
		for a := run - 1; a >= 0; a-- {
			counter[a]++
			if counter[a] < idxDims[a] {
				break
			}
			counter[a] = 0
		}
	}
	indices := o.constInt32(flat, append(idxDims, run)...)
	sliceSizes := make([]int, len(p.window))
	for a := range sliceSizes {
		sliceSizes[a] = 1
		if a >= run {
			sliceSizes[a] = p.inDims[a]
		}
	}
	return o.gather(xp, indices, run, iota(run, len(p.window)-run), iota(0, run), iota(0, run), sliceSizes)
}

// padWith pads v with the scalar fill (a Go value of v's dtype).
func (o *ops) padWith(v compute.Value, dtype dtypes.DType, fill any, cfg []compute.PadAxis) compute.Value {
	if o.err != nil {
		return v
	}
	var c compute.Value
	switch x := fill.(type) {
	case float32:
		c, o.err = o.f.Constant([]float32{x})
	case float64:
		c, o.err = o.f.Constant([]float64{x})
	default:
		o.err = fmt.Errorf("padding value %v (%T) for dtype %s", fill, fill, dtype)
	}
	if o.err != nil {
		return v
	}
	v, o.err = o.f.Pad(v, c, cfg...)
	return v
}

// combine applies the element-wise Max, Min or Add of the reduction op.
func (o *ops) combine(op compute.ReduceOpType, a, b compute.Value) compute.Value {
	if o.err != nil {
		return a
	}
	var v compute.Value
	switch op {
	case compute.ReduceOpMax:
		v, o.err = o.f.Max(a, b)
	case compute.ReduceOpMin:
		v, o.err = o.f.Min(a, b)
	default:
		v, o.err = o.f.Add(a, b)
	}
	return v
}

// apply runs one op unless an earlier one failed.
func (o *ops) apply(fn func() (compute.Value, error)) compute.Value {
	if o.err != nil {
		return nil
	}
	var v compute.Value
	v, o.err = fn()
	return v
}

func (o *ops) isNaN(v compute.Value) compute.Value {
	return o.apply(func() (compute.Value, error) { return o.f.IsNaN(v) })
}

// or is LogicalOr, with nil standing for all-false.
func (o *ops) or(a, b compute.Value) compute.Value {
	if a == nil {
		return b
	}
	return o.apply(func() (compute.Value, error) { return o.f.LogicalOr(a, b) })
}

func (o *ops) where(cond, onTrue, onFalse compute.Value) compute.Value {
	return o.apply(func() (compute.Value, error) { return o.f.Where(cond, onTrue, onFalse) })
}

// scalar returns a scalar constant of dtype (float32 or float64).
func (o *ops) scalar(dtype dtypes.DType, x float64) compute.Value {
	return o.apply(func() (compute.Value, error) {
		if dtype == dtypes.Float64 {
			return o.f.Constant([]float64{x})
		}
		return o.f.Constant([]float32{float32(x)})
	})
}
