package models

import (
	"fmt"

	"github.com/gomlx/compute-onnx/support/protos"
)

// rewriteImageScaler rewrites ImageScaler (an experimental op of opsets 1–9, removed in
// opset 10; OnnxMLTools puts it at the input of converted CoreML/Caffe models):
//
//	y[n, c, h, w] = scale · x[n, c, h, w] + bias[c]
//
// as Mul(x, scale) then Add(·, bias reshaped to [1, C, 1, 1]). The scale and bias are
// recorded for InputHints.Sources: they are preprocessing the graph itself applies.
func (l *legalizer) rewriteImageScaler(n *protos.NodeProto) error {
	if len(n.Input) != 1 || len(n.Output) != 1 {
		return l.nodeErr(n, "ImageScaler takes one input and gives one output; the file is malformed — re-export the model")
	}
	scale := float32(1)
	if a := attr(n, "scale"); a != nil {
		scale = a.F
	}
	var bias []float32
	if a := attr(n, "bias"); a != nil {
		bias = a.Floats
	}
	l.res.scalers = append(l.res.scalers, fmt.Sprintf("ImageScaler node %q: scale %g, bias %v (applied inside the graph)",
		n.Name, scale, bias))
	x := n.Input[0]
	scaled := n.Output[0]
	if len(bias) > 0 {
		scaled = l.name(n.Output[0] + "/scaled")
	}
	s := l.constant(n.Output[0]+"/scale", floatsTensor([]float32{scale}))
	l.emit("Mul", n.Name+"/camviz_scale", []string{x, s}, []string{scaled})
	if len(bias) > 0 {
		b := l.constant(n.Output[0]+"/bias", floatsTensor(bias, 1, int64(len(bias)), 1, 1))
		l.emit("Add", n.Name, []string{scaled, b}, []string{n.Output[0]})
	}
	return nil
}

// rewriteBatchNorm removes BatchNormalization's attributes that do not change its value
// at inference, y = scale · (x − mean) / √(var + ε) + B with the stored running mean and
// variance:
//   - momentum (any value: it only updates the running statistics in training;
//     onnx-gomlx accepts only 0.9, mobilenet_v3 carries 0.99, mnasnet 0.9997),
//   - is_test and consumed_inputs (opsets 1–6), spatial (opsets 1–8) when 1, its default,
//   - training_mode (opset ≥ 14): camviz explains trained models, so the running
//     statistics are used and the extra outputs (running mean/var updates) must be unused.
//
// spatial=0 (per-activation statistics) is refused.
func (l *legalizer) rewriteBatchNorm(n *protos.NodeProto) error {
	if intAttrOr(n, "spatial", 1) != 1 {
		return l.nodeErr(n, "spatial=0 (per-activation statistics) is not supported; re-export the model with opset ≥ 9")
	}
	if len(n.Input) != 5 {
		return l.nodeErr(n, fmt.Sprintf("it has %d inputs; BatchNormalization takes X, scale, B, mean, var — the file is malformed", len(n.Input)))
	}
	for _, extra := range n.Output[1:] {
		if extra != "" && l.reads(extra) {
			return l.nodeErr(n, fmt.Sprintf("its training output %q is read by another node; camviz uses the running "+
				"statistics — re-export the model in eval mode (model.eval() before torch.onnx.export)", extra))
		}
	}
	n.Output = n.Output[:1]
	dropAttrs(n, "momentum", "spatial", "is_test", "consumed_inputs", "training_mode")
	l.out = append(l.out, n)
	return nil
}
