package camviz

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
)

// GraphError is a failure while building or running a graph — a panic inside GoMLX,
// onnx-gomlx or the model function, caught at camviz's boundary, or an error of the
// backend — with the useful part first:
//
//	<Cause's first line> — <Context>
//
// for example `ONNX node "floor1" (op Floor, output "q"): GoMLX defines no gradient for
// its op Floor, … — while building the explanation graph for images [1 3 8 8] (layers
// [feat], methods [GradCAM])`. Cause is the panic's error (errors.As/Is reach it).
type GraphError struct {
	// Cause is what failed: the panic value as an error, or camviz's description of it
	// (the node without a gradient, by its origin in the user's model).
	Cause error
	// Context says what camviz was doing, e.g. "while building the explanation graph
	// for images [1 3 8 8] (layers [feat], methods [GradCAM])".
	Context string
}

// Error returns the first line of the cause's innermost message, then the context.
func (e *GraphError) Error() string {
	return firstLine(innermost(e.Cause).Error()) + " — " + e.Context
}

// innermost unwraps err while the wrapper only puts a prefix before its cause's message
// ("ConvGeneral: input=…, kernel=…: ConvGeneralOp: we must have inputChannels (=4) = …"
// becomes the part after the prefix, which says what is wrong); a wrapper that adds
// advice after the cause is kept.
func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil || !strings.HasSuffix(err.Error(), u.Error()) {
			return err
		}
		err = u
	}
}

// Unwrap returns the cause.
func (e *GraphError) Unwrap() error { return e.Cause }

// panicError turns a recovered panic value into an error.
func panicError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return fmt.Errorf("%v", r)
}

// firstLine returns the first non-empty line of a message (GoMLX's panics carry a stack
// trace after it), at most 600 bytes.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// buildFailure describes a panic raised while building the explanation graph g for the
// images of the given dimensions: a node without a gradient (GoMLX's "no gradient is
// defined yet") is named by its tap and its origin in the user's model (Config.TapOrigin),
// with what to do; any other panic keeps its own first line (onnx-gomlx's, or the ONNX
// node diagnosis of package models). taps are the graph's taps (nil when the model
// function itself failed).
func (e *Explainer) buildFailure(r any, g *graph.Graph, dims []int, taps []TapInfo) error {
	if be, ok := r.(*GraphError); ok {
		return be
	}
	cause := panicError(r)
	if blocked := e.gradientBlocker(g, cause.Error(), taps); blocked != nil {
		cause = blocked
	}
	return &GraphError{Cause: cause, Context: fmt.Sprintf("while building the explanation graph for images %v (layers %v, methods %v)",
		dims, e.cfg.Layers, e.cfg.Methods)}
}

// gradientNodeRef finds the node GoMLX names in "graph has node Node #8 [...] Floor(...)
// with type "Floor", for which no gradient is defined yet".
var gradientNodeRef = regexp.MustCompile(`graph has node Node #(\d+)\b`)

// gradientBlocker returns, for GoMLX's "no gradient is defined" panic message, an error
// naming the node without a gradient by the nearest tap it feeds (the node itself, or
// the ONNX node output it is part of) and that tap's origin, the layers whose gradient
// must pass through it, and what to do. nil when msg is another failure.
func (e *Explainer) gradientBlocker(g *graph.Graph, msg string, taps []TapInfo) error {
	if g == nil || !strings.Contains(msg, "no gradient is defined") {
		return nil
	}
	m := gradientNodeRef.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	id, err := strconv.Atoi(m[1])
	nodes := g.Nodes()
	if err != nil || id < 0 || id >= len(nodes) {
		return nil
	}
	node := nodes[id]
	op := node.Type().String()
	tapAt := map[*graph.Node]string{}
	for _, t := range taps {
		tapAt[t.node] = t.Name
	}
	var what string
	at := nearestTapFed(node, nodes, tapAt)
	switch {
	case at != "" && e.cfg.TapOrigin != nil && e.cfg.TapOrigin(at) != "":
		what = fmt.Sprintf("%s: GoMLX defines no gradient for its op %s", e.cfg.TapOrigin(at), op)
	case at != "" && tapAt[node] == at:
		what = fmt.Sprintf("node %q (GoMLX op %s): GoMLX defines no gradient for it", at, op)
	case at != "":
		what = fmt.Sprintf("GoMLX op %s (node #%d, computing %q): GoMLX defines no gradient for it", op, id, at)
	default:
		what = fmt.Sprintf("GoMLX op %s (node #%d): GoMLX defines no gradient for it", op, id)
	}
	before := ancestors(node)
	var layers []string
	for _, l := range e.cfg.Layers {
		for _, t := range taps {
			if t.Name == l && before[t.node] {
				layers = append(layers, l)
			}
		}
	}
	var grads []string
	for _, m := range e.cfg.Methods {
		if def, ok := lookupMethod(m); ok && def.Needs.usesGradients() {
			grads = append(grads, string(m))
		}
	}
	back := "back through it"
	if len(layers) > 0 {
		back = fmt.Sprintf("from the score back to layer %s through it", quoteList(layers))
	}
	after := "explain a layer after it"
	if at != "" {
		after = fmt.Sprintf("explain a layer after it (e.g. %q)", at)
	}
	return fmt.Errorf("%s, so %s cannot go %s; %s, or use a method without gradients (%s)",
		what, strings.Join(grads, ", "), back, after, strings.Join(gradientFreeMethods(), ", "))
}

// usesGradients reports whether a method differentiates the score.
func (n Needs) usesGradients() bool {
	return n.TapGradients || n.InputGradient || n.BiasGradients || n.HessianVector || n.OwnScores
}

// gradientFreeMethods lists the registered methods that take no gradient, sorted.
func gradientFreeMethods() []string {
	var out []string
	for _, m := range Methods() {
		if def, ok := lookupMethod(m); ok && !def.Needs.usesGradients() {
			out = append(out, string(m))
		}
	}
	slices.Sort(out)
	return out
}

// nearestTapFed returns the tap nearest to node along its consumers (node's own tap
// first, then breadth first): for an ONNX model, whose node outputs are all tapped, the
// output of the ONNX node that the GoMLX op belongs to. "" when no tap depends on it.
func nearestTapFed(node *graph.Node, nodes []*graph.Node, tapAt map[*graph.Node]string) string {
	consumers := map[*graph.Node][]*graph.Node{}
	for _, n := range nodes[node.Id()+1:] {
		for _, in := range n.Inputs() {
			consumers[in] = append(consumers[in], n)
		}
	}
	seen := map[*graph.Node]bool{node: true}
	for queue := []*graph.Node{node}; len(queue) > 0; queue = queue[1:] {
		if name, ok := tapAt[queue[0]]; ok {
			return name
		}
		for _, c := range consumers[queue[0]] {
			if !seen[c] {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	return ""
}

// ancestors returns node and every node it depends on.
func ancestors(node *graph.Node) map[*graph.Node]bool {
	seen := map[*graph.Node]bool{}
	stack := []*graph.Node{node}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, n.Inputs()...)
	}
	return seen
}

// quoteList formats names as "a" or "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
