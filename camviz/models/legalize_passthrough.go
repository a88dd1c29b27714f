package models

import (
	"github.com/gomlx/compute-onnx/support/protos"
)

// removePassThrough removes a Dropout (any opset: is_test, ratio as attribute or input,
// training_mode input) or an Identity: at inference both are y = x. Readers of y read x
// instead. onnx-gomlx implements no Dropout, and its Identity has no gradient, so
// Grad-CAM through an Identity (swin_t) fails; removing them avoids both. A Dropout's mask
// output must be unused (its value at inference, all true, is not built).
func (l *legalizer) removePassThrough(n *protos.NodeProto) error {
	if len(n.Input) == 0 || n.Input[0] == "" || len(n.Output) == 0 {
		return l.nodeErr(n, "it has no data input or output; the file is malformed — re-export the model")
	}
	if n.OpType == "Dropout" && len(n.Output) > 1 {
		if l.reads(n.Output[1]) {
			return l.nodeErr(n, "its mask output is read by another node; camviz removes Dropout at inference "+
				"and cannot build the mask — re-export the model in eval mode (model.eval() before torch.onnx.export)")
		}
	}
	l.alias[n.Output[0]] = n.Input[0]
	return nil
}

// reads says whether any node input or graph output names v.
func (l *legalizer) reads(v string) bool {
	for _, m := range l.g.Node {
		for _, in := range m.Input {
			if in == v {
				return true
			}
		}
	}
	for _, o := range l.g.Output {
		if o.Name == v {
			return true
		}
	}
	return false
}

// resolveOutputAliases keeps the names of graph outputs that a removed pass-through node
// produced: the value it passed through is renamed to the output's name (its producer and
// its readers). When that value is a graph input, an initializer or another graph
// output, an Identity is kept instead.
func (l *legalizer) resolveOutputAliases() {
	outputs := map[string]bool{}
	for _, o := range l.g.Output {
		outputs[o.Name] = true
	}
	inputs := map[string]bool{}
	for _, in := range l.g.Input {
		inputs[in.Name] = true
	}
	for _, o := range l.g.Output {
		if _, ok := l.alias[o.Name]; !ok {
			continue
		}
		src := l.resolve(o.Name)
		if outputs[src] || inputs[src] || l.consts[src] != nil && !l.isNodeOutput(src) {
			l.g.Node = append(l.g.Node, &protos.NodeProto{OpType: "Identity", Name: o.Name + "/camviz_identity",
				Input: []string{src}, Output: []string{o.Name}})
			continue
		}
		l.rename(src, o.Name)
	}
}

// isNodeOutput says whether a node produces v.
func (l *legalizer) isNodeOutput(v string) bool {
	for _, n := range l.g.Node {
		for _, o := range n.Output {
			if o == v {
				return true
			}
		}
	}
	return false
}

// rename renames the value from → to everywhere in the graph (node inputs and outputs,
// the legalization's records).
func (l *legalizer) rename(from, to string) {
	for _, n := range l.g.Node {
		for i := range n.Input {
			if n.Input[i] == from {
				n.Input[i] = to
			}
		}
		for i := range n.Output {
			if n.Output[i] == from {
				n.Output[i] = to
			}
		}
	}
	if t, ok := l.consts[from]; ok {
		l.consts[to] = t
	}
	pre := l.res.preActivation
	for k, v := range pre {
		if v == from {
			pre[k] = to
		}
	}
	if v, ok := pre[from]; ok {
		delete(pre, from)
		pre[to] = v
	}
}
