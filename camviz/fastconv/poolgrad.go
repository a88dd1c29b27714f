package fastconv

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// SelectAndScatterMax is the gradient of max pooling (GoMLX builds it for the
// VJP of a max ReduceWindow), lowered to element-wise ops on one strided slice
// per window tap when covered (see SelectAndScatterCovered); otherwise the
// inner backend's native op runs. See selectAndScatter for the lowering.
func (f *Function) SelectAndScatterMax(operand, source compute.Value, windowDimensions, windowStrides []int,
	paddings [][2]int) (compute.Value, error) {
	return f.selectAndScatter(compute.ReduceOpMax, operand, source, windowDimensions, windowStrides, paddings)
}

// SelectAndScatterMin is SelectAndScatterMax for min pooling.
func (f *Function) SelectAndScatterMin(operand, source compute.Value, windowDimensions, windowStrides []int,
	paddings [][2]int) (compute.Value, error) {
	return f.selectAndScatter(compute.ReduceOpMin, operand, source, windowDimensions, windowStrides, paddings)
}

// SelectAndScatterCovered reports whether fastconv lowers a SelectAndScatterMax
// (op = compute.ReduceOpMax) or SelectAndScatterMin (compute.ReduceOpMin) of an
// operand and a source of these shapes: nil if it does, and an error wrapping
// ErrNotCovered otherwise.
func SelectAndScatterCovered(op compute.ReduceOpType, operand, source shapes.Shape,
	windowDimensions, windowStrides []int, paddings [][2]int) error {
	_, err := newScatterPlan(op, operand, source, windowDimensions, windowStrides, paddings)
	return err
}

func newScatterPlan(op compute.ReduceOpType, operand, source shapes.Shape,
	windowDimensions, windowStrides []int, paddings [][2]int) (*poolPlan, error) {
	p, err := newPoolPlan(operand, op, windowDimensions, windowStrides, nil, nil, paddings)
	if err != nil {
		return nil, err
	}
	if source.DType != operand.DType || !slices.Equal(source.Dimensions, p.outDims) {
		return nil, notCovered("source %s does not match the pooled operand %v", source, p.outDims)
	}
	return p, nil
}

func (f *Function) selectAndScatter(op compute.ReduceOpType, operand, source compute.Value,
	windowDimensions, windowStrides []int, paddings [][2]int) (compute.Value, error) {
	native := func() (compute.Value, error) {
		f.builder.backend.poolFallback.Add(1)
		if op == compute.ReduceOpMin {
			return f.Function.SelectAndScatterMin(operand, source, windowDimensions, windowStrides, paddings)
		}
		return f.Function.SelectAndScatterMax(operand, source, windowDimensions, windowStrides, paddings)
	}
	xs, err := f.Function.Shape(operand)
	if err != nil {
		return native()
	}
	ss, err := f.Function.Shape(source)
	if err != nil {
		return native()
	}
	p, err := newScatterPlan(op, xs, ss, windowDimensions, windowStrides, paddings)
	if err != nil {
		return native()
	}
	out, err := p.lowerScatter(f.Function, operand, source)
	if err != nil {
		return native()
	}
	f.builder.backend.poolLowered.Add(1)
	return out, nil
}

// lowerScatter adds the ops of SelectAndScatter. With x_t the tap slices of
// the padded operand (as in the pooling) and m = max_t x_t, every output
// position o of the pooling selects one tap, as the native op does:
//
//	sel(o) = the first t (row-major window order) with x_t(o) = m(o), among
//	         taps that read the operand, not its padding;
//	         or, if the window holds a NaN, the last t with x_t(o) NaN;
//
// and the result is Σ_t place_t(source ⊙ [sel = t]), where place_t puts
// output position o at operand position o·s + t − pad_lo (see placeTaps).
//
// The selection is a tap index (float, so that the backend's SIMD Where and
// Equal apply) built by one Where per tap, last tap first. Padding holds −∞
// (+∞ for min), so it can tie only where m is ±∞ itself, and then every
// operand value of the window is ±∞ too: the first operand tap is the
// answer, a constant of the position (firstValidTap). The native op walks
// every window with a generic index iterator (about 110 ms for ResNet-18's
// stem max-pool gradient); this is a few plain loops per tap. A position
// that several windows select sums their source values, as there, but
// possibly in another order (sums may differ in the last bits).
func (p *poolPlan) lowerScatter(f compute.Function, x, source compute.Value) (compute.Value, error) {
	o := &ops{f: f}
	xp := p.padOperand(o, x)
	taps := make([]compute.Value, p.taps)
	var m compute.Value
	for t := range taps {
		taps[t] = p.tapSlice(o, xp, t)
		if m == nil {
			m = taps[t]
		} else {
			m = o.combine(p.op, m, taps[t])
		}
	}
	none := o.scalar(p.dtype, float64(p.taps))
	sel, nan := none, none
	for t := p.taps - 1; t >= 0; t-- {
		eq := o.apply(func() (compute.Value, error) { return o.f.Equal(taps[t], m) })
		sel = o.where(eq, o.scalar(p.dtype, float64(t)), sel)
	}
	for t := range taps { // the last NaN tap
		nan = o.where(o.isNaN(taps[t]), o.scalar(p.dtype, float64(t)), nan)
	}
	if p.padded {
		tie := o.apply(func() (compute.Value, error) { return o.f.Equal(m, o.scalar(p.dtype, toFloat(p.identity()))) })
		sel = o.where(tie, p.firstValidTap(o), sel)
	}
	anyNaN := o.apply(func() (compute.Value, error) { return o.f.LessThan(nan, none) })
	sel = o.where(anyNaN, nan, sel)
	zero := o.scalar(p.dtype, 0)
	contribs := make([]compute.Value, p.taps)
	for t := range taps {
		is := o.apply(func() (compute.Value, error) { return o.f.Equal(sel, o.scalar(p.dtype, float64(t))) })
		contribs[t] = o.where(is, source, zero)
	}
	out := p.placeTaps(o, contribs)
	if o.err != nil {
		return nil, fmt.Errorf("fastconv: lowering SelectAndScatter: %w", o.err)
	}
	return out, nil
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// firstValidTap returns, per output position, the index of the first tap (in
// row-major window order) that reads the operand, or p.taps if none does,
// shape outDims. Validity is a product over the axes, so the first valid tap
// takes on every axis its first valid offset f_a(o_a), and its index is
// Σ_a f_a(o_a)·(window size after axis a): a sum of per-axis constants
// broadcast to the output shape.
func (p *poolPlan) firstValidTap(o *ops) compute.Value {
	rank := len(p.window)
	out := shapes.Make(p.dtype, p.outDims...)
	var sum compute.Value
	none := false
	after := 1
	for a := rank - 1; a >= 0; a-- {
		n := p.outDims[a]
		vals := make([]float64, n)
		for i := range n {
			first := -1
			for w := range p.window[a] {
				if pos := i*p.strides[a] + w - p.pads[a][0]; pos >= 0 && pos < p.inDims[a] {
					first = w
					break
				}
			}
			if first < 0 {
				vals[i] = math.Inf(1) // no valid tap on this axis: none at all
				none = true
				continue
			}
			vals[i] = float64(first * after)
		}
		after *= p.window[a]
		v := o.constFloats(p.dtype, vals)
		v = o.apply(func() (compute.Value, error) { return o.f.BroadcastInDim(v, out, []int{a}) })
		if sum == nil {
			sum = v
		} else {
			sum = o.combine(compute.ReduceOpSum, sum, v)
		}
	}
	if none { // +Inf marks positions without a valid tap: p.taps, which selects nothing
		sum = o.combine(compute.ReduceOpMin, sum, o.scalar(p.dtype, float64(p.taps)))
	}
	return sum
}

// constFloats returns a 1-D constant of dtype (float32 or float64).
func (o *ops) constFloats(dtype dtypes.DType, vals []float64) compute.Value {
	return o.apply(func() (compute.Value, error) {
		if dtype == dtypes.Float64 {
			return o.f.Constant(vals, len(vals))
		}
		f32 := make([]float32, len(vals))
		for i, v := range vals {
			f32[i] = float32(v)
		}
		return o.f.Constant(f32, len(f32))
	})
}

// placeTaps returns Σ_t place_t(c_t), operand-shaped, where place_t puts
// output position o of the tap-t contribution c_t at operand position
// o·s + t − pad_lo. Per axis, tap w = r + j·s (phase r = w mod s) lands at
// (o + j)·s + r − lo: the taps of one phase land on the same sub-grid of
// stride s, shifted by j. So the contributions are first summed per phase on
// their sub-grid (small pads by j, at output resolution), and only each
// phase's sum is placed at operand resolution, by a Pad with interior s − 1
// whose negative edges crop what falls in the padding: ∏ min(s, window)
// operand-sized pads instead of one per tap (4 instead of 9 for a 3×3/2 pool).
func (p *poolPlan) placeTaps(o *ops, contribs []compute.Value) compute.Value {
	rank := len(p.window)
	type group struct {
		phase []int
		sum   compute.Value
	}
	var groups []*group
	byPhase := map[string]*group{}
	for t, c := range contribs {
		off := p.tapOffsets(t)
		phase, cfg := make([]int, rank), make([]compute.PadAxis, rank)
		for a := range rank {
			s := p.strides[a]
			phase[a] = off[a] % s
			j, taps := off[a]/s, (p.window[a]-phase[a]+s-1)/s
			cfg[a] = compute.PadAxis{Start: j, End: taps - 1 - j}
		}
		v := o.pad(c, p.dtype, cfg)
		key := fmt.Sprint(phase)
		if g := byPhase[key]; g != nil {
			g.sum = o.combine(compute.ReduceOpSum, g.sum, v)
			continue
		}
		g := &group{phase: phase, sum: v}
		byPhase[key] = g
		groups = append(groups, g)
	}
	var out compute.Value
	for _, g := range groups {
		cfg := make([]compute.PadAxis, rank)
		for a := range rank {
			s := p.strides[a]
			taps := (p.window[a] - g.phase[a] + s - 1) / s
			start := g.phase[a] - p.pads[a][0]
			span := (p.outDims[a]+taps-2)*s + 1
			cfg[a] = compute.PadAxis{Start: start, End: p.inDims[a] - start - span, Interior: s - 1}
		}
		v := o.pad(g.sum, p.dtype, cfg)
		if out == nil {
			out = v
		} else {
			out = o.combine(compute.ReduceOpSum, out, v)
		}
	}
	return out
}
