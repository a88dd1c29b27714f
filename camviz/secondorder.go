package camviz

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Second-order autodiff through max pooling. GoMLX differentiates MaxPool into a
// SelectAndScatterMax node (the gradient routed to each window's maximum) but defines no
// gradient for that node, so the gradient of a gradient (ShapleyCAM's Hessian-vector
// product) stops at any max pooling. camviz registers one when GoMLX has none.
//
// S(operand, source) puts each window's source value at the window's largest operand
// position. It is linear in source, so its vector-Jacobian product there is Sᵀ·v, the
// cotangent read back at each window's selected position:
//
//	Sᵀv = windowSum(v ⊙ S(operand, 1))
//
// which holds when windows do not overlap (stride ≥ window, the usual max pooling); with
// overlapping windows gatherAtWindowMax reads v at each window's maximum directly
// (secondorder_overlap.go). S is piecewise constant in operand, so that gradient is 0
// (as for ReLU's mask).
func init() {
	if _, ok := graph.VJPRegistration[graph.NodeTypeSelectAndScatterMax]; !ok {
		graph.VJPRegistration[graph.NodeTypeSelectAndScatterMax] = selectAndScatterMaxVJP
	}
}

var (
	windowDimsRe = regexp.MustCompile(`windowDimensions=\[([0-9 ]*)\]`)
	stridesRe    = regexp.MustCompile(`windowStrides=\[([0-9 ]*)\]`)
	paddingsRe   = regexp.MustCompile(`paddings=\[((?:\[[0-9]+ [0-9]+\] ?)*)\]`)
)

func selectAndScatterMaxVJP(node *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
	operand, source := node.Inputs()[0], node.Inputs()[1]
	window, strides, paddings, err := parseSelectAndScatter(node.String(), operand.Rank())
	if err != nil {
		panic(fmt.Errorf("camviz: second derivative of max pooling: %w", err))
	}
	for i := range window {
		if strides[i] < window[i] {
			// Overlapping windows (3×3 stride 2, as in SqueezeNet and ResNet's stem): a
			// position can be several windows' maximum, so the mask trick below would
			// add their cotangents; read each window's own maximum instead.
			gs := gatherAtWindowMax(graph.StopGradient(operand), v[0], window, strides, paddings, source.Shape().Dimensions)
			return []*graph.Node{graph.ZerosLike(operand), gs}
		}
	}
	mask := node.CloneWithInputs(graph.StopGradient(operand), graph.OnesLike(source))
	gs := graph.BackendReduceWindow(graph.Mul(v[0], mask), compute.ReduceOpSum, window, strides, nil, nil, paddings)
	return []*graph.Node{graph.ZerosLike(operand), gs}
}

// parseSelectAndScatter reads the window configuration from the node's description
// (GoMLX keeps it in unexported fields).
func parseSelectAndScatter(desc string, rank int) (window, strides []int, paddings [][2]int, err error) {
	ints := func(re *regexp.Regexp) ([]int, error) {
		m := re.FindStringSubmatch(desc)
		if m == nil {
			return nil, fmt.Errorf("cannot read %s from %q", re, desc)
		}
		var out []int
		for _, f := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(m[1])) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	if window, err = ints(windowDimsRe); err != nil {
		return
	}
	if strides, err = ints(stridesRe); err != nil {
		return
	}
	pads, err := ints(paddingsRe)
	if err != nil {
		return
	}
	if len(window) != rank || len(strides) != rank || (len(pads) != 0 && len(pads) != 2*rank) {
		return nil, nil, nil, fmt.Errorf("unexpected window %v, strides %v, paddings %v for rank %d", window, strides, pads, rank)
	}
	for i := 0; i < len(pads); i += 2 {
		paddings = append(paddings, [2]int{pads[i], pads[i+1]})
	}
	return window, strides, paddings, nil
}
