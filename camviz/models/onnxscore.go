package models

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
)

// chooseScore picks the node output used as the class scores (see LoadONNXOptions) from
// the taps of the built graph, and returns it with the number of classes.
//
//   - requested != "": that node output (ONNX name, with or without a leading "/"),
//     which must be a float tensor [N, C] or [N, C, 1, 1];
//   - else the graph output named "logits", else the first float [N, C] or [N, C, 1, 1]
//     graph output; when it is a Softmax's or Sigmoid's output, its input, if that is
//     [N, C] or [N, C, 1, 1] as well: softmax(z) and σ(z) saturate, and Grad-CAM on a
//     probability weights the map by p(1 − p), so pytorch-grad-cam's
//     ClassifierOutputTarget takes raw logits.
func chooseScore(og *onnxGraph, taps []camviz.TapInfo, requested string) (string, int, error) {
	byName := map[string]camviz.TapInfo{}
	for _, t := range taps {
		byName[t.Name] = t
	}
	classes := func(name string) int {
		t, ok := byName[tapName(name)]
		if !ok || !strings.HasPrefix(t.DType, "Float") {
			return 0
		}
		if len(t.Shape) == 2 || len(t.Shape) == 4 && t.Shape[2] == 1 && t.Shape[3] == 1 {
			return t.Shape[1]
		}
		return 0
	}
	if requested != "" {
		for _, name := range og.outputs {
			if name != requested && tapName(name) != tapName(requested) {
				continue
			}
			c := classes(name)
			if c < 1 {
				t := byName[tapName(name)]
				return "", 0, fmt.Errorf("score %q is %s %v; the score must be a float tensor [batch, classes] or "+
					"[batch, classes, 1, 1] (see `camviz layers` for the node outputs and their shapes)", requested, t.DType, t.Shape)
			}
			return name, c, nil
		}
		return "", 0, fmt.Errorf("score %q is not a node output of the model; its graph outputs are %q "+
			"(see `camviz layers` for every node output)", requested, og.graphOutputs)
	}
	chosen := ""
	for _, name := range og.graphOutputs {
		if name == "logits" && classes(name) >= 2 {
			chosen = name
		}
	}
	if chosen == "" {
		for _, name := range og.graphOutputs {
			if classes(name) >= 2 {
				chosen = name
				break
			}
		}
	}
	if chosen == "" {
		var shapes []string
		for _, name := range og.graphOutputs {
			shapes = append(shapes, fmt.Sprintf("%q %v", name, byName[tapName(name)].Shape))
		}
		return "", 0, fmt.Errorf("no graph output is float scores [batch, classes] or [batch, classes, 1, 1] (outputs: %s); "+
			"name the score tensor (ONNXOptions.Score, camviz --score)", strings.Join(shapes, ", "))
	}
	if pre, ok := og.legal.preActivation[chosen]; ok && classes(pre) == classes(chosen) {
		chosen = pre
	}
	return chosen, classes(chosen), nil
}

// scoreOrFirst is the score, or the first graph output before the score is chosen (when
// LoadONNX first builds the graph to list its taps).
func (og *onnxGraph) scoreOrFirst() string {
	if og.score != "" {
		return og.score
	}
	return og.graphOutputs[0]
}

// squeezeScore turns scores [N, C, 1, 1] into [N, C]; other shapes pass unchanged.
func squeezeScore(x *graph.Node) *graph.Node {
	if d := x.Shape().Dimensions; len(d) == 4 && d[2] == 1 && d[3] == 1 {
		return graph.Reshape(x, d[0], d[1])
	}
	return x
}
