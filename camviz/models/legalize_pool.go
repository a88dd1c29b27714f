package models

import (
	"fmt"

	"github.com/gomlx/compute-onnx/support/protos"
)

// windowOps are the ops with a sliding window over the spatial axes whose padding the
// pooling rewrites make explicit.
var windowOps = map[string]bool{"Conv": true, "MaxPool": true, "AveragePool": true, "LpPool": true}

// rewriteWithShapes infers shapes over the graph, from the image input of the given
// dimensions, and rewrites the window ops whose padding depends on them (rewriteWindow)
// and, for an input fixed to a batch of one, the Reshapes that baked it in (freeBatch);
// it lowers the ops that need shapes or that onnx-gomlx lacks (lowerNode).
func (l *legalizer) rewriteWithShapes(input string, inputDims []int) error {
	dims := valueInfoShapes(l.g)
	dims[input] = inputDims
	for _, t := range l.g.Initializer {
		dims[t.Name] = int64sToInts(t.Dims)
	}
	fixedBatch := l.freeBatch(input)
	nodes := l.g.Node
	l.out = nil
	for _, n := range nodes {
		if fixedBatch && n.OpType == "Reshape" && len(n.Input) > 0 {
			l.freeReshapeBatch(n, dims[n.Input[0]])
		}
		if windowOps[n.OpType] && (n.Domain == "" || n.Domain == "ai.onnx") {
			if err := l.rewriteWindow(n, dims); err != nil {
				return err
			}
		}
		lowered, err := l.lowerNode(n, dims)
		if err != nil {
			return err
		}
		if !lowered {
			l.out = append(l.out, n)
		}
		l.inferShape(n, dims)
	}
	l.g.Node = l.out
	return nil
}

// rewriteWindow makes a window op's padding explicit, the only form onnx-gomlx builds,
// and gives pools without strides their ONNX default, 1 (onnx-gomlx v0.5.13 leaves
// GoMLX's default, the window size: a MaxPool 3×3 without strides would pool with stride
// 3):
//
//   - auto_pad (Conv, MaxPool, AveragePool, LpPool): VALID is pads 0; SAME_UPPER and
//     SAME_LOWER pad so that out = ⌈in / stride⌉: total = max((out − 1)·stride + e − in, 0)
//     with e = (k − 1)·dilation + 1, split total/2 at the begin and the rest at the end
//     (SAME_UPPER), or the other way round (SAME_LOWER);
//   - ceil_mode=1 (MaxPool, AveragePool): out = ⌈(in + pb + pe − e) / stride⌉ + 1, less one
//     when the last window would start past the input and its begin padding (PyTorch's and
//     onnxruntime's rule); the end padding grows by (out − 1)·stride + e − (in + pb + pe).
//     That extra padding never enters a window's value: a max ignores it (−∞) and
//     onnx-gomlx's average divides by the count of non-padding elements;
//   - count_include_pad=1 (AveragePool): the declared padding is made an explicit Pad with
//     zeros before the pool, so that it is counted, as ONNX (and PyTorch's
//     AvgPool2d(count_include_pad=True), its default) divide by the window size clipped to
//     the padded input; the ceil_mode overhang stays uncounted, as in PyTorch.
func (l *legalizer) rewriteWindow(n *protos.NodeProto, dims map[string][]int) error {
	if n.OpType != "Conv" && attr(n, "strides") == nil {
		// ONNX's default stride is 1; GoMLX's pools default to the window size, and
		// onnx-gomlx passes an absent strides attribute on as absent.
		if k := intsAttr(n, "kernel_shape"); k != nil {
			ones := make([]int64, len(k))
			for i := range ones {
				ones[i] = 1
			}
			setInts(n, "strides", ones)
		}
	}
	autoPad := stringAttrOr(n, "auto_pad", "NOTSET")
	ceil := n.OpType != "Conv" && intAttrOr(n, "ceil_mode", 0) != 0
	includePad := n.OpType == "AveragePool" && intAttrOr(n, "count_include_pad", 0) != 0
	if (autoPad == "NOTSET" || autoPad == "") && !ceil && !includePad {
		return nil
	}
	if len(n.Input) == 0 || len(n.Output) == 0 {
		return l.nodeErr(n, "it has no input or output; the file is malformed")
	}
	x := dims[n.Input[0]]
	if len(x) < 3 {
		return l.nodeErr(n, fmt.Sprintf("camviz needs the spatial size of its input %q to turn auto_pad/ceil_mode/"+
			"count_include_pad into explicit pads, and could not infer it; re-export the model with explicit pads "+
			"(PyTorch does) or with shapes in value_info (onnx.shape_inference.infer_shapes)", n.Input[0]))
	}
	k, strides, dil, pads, err := l.windowParams(n, x, dims)
	if err != nil {
		return err
	}
	r := len(x) - 2
	switch autoPad {
	case "NOTSET", "":
	case "VALID":
		pads = make([]int64, 2*r)
	case "SAME_UPPER", "SAME_LOWER":
		for i := range r {
			in, s, e := int64(x[2+i]), strides[i], (k[i]-1)*dil[i]+1
			out := (in + s - 1) / s
			total := max((out-1)*s+e-in, 0)
			small, big := total/2, total-total/2
			if autoPad == "SAME_UPPER" {
				pads[i], pads[i+r] = small, big
			} else {
				pads[i], pads[i+r] = big, small
			}
		}
	default:
		return l.nodeErr(n, fmt.Sprintf("auto_pad %q is not an ONNX value (NOTSET, VALID, SAME_UPPER, SAME_LOWER); the file is malformed", autoPad))
	}
	dropAttrs(n, "auto_pad")
	declared := append([]int64{}, pads...)
	if ceil {
		for i := range r {
			in, s, e := int64(x[2+i]), strides[i], (k[i]-1)*dil[i]+1
			span := in + pads[i] + pads[i+r]
			out := (span-e+s-1)/s + 1
			if (out-1)*s >= in+pads[i] {
				out--
			}
			if need := (out-1)*s + e - span; need > 0 {
				pads[i+r] += need
			}
		}
		dropAttrs(n, "ceil_mode")
	}
	if includePad {
		full := make([]int64, 2*len(x))
		for i := range r {
			full[2+i], full[len(x)+2+i] = declared[i], declared[i+r]
			pads[i] -= declared[i]
			pads[i+r] -= declared[i+r]
		}
		padded := l.name(n.Output[0] + "/padded")
		p := l.constant(n.Output[0]+"/pads", int64sTensor(full))
		v := l.constant(n.Output[0]+"/zero", floatsTensor([]float32{0}))
		l.emit("Pad", n.Name+"/camviz_pad", []string{n.Input[0], p, v}, []string{padded}, stringAttribute("mode", "constant"))
		pd := append([]int{}, x...)
		for i := range pd {
			pd[i] += int(full[i] + full[i+len(x)])
		}
		dims[padded] = pd
		n.Input[0] = padded
		dropAttrs(n, "count_include_pad")
	}
	setInts(n, "pads", pads)
	return nil
}

// windowParams returns a window op's kernel size, strides, dilations (1 by default) and
// pads (0 by default), per spatial axis. A Conv without kernel_shape takes it from its
// weight's dimensions.
func (l *legalizer) windowParams(n *protos.NodeProto, x []int, dims map[string][]int) (k, strides, dil, pads []int64, err error) {
	r := len(x) - 2
	k = intsAttr(n, "kernel_shape")
	if k == nil && n.OpType == "Conv" && len(n.Input) > 1 {
		if w := dims[n.Input[1]]; len(w) == len(x) {
			for _, d := range w[2:] {
				k = append(k, int64(d))
			}
		}
	}
	if len(k) != r {
		return nil, nil, nil, nil, l.nodeErr(n, fmt.Sprintf("its kernel shape %v does not match its input's %d spatial axes; "+
			"the file is malformed", k, r))
	}
	ones := func() []int64 {
		v := make([]int64, r)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	strides, dil = intsAttr(n, "strides"), intsAttr(n, "dilations")
	if strides == nil {
		strides = ones()
	}
	if dil == nil {
		dil = ones()
	}
	pads = append([]int64{}, intsAttr(n, "pads")...)
	if len(pads) == 0 {
		pads = make([]int64, 2*r)
	}
	if len(strides) != r || len(dil) != r || len(pads) != 2*r {
		return nil, nil, nil, nil, l.nodeErr(n, fmt.Sprintf("strides %v, dilations %v or pads %v do not match its %d spatial axes; "+
			"the file is malformed", strides, dil, pads, r))
	}
	for i := range r {
		if strides[i] <= 0 || dil[i] <= 0 || k[i] <= 0 {
			return nil, nil, nil, nil, l.nodeErr(n, "a kernel size, stride or dilation is not positive; the file is malformed")
		}
	}
	return k, strides, dil, pads, nil
}

// poolOutputDims is the output shape of a window op with explicit pads (after
// rewriteWindow): [N, C_out, ⌊(in + pb + pe − e) / stride⌋ + 1 …], C_out from a Conv's
// weight.
func (l *legalizer) poolOutputDims(n *protos.NodeProto, x, w []int) []int {
	if len(x) < 3 || stringAttrOr(n, "auto_pad", "NOTSET") != "NOTSET" || intAttrOr(n, "ceil_mode", 0) != 0 {
		return nil
	}
	k, strides, dil, pads, err := l.windowParams(n, x, map[string][]int{n.Input[min(1, len(n.Input)-1)]: w})
	if err != nil {
		return nil
	}
	out := []int{x[0], x[1]}
	if n.OpType == "Conv" {
		if len(w) != len(x) {
			return nil
		}
		out[1] = w[0]
	}
	r := len(x) - 2
	for i := range r {
		e := (k[i]-1)*dil[i] + 1
		out = append(out, int((int64(x[2+i])+pads[i]+pads[i+r]-e)/strides[i]+1))
	}
	return out
}
