package models

import (
	"fmt"
	"math"

	"github.com/gomlx/compute-onnx/support/protos"
)

// rewritePad rewrites Pad before opset 11, whose pads (opset 1: paddings), value and mode
// are attributes, into the input form Pad(data, pads, constant_value) with the mode kept.
// The layout of pads is the same in both: [x1_begin, x2_begin, …, x1_end, x2_end, …].
// onnx-gomlx reads the input form only (the attribute form panicked with "index out of
// range [1] with length 1").
func (l *legalizer) rewritePad(n *protos.NodeProto) error {
	if l.opset >= 11 {
		if len(n.Input) > 3 {
			return l.nodeErr(n, "its axes input (opset 18) is not supported by onnx-gomlx v0.5.13; "+
				"re-export the model with opset 17, or pad every axis")
		}
		if len(n.Input) < 2 {
			return l.nodeErr(n, "it has no pads input; the file is malformed — re-export the model")
		}
		l.out = append(l.out, n)
		return nil
	}
	if len(n.Input) != 1 {
		return l.nodeErr(n, fmt.Sprintf("it has %d inputs; at opset %d Pad takes one (pads and value are attributes) — the file is malformed",
			len(n.Input), l.opset))
	}
	pads := intsAttr(n, "pads")
	if pads == nil {
		pads = intsAttr(n, "paddings")
	}
	if pads == nil {
		return l.nodeErr(n, "it has no pads attribute; the file is malformed — re-export the model")
	}
	value := float32(0)
	if a := attr(n, "value"); a != nil {
		value = a.F
	}
	p := l.constant(n.Output[0]+"/pads", int64sTensor(pads))
	v := l.constant(n.Output[0]+"/value", floatsTensor([]float32{value}))
	n.Input = []string{n.Input[0], p, v}
	dropAttrs(n, "pads", "paddings", "value")
	l.out = append(l.out, n)
	return nil
}

// rewriteReshape rewrites Reshape of opsets 1–4, whose target shape is the attribute
// shape, into Reshape(data, shape).
func (l *legalizer) rewriteReshape(n *protos.NodeProto) error {
	if len(n.Input) >= 2 {
		l.out = append(l.out, n)
		return nil
	}
	shape := intsAttr(n, "shape")
	if attr(n, "shape") == nil || len(n.Input) != 1 {
		return l.nodeErr(n, "it has neither a shape input nor a shape attribute; the file is malformed — re-export the model")
	}
	s := l.constant(n.Output[0]+"/shape", int64sTensor(shape))
	n.Input = append(n.Input, s)
	dropAttrs(n, "shape", "consumed_inputs")
	l.out = append(l.out, n)
	return nil
}

// rewriteSlice rewrites Slice of opsets 1–9, whose starts, ends and axes are attributes,
// into Slice(data, starts, ends, axes) (steps 1).
func (l *legalizer) rewriteSlice(n *protos.NodeProto) error {
	if len(n.Input) >= 3 {
		l.out = append(l.out, n)
		return nil
	}
	starts, ends := intsAttr(n, "starts"), intsAttr(n, "ends")
	if starts == nil || ends == nil || len(starts) != len(ends) || len(n.Input) != 1 {
		return l.nodeErr(n, "it has neither starts/ends inputs nor matching starts/ends attributes; the file is malformed")
	}
	n.Input = append(n.Input, l.constant(n.Output[0]+"/starts", int64sTensor(starts)),
		l.constant(n.Output[0]+"/ends", int64sTensor(ends)))
	if axes := intsAttr(n, "axes"); axes != nil {
		n.Input = append(n.Input, l.constant(n.Output[0]+"/axes", int64sTensor(axes)))
	}
	dropAttrs(n, "starts", "ends", "axes")
	l.out = append(l.out, n)
	return nil
}

// rewriteClip rewrites Clip, y = min(max(x, lo), hi), in every form — attributes min and
// max (opsets 1–10, defaults ∓∞), inputs min and max (opset ≥ 11), either omitted or
// given as "" — into Max(x, lo) and Min(·, hi), leaving out the bound that is not given.
func (l *legalizer) rewriteClip(n *protos.NodeProto) error {
	if len(n.Input) == 0 || n.Input[0] == "" {
		return l.nodeErr(n, "it has no input; the file is malformed")
	}
	x, lo, hi := n.Input[0], "", ""
	if l.opset < 11 {
		if a := attr(n, "min"); a != nil && !math.IsInf(float64(a.F), -1) {
			lo = l.constant(n.Output[0]+"/min", floatsTensor([]float32{a.F}))
		}
		if a := attr(n, "max"); a != nil && !math.IsInf(float64(a.F), 1) {
			hi = l.constant(n.Output[0]+"/max", floatsTensor([]float32{a.F}))
		}
	} else {
		if len(n.Input) > 1 {
			lo = n.Input[1]
		}
		if len(n.Input) > 2 {
			hi = n.Input[2]
		}
	}
	switch {
	case lo == "" && hi == "":
		l.alias[n.Output[0]] = x
	case hi == "":
		l.emit("Max", n.Name, []string{x, lo}, []string{n.Output[0]})
	case lo == "":
		l.emit("Min", n.Name, []string{x, hi}, []string{n.Output[0]})
	default:
		mid := l.name(n.Output[0] + "/lower")
		l.emit("Max", n.Name+"/camviz_lower", []string{x, lo}, []string{mid})
		l.emit("Min", n.Name, []string{mid, hi}, []string{n.Output[0]})
	}
	return nil
}

// rewriteUpsample rewrites Upsample (opsets 7–9; scales an attribute before opset 9, an
// input from 9) into Resize(X, roi="", scales) with the same semantics, as onnx's version
// converter does: output size floor(in · scale), coordinate_transformation_mode
// "asymmetric" (x_in = x_out / scale), nearest_mode "floor"; mode nearest or linear
// ("bilinear" of the experimental opset-1 form is linear).
func (l *legalizer) rewriteUpsample(n *protos.NodeProto) error {
	mode := stringAttrOr(n, "mode", "nearest")
	if mode == "bilinear" {
		mode = "linear"
	}
	if mode != "nearest" && mode != "linear" {
		return l.nodeErr(n, fmt.Sprintf("mode %q is not an Upsample mode; the file is malformed", mode))
	}
	var scales string
	switch {
	case len(n.Input) == 2:
		scales = n.Input[1]
	case attr(n, "scales") != nil && len(n.Input) == 1:
		scales = l.constant(n.Output[0]+"/scales", floatsTensor(attr(n, "scales").Floats, int64(len(attr(n, "scales").Floats))))
	default:
		return l.nodeErr(n, "it has neither a scales input nor a scales attribute (the opset-1 form with height_scale/width_scale "+
			"is not supported); re-export the model with opset ≥ 11, where Upsample is Resize")
	}
	l.emit("Resize", n.Name, []string{n.Input[0], "", scales}, []string{n.Output[0]},
		stringAttribute("mode", mode), stringAttribute("coordinate_transformation_mode", "asymmetric"),
		stringAttribute("nearest_mode", "floor"))
	return nil
}

// rewriteSum rewrites Sum(x1, …, xn) (not in onnx-gomlx) into a chain of Add, which
// broadcasts the same way (multidirectional, opset ≥ 8; opsets 6–7 required equal
// shapes, a special case).
func (l *legalizer) rewriteSum(n *protos.NodeProto) error {
	if len(n.Input) == 0 {
		return l.nodeErr(n, "it has no input; the file is malformed")
	}
	if len(n.Input) == 1 {
		l.alias[n.Output[0]] = n.Input[0]
		return nil
	}
	acc := n.Input[0]
	for i, in := range n.Input[1:] {
		out := n.Output[0]
		if i < len(n.Input)-2 {
			out = l.name(n.Output[0] + "/partial")
		}
		l.emit("Add", fmt.Sprintf("%s/camviz_add%d", n.Name, i), []string{acc, in}, []string{out})
		acc = out
	}
	return nil
}

// rewriteSplit rewrites Split of opsets 2–12, whose part sizes are the attribute split,
// into Split(input, split) (opset 13's form): onnx-gomlx reads the sizes from the input
// only, and without it splits evenly.
func (l *legalizer) rewriteSplit(n *protos.NodeProto) error {
	split := intsAttr(n, "split")
	if len(n.Input) != 1 || split == nil {
		l.out = append(l.out, n)
		return nil
	}
	n.Input = append(n.Input, l.constant(n.Name+"/split", int64sTensor(split)))
	dropAttrs(n, "split")
	l.out = append(l.out, n)
	return nil
}
