package models

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// diagnose finds the first ONNX node onnx-gomlx fails to build, for a graph whose build
// failed with an input of the given dimensions, and returns an error that names it with the useful part first:
//
//	ONNX node "pad0" (op Pad, opset 2, inputs [1 3 8 8]) cannot be built: <onnx-gomlx's message>
//
// The node outputs are in topological order, so building the first k of them builds
// exactly the nodes up to the k-th output's producer: whether that fails is monotone in
// k, and a bisection finds the first failing node in log₂(#outputs) builds. Each build
// runs behind camviz.CatchPanic. nil when every output builds (the failure lies after
// onnx-gomlx, e.g. in compiling).
func (n *onnxNet) diagnose(backend compute.Backend, store *model.Store, inputDims []int) error {
	og := n.graph
	outs := og.outputs
	build := func(k int, names []string) (msg string, dims map[string][]int) {
		dims = map[string][]int{}
		g := graph.NewGraph(backend, "camviz_onnx_diagnose")
		defer g.Finalize()
		err := camviz.CatchPanic(func() error {
			x := graph.Parameter(g, og.input, shapes.Make(dtypes.Float32, inputDims...))
			req := append(append([]string{}, outs[:k]...), names...)
			nodes := n.model.CallGraph(store.RootScope(), g, map[string]*graph.Node{og.input: x}, req...)
			for i, name := range req {
				dims[name] = nodes[i].Shape().Dimensions
			}
			return nil
		})
		if err != nil {
			return err.Error(), nil
		}
		return "", dims
	}
	if msg, _ := build(len(outs), nil); msg == "" {
		return nil
	}
	lo, hi := 1, len(outs) // the first failing prefix length lies in [lo, hi]
	for lo < hi {
		mid := (lo + hi) / 2
		if msg, _ := build(mid, nil); msg != "" {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	msg, _ := build(lo, nil)
	node := og.nodes[outs[lo-1]]
	if node == nil {
		return nil
	}
	var known []string
	for _, in := range node.Input {
		for _, o := range outs[:lo-1] {
			if o == in {
				known = append(known, in)
			}
		}
	}
	inits := map[string][]int{}
	for _, t := range og.proto.Graph.Initializer {
		inits[t.Name] = int64sToInts(t.Dims)
	}
	inShapes := make([]string, len(node.Input))
	_, dims := build(0, known)
	for i, in := range node.Input {
		switch {
		case in == og.input:
			inShapes[i] = fmt.Sprint(inputDims)
		case dims[in] != nil:
			inShapes[i] = fmt.Sprint(dims[in])
		case inits[in] != nil:
			inShapes[i] = fmt.Sprint(inits[in])
		default:
			inShapes[i] = "?"
		}
	}
	return fmt.Errorf("ONNX node %q (op %s, opset %d, inputs %s) cannot be built: %s; re-export the model "+
		"(opset ≥ 13, standard ops) or file an issue with the model attached",
		node.Name, node.OpType, og.legal.opset, strings.Join(inShapes, " "), firstLine(msg))
}

// firstLine returns the first line of a message (panic messages carry a stack trace
// after it), at most 300 bytes.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return clip(strings.TrimSpace(s), 300)
}

// callGraph is onnx-gomlx's CallGraph for the model function: a panic inside it (a node
// onnx-gomlx cannot build for this input shape) is re-raised as the error of diagnose,
// which names the ONNX node, its op and input shapes, so that the Explainer, which turns
// the panic into its error, reports the node first.
func (n *onnxNet) callGraph(scope *model.Scope, images *graph.Node, names ...string) (nodes []*graph.Node) {
	defer func() {
		if r := recover(); r != nil {
			if d := n.diagnose(images.Graph().Backend(), scope.Store(), images.Shape().Dimensions); d != nil {
				panic(d)
			}
			panic(r)
		}
	}()
	return n.model.CallGraph(scope, images.Graph(), map[string]*graph.Node{n.graph.input: images}, names...)
}
