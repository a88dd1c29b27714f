package models

import (
	"fmt"
	"slices"
	"strings"
)

// activationOps turn scores into probabilities; their input is the pre-activation score
// tensor that pytorch-grad-cam's ClassifierOutputTarget assumes.
var activationOps = map[string]bool{"Softmax": true, "LogSoftmax": true, "Sigmoid": true}

// ScoreTensor names the tensor used as the class scores and says what it is, for tools to
// print: for an ONNX model the node output Model.Score (else the logits output) with, for
// example, "input of Softmax node /Softmax, whose output prob is a graph output", "graph
// output" or "output of Gemm node /fc/Gemm"; for a zoo model "logits", "the model's
// output".
func (m *Model) ScoreTensor() (name, what string) {
	if m.onnx == nil {
		return "logits", "the model's output"
	}
	name = m.scoreOutput()
	gr := m.onnx.graph.proto.GetGraph()
	graphOutput := map[string]bool{}
	for _, o := range gr.GetOutput() {
		graphOutput[o.GetName()] = true
	}
	var parts []string
	for _, n := range gr.GetNode() {
		if !activationOps[n.GetOpType()] || len(n.GetInput()) == 0 || n.GetInput()[0] != name {
			continue
		}
		s := "input of " + nodeDesc(n.GetOpType(), n.GetName())
		for _, o := range n.GetOutput() {
			if graphOutput[o] {
				s += fmt.Sprintf(", whose output %s is a graph output", o)
			}
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 && m.onnx.graph.legal != nil {
		// A Softmax before opset 13, rewritten (legalize_softmax.go), reads the scores
		// through a Flatten: name the op the model states.
		legal := m.onnx.graph.legal
		var outs []string
		for y, x := range legal.preActivation {
			if x == name {
				outs = append(outs, y)
			}
		}
		slices.Sort(outs)
		for _, y := range outs {
			s := fmt.Sprintf("input of the model's %s giving %s", legal.activationOp[y], y)
			if graphOutput[y] {
				s += ", a graph output"
			}
			parts = append(parts, s)
		}
	}
	if graphOutput[name] {
		parts = append(parts, "graph output")
	}
	if len(parts) == 0 {
		for _, n := range gr.GetNode() {
			if slices.Contains(n.GetOutput(), name) {
				parts = append(parts, "output of "+nodeDesc(n.GetOpType(), n.GetName()))
			}
		}
	}
	return tapName(name), strings.Join(parts, "; ")
}

// scoreOutput is the ONNX node output of the class scores: Model.Score, else (a model
// whose loader did not set it) the graph output named "logits", else the first.
func (m *Model) scoreOutput() string {
	if m.Score != "" {
		return m.Score
	}
	outs := m.onnx.graph.proto.GetGraph().GetOutput()
	for _, o := range outs {
		if o.GetName() == "logits" {
			return "logits"
		}
	}
	if len(outs) == 0 {
		return ""
	}
	return outs[0].GetName()
}

// nodeDesc is "OP node NAME", or "OP node" for a node without a name (Caffe2 exports
// leave them empty).
func nodeDesc(op, name string) string {
	if name == "" {
		return op + " node"
	}
	return op + " node " + name
}
