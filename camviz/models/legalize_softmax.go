package models

import (
	"github.com/gomlx/compute-onnx/support/protos"
)

// rewriteSoftmax gives Softmax and LogSoftmax their opset-13 form, the one onnx-gomlx
// implements (Softmax along one axis, default −1; it has no LogSoftmax):
//
//   - before opset 13 the input is coerced to 2-D at axis a (default 1),
//     [d0·…·d(a−1), da·…·d(r−1)], the softmax taken along the second axis and the result
//     reshaped back: Flatten(x, a) → Softmax(axis 1) → Reshape(·, Shape(x)). For a
//     [N, C] or [N, C, 1, 1] input at axis 1 it is the per-class softmax.
//   - LogSoftmax(x) = Log(Softmax(x)).
//
// The output is recorded as a softmax of x, so that the default score takes x (the
// pre-activation scores).
func (l *legalizer) rewriteSoftmax(n *protos.NodeProto) error {
	if len(n.Input) != 1 || len(n.Output) != 1 {
		return l.nodeErr(n, "it takes one input and gives one output; the file is malformed")
	}
	x, y := n.Input[0], n.Output[0]
	l.res.preActivation[y] = x
	l.res.activationOp[y] = n.OpType
	isLog := n.OpType == "LogSoftmax"
	if l.opset >= 13 {
		if !isLog {
			l.out = append(l.out, n)
			return nil
		}
		sm := l.name(y + "/softmax")
		l.emit("Softmax", n.Name+"/camviz_softmax", []string{x}, []string{sm}, intAttribute("axis", intAttrOr(n, "axis", -1)))
		l.emit("Log", n.Name, []string{sm}, []string{y})
		return nil
	}
	axis := intAttrOr(n, "axis", 1)
	flat := l.name(y + "/flat")
	l.emit("Flatten", n.Name+"/camviz_flatten", []string{x}, []string{flat}, intAttribute("axis", axis))
	sm := l.name(y + "/softmax")
	l.emit("Softmax", n.Name+"/camviz_softmax", []string{flat}, []string{sm}, intAttribute("axis", 1))
	if isLog {
		lg := l.name(y + "/log")
		l.emit("Log", n.Name+"/camviz_log", []string{sm}, []string{lg})
		sm = lg
	}
	shape := l.name(y + "/shape")
	l.emit("Shape", n.Name+"/camviz_shape", []string{x}, []string{shape})
	l.emit("Reshape", n.Name, []string{sm, shape}, []string{y})
	return nil
}
