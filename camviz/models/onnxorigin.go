package models

import "fmt"

// tapOrigin returns the ONNX node that computes a tap, e.g. `ONNX node "conv1" (op
// Conv, output "/conv1/Conv_output_0")`, or "" when the tap is no node output. The
// Explainer's errors name a node by it (camviz.Config.TapOrigin). For the output of a
// Conv folded with its BatchNormalization (foldConvBatchNorms), no longer a tap, it is
// the sentence saying so, which the Explainer gives for that unknown layer.
func (n *onnxNet) tapOrigin(tap string) string {
	for out, why := range n.graph.legal.foldedConvs {
		if tapName(out) == tap {
			return why
		}
	}
	for _, out := range n.graph.outputs {
		if tapName(out) != tap {
			continue
		}
		if node := n.graph.nodes[out]; node != nil {
			return fmt.Sprintf("ONNX node %q (op %s, output %q)", node.Name, node.OpType, out)
		}
	}
	return ""
}

// checkImages returns an error when images of the given dimensions do not fit the ONNX
// graph's input (rank, channels, fixed height and width), naming the input and the
// dimensions it takes; onnx-gomlx would otherwise fail inside its first node.
func (n *onnxNet) checkImages(dims []int) error {
	og := n.graph
	m := &Model{Spec: Spec{InputSize: [3]int{og.buildDims[2], og.buildDims[3], og.buildDims[1]}}, ChannelsFirst: true, onnx: n}
	if err := m.CheckInput(dims); err != nil {
		return fmt.Errorf("%w; resize or convert the pictures (ONNX input %q is declared %v, -1: any size)",
			err, og.input, og.inputDims)
	}
	return nil
}
