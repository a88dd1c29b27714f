package models

import (
	"github.com/gomlx/compute-onnx/support/protos"
)

// sameShapeOps give an output of their first input's shape.
var sameShapeOps = map[string]bool{"Relu": true, "Sigmoid": true, "Tanh": true, "LeakyRelu": true, "Elu": true,
	"Selu": true, "PRelu": true, "HardSigmoid": true, "HardSwish": true, "Swish": true, "Silu": true, "Gelu": true,
	"Exp": true, "Log": true, "Sqrt": true, "Neg": true, "Abs": true, "Erf": true, "Cast": true, "Reciprocal": true,
	"BatchNormalization": true, "LRN": true, "Softmax": true, "LogSoftmax": true, "Dropout": true,
	"Identity": true, "Clip": true, "InstanceNormalization": true, "LayerNormalization": true, "Floor": true, "Ceil": true,
	"Sign": true, "Sin": true, "Cos": true, "Not": true, "Softplus": true, "Softsign": true, "ImageScaler": true}

// broadcastOps give the multidirectional (NumPy) broadcast of their inputs' shapes.
var broadcastOps = map[string]bool{"Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "Max": true,
	"Min": true, "Mean": true, "Sum": true, "Where": true, "Equal": true, "Less": true, "Greater": true,
	"And": true, "Or": true, "LessOrEqual": true, "GreaterOrEqual": true, "Mod": true}

// inferShape records the output shapes of one node in dims (static dimensions only; an
// output whose shape it cannot tell is left out). It covers the ops of image
// classifiers up to their pooling layers, which is what the pooling rewrites need: the
// spatial size of a Conv's or pool's input. A graph's value_info, when given, fills in
// what it does not cover (see rewriteWithShapes).
func (l *legalizer) inferShape(n *protos.NodeProto, dims map[string][]int) {
	if len(n.Output) == 0 {
		return
	}
	in := func(i int) []int {
		if i < len(n.Input) {
			return dims[n.Input[i]]
		}
		return nil
	}
	set := func(d []int) {
		if d != nil {
			dims[n.Output[0]] = d
		}
	}
	x := in(0)
	switch {
	case sameShapeOps[n.OpType]:
		set(x)
		return
	case broadcastOps[n.OpType]:
		var out []int
		for i := range n.Input {
			d := in(i)
			if d == nil {
				return
			}
			out = broadcastDims(out, d)
			if out == nil {
				return
			}
		}
		set(out)
		return
	}
	switch n.OpType {
	case "Constant":
		if t := l.consts[n.Output[0]]; t != nil {
			set(int64sToInts(t.Dims))
		}
	case "Shape":
		if x != nil {
			set([]int{len(x)})
		}
	case "Conv", "MaxPool", "AveragePool", "LpPool":
		set(l.poolOutputDims(n, x, in(1)))
	case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
		if len(x) >= 2 {
			out := append([]int{}, x[:2]...)
			for range x[2:] {
				out = append(out, 1)
			}
			set(out)
		}
	case "Flatten":
		if x != nil {
			axis := int(intAttrOr(n, "axis", 1))
			if axis < 0 {
				axis += len(x)
			}
			a, b := 1, 1
			for i, d := range x {
				if i < axis {
					a *= d
				} else {
					b *= d
				}
			}
			set([]int{a, b})
		}
	case "Gemm":
		a, b := x, in(1)
		if len(a) == 2 && len(b) == 2 {
			m, k := a[0], b[1]
			if intAttrOr(n, "transA", 0) != 0 {
				m = a[1]
			}
			if intAttrOr(n, "transB", 0) != 0 {
				k = b[0]
			}
			set([]int{m, k})
		}
	case "MatMul":
		a, b := x, in(1)
		if len(a) >= 2 && len(b) == 2 {
			set(append(append([]int{}, a[:len(a)-1]...), b[1]))
		}
	case "Concat":
		axis := int(intAttrOr(n, "axis", 0))
		var out []int
		for i := range n.Input {
			d := in(i)
			if d == nil {
				return
			}
			if axis < 0 {
				axis += len(d)
			}
			if out == nil {
				out = append([]int{}, d...)
			} else if axis < len(out) && len(d) == len(out) {
				out[axis] += d[axis]
			} else {
				return
			}
		}
		set(out)
	case "Transpose":
		if x != nil {
			perm := intsAttr(n, "perm")
			out := make([]int, len(x))
			for i := range x {
				if perm == nil {
					out[i] = x[len(x)-1-i]
				} else if i < len(perm) && int(perm[i]) < len(x) {
					out[i] = x[perm[i]]
				} else {
					return
				}
			}
			set(out)
		}
	case "Reshape":
		set(reshapeDims(x, l.constInts(n, 1, "shape"), intAttrOr(n, "allowzero", 0) != 0))
	case "Pad":
		pads := l.constInts(n, 1, "pads")
		if x != nil && len(pads) == 2*len(x) {
			out := make([]int, len(x))
			for i, d := range x {
				out[i] = d + int(pads[i]) + int(pads[i+len(x)])
			}
			set(out)
		}
	case "Unsqueeze":
		if axes := l.constInts(n, 1, "axes"); x != nil && axes != nil {
			r := len(x) + len(axes)
			out, added, j := make([]int, r), map[int]bool{}, 0
			for _, a := range axes {
				if a < 0 {
					a += int64(r)
				}
				added[int(a)] = true
			}
			for i := range out {
				if added[i] {
					out[i] = 1
				} else if j < len(x) {
					out[i], j = x[j], j+1
				}
			}
			set(out)
		}
	case "Squeeze":
		if x != nil {
			axes := l.constInts(n, 1, "axes")
			drop := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += int64(len(x))
				}
				drop[int(a)] = true
			}
			var out []int
			for i, d := range x {
				if !(drop[i] || axes == nil && d == 1) {
					out = append(out, d)
				}
			}
			set(append([]int{}, out...))
		}
	case "Resize":
		if sizes := l.constInts(n, 3, ""); len(sizes) == len(x) && x != nil {
			set(int64sToInts(sizes))
		} else if t := l.constAt(n, 2); t != nil && len(t.FloatData) == len(x) && x != nil {
			out := make([]int, len(x))
			for i, d := range x {
				out[i] = max(int(float64(d)*float64(t.FloatData[i])), 1)
			}
			set(out)
		}
	case "ReduceMean", "ReduceMax", "ReduceSum", "ReduceMin":
		axes := l.constInts(n, 1, "axes")
		if x != nil {
			keep := intAttrOr(n, "keepdims", 1) != 0
			red := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += int64(len(x))
				}
				red[int(a)] = true
			}
			out := []int{}
			for i, d := range x {
				switch {
				case !red[i] && axes != nil:
					out = append(out, d)
				case keep:
					out = append(out, 1)
				}
			}
			set(out)
		}
	}
}

// constAt returns the constant tensor given as a node's i-th input, nil if it is not one.
func (l *legalizer) constAt(n *protos.NodeProto, i int) *protos.TensorProto {
	if i >= len(n.Input) || n.Input[i] == "" {
		return nil
	}
	return l.consts[n.Input[i]]
}

// constInts returns the integers of a node's i-th input when it is a constant, else the
// ints attribute named attrName ("" for none).
func (l *legalizer) constInts(n *protos.NodeProto, i int, attrName string) []int64 {
	if t := l.constAt(n, i); t != nil {
		return tensorInts(t)
	}
	if attrName != "" {
		return intsAttr(n, attrName)
	}
	return nil
}

// tensorInts decodes an int64 or int32 tensor (from int64_data/int32_data or raw_data,
// little-endian).
func tensorInts(t *protos.TensorProto) []int64 {
	switch protos.TensorProto_DataType(t.DataType) {
	case protos.TensorProto_INT64:
		if len(t.Int64Data) > 0 {
			return t.Int64Data
		}
		out := make([]int64, len(t.RawData)/8)
		for i := range out {
			var v uint64
			for b := 7; b >= 0; b-- {
				v = v<<8 | uint64(t.RawData[8*i+b])
			}
			out[i] = int64(v)
		}
		return out
	case protos.TensorProto_INT32:
		if len(t.Int32Data) > 0 {
			out := make([]int64, len(t.Int32Data))
			for i, v := range t.Int32Data {
				out[i] = int64(v)
			}
			return out
		}
		out := make([]int64, len(t.RawData)/4)
		for i := range out {
			var v uint32
			for b := 3; b >= 0; b-- {
				v = v<<8 | uint32(t.RawData[4*i+b])
			}
			out[i] = int64(int32(v))
		}
		return out
	}
	return nil
}

// reshapeDims applies ONNX Reshape's rules: 0 copies the input's dimension (unless
// allowzero), −1 takes what is left.
func reshapeDims(x []int, shape []int64, allowZero bool) []int {
	if x == nil || shape == nil {
		return nil
	}
	total := 1
	for _, d := range x {
		total *= d
	}
	out := make([]int, len(shape))
	known, free := 1, -1
	for i, s := range shape {
		switch {
		case s == 0 && !allowZero:
			if i >= len(x) {
				return nil
			}
			out[i] = x[i]
		case s == -1:
			if free >= 0 {
				return nil
			}
			free = i
			continue
		default:
			out[i] = int(s)
		}
		known *= out[i]
	}
	if free >= 0 {
		if known == 0 || total%known != 0 {
			return nil
		}
		out[free] = total / known
	}
	return out
}

// broadcastDims is the NumPy broadcast of two shapes (nil a means "none yet"); nil when
// they do not broadcast.
func broadcastDims(a, b []int) []int {
	if a == nil {
		return append([]int{}, b...)
	}
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil
		}
	}
	return out
}

func int64sToInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// valueInfoShapes returns the static shapes a graph states in its value_info and outputs
// (a dynamic first axis, the batch, read as 1).
func valueInfoShapes(g *protos.GraphProto) map[string][]int {
	out := map[string][]int{}
	for _, vi := range append(append([]*protos.ValueInfoProto{}, g.ValueInfo...), g.Output...) {
		tt := vi.GetType().GetTensorType()
		if tt == nil || tt.GetShape() == nil {
			continue
		}
		var d []int
		for i, dim := range tt.GetShape().GetDim() {
			v, ok := dim.GetValue().(*protos.TensorShapeProto_Dimension_DimValue)
			if i == 0 && (!ok || v.DimValue <= 0) {
				d = append(d, 1) // a dynamic batch axis: LoadONNX builds for a batch of one
				continue
			}
			if !ok || v.DimValue <= 0 {
				d = nil
				break
			}
			d = append(d, int(v.DimValue))
		}
		if d != nil || len(tt.GetShape().GetDim()) == 0 {
			out[vi.Name] = d
		}
	}
	return out
}
