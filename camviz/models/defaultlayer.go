package models

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute"
)

// DefaultLayer returns the layer to explain when the user names none: the last
// activation with spatial extent before the global pooling that feeds the class scores.
// It builds the model for one image of its input size to learn the activations' shapes;
// see [Model.DefaultLayerFromTaps] for the rule.
func (m *Model) DefaultLayer(backend compute.Backend) (string, error) {
	taps, err := m.Taps(backend)
	if err != nil {
		return "", fmt.Errorf("models: finding the default layer: %w", err)
	}
	return m.DefaultLayerFromTaps(taps)
}

// DefaultLayerFromTaps picks the default layer from the model's taps (as listed by
// [Model.Taps]): the last activation, in graph order, that is 4-D, floating point, has
// spatial extent (h·w > 1) and feeds the class scores through tensors without spatial
// extent only — the input of the global pooling (or of a flatten) in front of the
// classifier head. That is where pytorch-grad-cam's documentation puts the target layer
// of the common CNNs (model.layer4[-1] of a ResNet, model.features[-1] of a VGG or
// DenseNet) and what torchcam's locate_candidate_layer finds (the last module output
// whose spatial size is not 1×1). Unlike torchcam, only tensors on the path to the
// scores count: a spatial tensor computed after the pooling in graph order that does not
// feed the scores (an auxiliary head, a second output), or one read only through Shape,
// is never chosen.
//
// Vision transformers, whose scores come from tokens [N, T, D]: the default is the token
// output of the last LayerNormalization, in graph order, that feeds both the scores and
// an attention Softmax — the last block's norm1, pytorch-grad-cam's recommended layer
// for ViT and DeiT (model.blocks[-1].norm1). Later token layers do not work: after the
// last attention, each token only feeds itself, and a head that reads the class token
// gives every patch token a zero gradient. Without such a node the error says what to
// give.
//
// Zoo models: the last block (Model.Layers) with spatial extent. ONNX models: the graph
// is walked back from the score tensor (Model.Score, else the logits output), stopping
// at the first spatial activation on every path; the latest of those in graph order
// wins. The error says when no such activation exists.
func (m *Model) DefaultLayerFromTaps(taps []camviz.TapInfo) (string, error) {
	shape := map[string][]int{}
	order := map[string]int{}
	for i, t := range taps {
		if len(t.Shape) == 4 && strings.HasPrefix(t.DType, "Float") {
			shape[t.Name] = t.Shape
		}
		order[t.Name] = i
	}
	// A 4-D activation is read in the layout the Explainer gives it (camviz.Config.LayerLayout:
	// channels-last blocks inside an NCHW model, as in ConvNeXt and Swin, are recognised).
	cfg := m.Config(nil)
	in := m.InputDims(1)
	imageHW := [2]int{in[1], in[2]}
	if m.ChannelsFirst {
		imageHW = [2]int{in[2], in[3]}
	}
	spatial := func(tap string) bool {
		s, ok := shape[tap]
		if !ok {
			return false
		}
		channelsFirst := m.ChannelsFirst
		if l, err := cfg.LayerLayout(tap, s, imageHW); err == nil {
			channelsFirst = l.Kind == camviz.LayoutChannelsFirst
		}
		if channelsFirst {
			return s[2]*s[3] > 1
		}
		return s[1]*s[2] > 1
	}
	if m.onnx == nil {
		for i := len(m.Layers) - 1; i >= 0; i-- {
			if spatial(m.LayerName(m.Layers[i])) {
				return m.LayerName(m.Layers[i]), nil
			}
		}
		return "", fmt.Errorf("models: no block of the model has spatial extent at input %v (blocks %s); give the layer explicitly",
			m.InputDims(1), strings.Join(m.Layers, ", "))
	}
	score := m.scoreOutput()
	tokens := func(out string) bool {
		for _, t := range taps {
			if t.Name == tapName(out) {
				return len(t.Shape) == 3 && t.Shape[1] > 1 && strings.HasPrefix(t.DType, "Float")
			}
		}
		return false
	}
	frontier, crossed := spatialFrontier(m.onnx.graph, score, func(out string) bool { return spatial(tapName(out)) }, tokens)
	if crossed != "" {
		if norm := lastAttentionNorm(m.onnx.graph, score, tokens); norm != "" {
			return tapName(norm), nil
		}
		return "", fmt.Errorf("models: the scores %q are computed from tokens (%s, a vision transformer's layout) and no "+
			"LayerNormalization before an attention Softmax was found: there is no default layer; give one, e.g. the input "+
			"of the last block's attention (pytorch-grad-cam: blocks[-1].norm1; camviz layers lists the token layers)",
			score, tapName(crossed))
	}
	best, bestOrder := "", -1
	for _, name := range frontier {
		if o := order[tapName(name)]; o > bestOrder {
			best, bestOrder = tapName(name), o
		}
	}
	if best == "" {
		return "", fmt.Errorf("models: no 4-D activation with spatial extent feeds the scores %q at input %v; give the layer explicitly (camviz layers lists them)",
			score, m.InputDims(1))
	}
	return best, nil
}

// shapeOps read only their input's shape: no gradient flows through them, so the walk
// to the default layer does not cross them.
var shapeOps = map[string]bool{"Shape": true, "Size": true}

// spatialFrontier walks the ONNX graph back from the node output score and returns the
// first node outputs for which isSpatial holds on every path (without walking past them),
// and the first token tensor (isTokens) it walked through, if any.
func spatialFrontier(og *onnxGraph, score string, isSpatial, isTokens func(string) bool) (frontier []string, crossed string) {
	producer := producers(og.proto.GetGraph().GetNode())
	seen := map[string]bool{}
	stack := []string{score}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		if name != score && isSpatial(name) {
			frontier = append(frontier, name)
			continue
		}
		if crossed == "" && isTokens(name) {
			crossed = name
		}
		n, ok := producer[name]
		if !ok || shapeOps[n.OpType] {
			continue // a graph input, an initializer, or a shape computation
		}
		stack = append(stack, n.Input...)
	}
	return frontier, crossed
}

// lastAttentionNorm returns the output of the last LayerNormalization node, in graph
// order, whose output is a token tensor (isTokens), an ancestor of score and an ancestor
// of a Softmax node; "" if there is none.
func lastAttentionNorm(og *onnxGraph, score string, isTokens func(string) bool) string {
	nodes := og.proto.GetGraph().GetNode()
	producer := producers(nodes)
	// ancestors returns every node output the given outputs are computed from (shape
	// computations excluded), themselves included.
	ancestors := func(starts ...string) map[string]bool {
		seen := map[string]bool{}
		stack := append([]string(nil), starts...)
		for len(stack) > 0 {
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			if n, ok := producer[name]; ok && !shapeOps[n.OpType] {
				stack = append(stack, n.Input...)
			}
		}
		return seen
	}
	var softmaxInputs []string
	for _, n := range nodes {
		if n.OpType == "Softmax" {
			softmaxInputs = append(softmaxInputs, n.Input...)
		}
	}
	if len(softmaxInputs) == 0 {
		return ""
	}
	feedsScore, feedsSoftmax := ancestors(score), ancestors(softmaxInputs...)
	for i := len(nodes) - 1; i >= 0; i-- {
		if nodes[i].OpType != "LayerNormalization" || len(nodes[i].Output) == 0 {
			continue
		}
		out := nodes[i].Output[0]
		if feedsScore[out] && feedsSoftmax[out] && isTokens(out) {
			return out
		}
	}
	return ""
}
