package models

import (
	"fmt"

	"github.com/gomlx/compute-onnx/support/protos"
)

// maxLRNChannels bounds the channel count of a lowered LRN (its kernel has C² values).
const maxLRNChannels = 4096

// lowerNode rewrites an op onnx-gomlx does not implement, but which older image
// classifiers use, into ops it does, keeping the value; dims are the inferred shapes. It
// returns whether it replaced n (whose rewrite is then in l.out).
//
//   - GlobalMaxPool(x) = ReduceMax(x, axes 2…r−1, keepdims 1).
//   - PRelu(x, slope) = Relu(x) + slope · Min(x, 0).
//   - LRN(x; size, α, β, bias), across channels (AlexNet, GoogLeNet and CaffeNet as
//     converted from Caffe):
//     y_c = x_c / (bias + α/size · Σ_{c' = c − ⌊(size−1)/2⌋}^{c + ⌈(size−1)/2⌉} x_{c'}²)^β,
//     the channel-window sum of squares as a 1×1 Conv with a constant banded C×C kernel
//     (needs the channel count C from the inferred shapes).
//   - LpPool(x; p) = (Σ_window |x|^p)^(1/p), see lowerLpPool.
func (l *legalizer) lowerNode(n *protos.NodeProto, dims map[string][]int) (bool, error) {
	if n.Domain != "" && n.Domain != "ai.onnx" || len(n.Output) == 0 || len(n.Input) == 0 {
		return false, nil
	}
	x, y := n.Input[0], n.Output[0]
	switch n.OpType {
	case "GlobalMaxPool":
		rank := 4
		if d := dims[x]; d != nil {
			rank = len(d)
		}
		var axes []int64
		for a := 2; a < rank; a++ {
			axes = append(axes, int64(a))
		}
		l.emit("ReduceMax", n.Name, []string{x}, []string{y}, intAttribute("keepdims", 1),
			&protos.AttributeProto{Name: "axes", Type: protos.AttributeProto_INTS, Ints: axes})
		return true, nil
	case "PRelu":
		if len(n.Input) != 2 {
			return false, l.nodeErr(n, "PRelu takes X and slope; the file is malformed")
		}
		pos, neg, scaled := l.name(y+"/pos"), l.name(y+"/neg"), l.name(y+"/scaled")
		zero := l.constant(y+"/zero", floatsTensor([]float32{0}))
		l.emit("Relu", n.Name+"/camviz_pos", []string{x}, []string{pos})
		l.emit("Min", n.Name+"/camviz_neg", []string{x, zero}, []string{neg})
		l.emit("Mul", n.Name+"/camviz_slope", []string{n.Input[1], neg}, []string{scaled})
		l.emit("Add", n.Name, []string{pos, scaled}, []string{y})
		return true, nil
	case "LpPool":
		return true, l.lowerLpPool(n, dims)
	case "LRN":
		d := dims[x]
		if len(d) < 3 {
			return false, l.nodeErr(n, fmt.Sprintf("camviz lowers LRN to a convolution over channels and needs the channel "+
				"count of its input %q, which it could not infer; re-export the model with shapes in value_info "+
				"(onnx.shape_inference.infer_shapes)", x))
		}
		size := intAttrOr(n, "size", 0)
		if size <= 0 {
			return false, l.nodeErr(n, "its size attribute is missing or not positive; the file is malformed")
		}
		alpha, beta, bias := float32(1e-4), float32(0.75), float32(1)
		if a := attr(n, "alpha"); a != nil {
			alpha = a.F
		}
		if a := attr(n, "beta"); a != nil {
			beta = a.F
		}
		if a := attr(n, "bias"); a != nil {
			bias = a.F
		}
		c := d[1]
		if c <= 0 || c > maxLRNChannels {
			return false, l.nodeErr(n, fmt.Sprintf("its input has %d channels; camviz lowers LRN with a C×C kernel for "+
				"1 ≤ C ≤ %d", c, maxLRNChannels))
		}
		band := make([]float32, c*c)
		lo, hi := (size-1)/2, size-1-(size-1)/2
		for out := range c {
			for in := max(0, out-int(lo)); in <= min(c-1, out+int(hi)); in++ {
				band[out*c+in] = 1
			}
		}
		kernel := l.constant(y+"/window", floatsTensor(band, int64(c), int64(c), 1, 1))
		sq, sum, scaled, base, denom := l.name(y+"/sq"), l.name(y+"/sum"), l.name(y+"/scaled"), l.name(y+"/base"), l.name(y+"/denom")
		l.emit("Mul", n.Name+"/camviz_sq", []string{x, x}, []string{sq})
		conv := l.emit("Conv", n.Name+"/camviz_window", []string{sq, kernel}, []string{sum})
		setInts(conv, "kernel_shape", []int64{1, 1})
		l.emit("Mul", n.Name+"/camviz_alpha", []string{sum, l.constant(y+"/alpha", floatsTensor([]float32{alpha / float32(size)}))}, []string{scaled})
		l.emit("Add", n.Name+"/camviz_bias", []string{scaled, l.constant(y+"/bias", floatsTensor([]float32{bias}))}, []string{base})
		l.emit("Pow", n.Name+"/camviz_beta", []string{base, l.constant(y+"/beta", floatsTensor([]float32{beta}))}, []string{denom})
		l.emit("Div", n.Name, []string{x, denom}, []string{y})
		return true, nil
	}
	return false, nil
}

// lowerLpPool lowers LpPool(x; p, kernel k, strides, pads) — (Σ_window |x|^p)^(1/p), the
// padding counting as zeros — into Abs → Pow(p) → AveragePool(count_include_pad=1, same
// window) → Mul(∏k) → Pow(1/p): the average with the padding counted, times the window
// size, is the sum. The AveragePool goes through rewriteWindow, which makes its counted
// padding an explicit Pad. n's auto_pad has been made explicit already.
func (l *legalizer) lowerLpPool(n *protos.NodeProto, dims map[string][]int) error {
	x, y := n.Input[0], n.Output[0]
	p := intAttrOr(n, "p", 2)
	if p <= 0 {
		return l.nodeErr(n, fmt.Sprintf("p = %d; LpPool needs p ≥ 1", p))
	}
	k := intsAttr(n, "kernel_shape")
	size := int64(1)
	for _, v := range k {
		size *= v
	}
	if len(k) == 0 || size <= 0 {
		return l.nodeErr(n, "its kernel_shape is missing or not positive; the file is malformed")
	}
	abs, pw, avg, sum := l.name(y+"/abs"), l.name(y+"/pow"), l.name(y+"/avg"), l.name(y+"/sum")
	l.emit("Abs", n.Name+"/camviz_abs", []string{x}, []string{abs})
	l.emit("Pow", n.Name+"/camviz_pow", []string{abs, l.constant(y+"/p", floatsTensor([]float32{float32(p)}))}, []string{pw})
	dims[abs], dims[pw] = dims[x], dims[x]
	pool := &protos.NodeProto{OpType: "AveragePool", Name: n.Name + "/camviz_sum", Input: []string{pw}, Output: []string{avg},
		Attribute: []*protos.AttributeProto{intAttribute("count_include_pad", 1)}}
	for _, name := range []string{"kernel_shape", "strides", "pads"} {
		if a := attr(n, name); a != nil {
			pool.Attribute = append(pool.Attribute, a)
		}
	}
	if err := l.rewriteWindow(pool, dims); err != nil {
		return err
	}
	l.out = append(l.out, pool)
	l.emit("Mul", n.Name+"/camviz_size", []string{avg, l.constant(y+"/size", floatsTensor([]float32{float32(size)}))}, []string{sum})
	l.emit("Pow", n.Name, []string{sum, l.constant(y+"/inv_p", floatsTensor([]float32{1 / float32(p)}))}, []string{y})
	return nil
}
