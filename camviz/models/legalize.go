package models

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute-onnx/support/protos"
)

// legalization is what the ONNX legalization pass learnt while rewriting a model.
type legalization struct {
	// opset is the model's ai.onnx opset version.
	opset int64
	// labels are the class names the model carries (ZipMap, ArrayFeatureExtractor over a
	// string constant, LabelEncoder), nil when it carries none; labelSource says where they
	// were read.
	labels      []string
	labelSource string
	// preActivation maps the output of a Softmax or Sigmoid (as the model states it, after
	// rewriting) to its input: the pre-activation scores.
	preActivation map[string]string
	// activationOp maps those outputs to the op that made them (Softmax, LogSoftmax,
	// Sigmoid), for ScoreTensor: a rewritten Softmax no longer reads the scores itself.
	activationOp map[string]string
	// scalers are the ImageScaler nodes found, one line each, for InputHints.Sources.
	scalers []string
	// float16 says the model's float16 tensors were widened to float32 (widenFloat16,
	// legalize_float16.go), one line for InputHints.Sources; "" when it had none.
	float16 string
	// foldedConvs maps the output of each Conv folded with the BatchNormalization after
	// it (foldConvBatchNorms, legalize_bnfold.go), no longer a value of the graph, to the
	// sentence that says so.
	foldedConvs map[string]string
}

// legalizer rewrites a parsed ONNX model, in place, into the forms onnx-gomlx v0.5.13
// builds, in the spirit of onnx's version converter (onnx/version_converter): each rewrite
// keeps the graph's values exactly (the legacy fixtures in testdata/onnx-legacy check each
// against a float64 NumPy evaluation of the original graph).
//
// The passes, in order:
//  1. per node, without shapes (legalize_attrs.go, legalize_norm.go, legalize_softmax.go,
//     legalize_passthrough.go): attribute forms (Pad, Reshape, Slice, Split, Clip) become
//     input forms, Upsample becomes Resize, Sum a chain of Add, Softmax and LogSoftmax
//     take opset 13's axis semantics, ImageScaler becomes
//     Mul+Add, BatchNormalization loses its inference-irrelevant attributes, Dropout and
//     Identity disappear, empty optional inputs are dropped;
//  2. non-tensor graph outputs are cut away, their labels kept (legalize_labels.go);
//     each inference BatchNormalization after a Conv that nothing else reads is folded
//     into the Conv's weights and bias (legalize_bnfold.go);
//  3. with shapes inferred over the graph (legalize_shapes.go): auto_pad and ceil_mode
//     become explicit pads, AveragePool's count_include_pad an explicit Pad
//     (legalize_pool.go);
//  4. every remaining node is checked against what onnx-gomlx implements
//     (legalize_support.go), so an unsupported op is one error naming it before any
//     graph is built.
type legalizer struct {
	g     *protos.GraphProto
	opset int64
	// out collects the rewritten nodes.
	out []*protos.NodeProto
	// alias maps the output of a removed pass-through node (Dropout, Identity) to its
	// input.
	alias map[string]string
	// consts holds the constant tensors by name: initializers and Constant node outputs.
	consts map[string]*protos.TensorProto
	// used names every value name in the graph, so that fresh names do not collide.
	used  map[string]bool
	fresh int
	res   *legalization
}

// defaultOpset returns the model's opset version of the default domain ("" or
// "ai.onnx"); 1 when the model imports none (as old files do).
func defaultOpset(mp *protos.ModelProto) int64 {
	for _, o := range mp.OpsetImport {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 1
}

// legalizeONNX rewrites mp in place (see legalizer). inputDims are the image input's
// dimensions as LoadONNX builds it (batch 1, dynamic spatial axes set), used where a
// rewrite needs shapes.
func legalizeONNX(mp *protos.ModelProto, input string, inputDims []int) (*legalization, error) {
	l := &legalizer{g: mp.Graph, opset: defaultOpset(mp), alias: map[string]string{},
		consts: map[string]*protos.TensorProto{}, used: map[string]bool{},
		res: &legalization{preActivation: map[string]string{}, activationOp: map[string]string{}}}
	l.res.opset = l.opset
	for _, t := range l.g.Initializer {
		l.consts[t.Name] = t
		l.used[t.Name] = true
	}
	for _, vi := range l.g.Input {
		l.used[vi.Name] = true
	}
	for _, n := range l.g.Node {
		for _, s := range append(append([]string{}, n.Input...), n.Output...) {
			l.used[s] = true
		}
	}
	if err := l.checkTopological(); err != nil {
		return nil, err
	}
	for _, n := range l.g.Node {
		if err := l.rewriteNode(n); err != nil {
			return nil, err
		}
	}
	l.g.Node = l.out
	l.resolveOutputAliases()
	if err := l.cutNonTensorOutputs(); err != nil {
		return nil, err
	}
	l.foldConvBatchNorms()
	l.prune()
	if err := l.rewriteWithShapes(input, inputDims); err != nil {
		return nil, err
	}
	if err := l.checkSupported(); err != nil {
		return nil, err
	}
	return l.res, nil
}

// rewriteNode appends the legal form of one node to l.out.
func (l *legalizer) rewriteNode(n *protos.NodeProto) error {
	for i, in := range n.Input {
		n.Input[i] = l.resolve(in)
	}
	trimEmptyTail(n)
	if n.OpType == "Constant" && len(n.Output) == 1 {
		if t := attr(n, "value"); t != nil && t.T != nil {
			l.consts[n.Output[0]] = t.T
		}
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		l.out = append(l.out, n)
		return nil
	}
	switch n.OpType {
	case "Dropout", "Identity":
		return l.removePassThrough(n)
	case "ImageScaler":
		return l.rewriteImageScaler(n)
	case "BatchNormalization":
		return l.rewriteBatchNorm(n)
	case "Pad":
		return l.rewritePad(n)
	case "Reshape":
		return l.rewriteReshape(n)
	case "Slice":
		return l.rewriteSlice(n)
	case "Clip":
		return l.rewriteClip(n)
	case "Split":
		return l.rewriteSplit(n)
	case "Upsample":
		return l.rewriteUpsample(n)
	case "Softmax", "LogSoftmax":
		return l.rewriteSoftmax(n)
	case "Sum":
		return l.rewriteSum(n)
	case "Sigmoid":
		if len(n.Input) == 1 && len(n.Output) == 1 {
			l.res.preActivation[n.Output[0]] = n.Input[0]
			l.res.activationOp[n.Output[0]] = n.OpType
		}
	}
	if err := l.checkEmptyInputs(n); err != nil {
		return err
	}
	l.out = append(l.out, n)
	return nil
}

// resolve follows the aliases left by removed pass-through nodes.
func (l *legalizer) resolve(name string) string {
	for range len(l.alias) + 1 { // checkTopological rules out cycles; the bound is a guard
		a, ok := l.alias[name]
		if !ok {
			return name
		}
		name = a
	}
	return name
}

// checkTopological checks that every node reads only values defined before it (graph
// inputs, initializers, outputs of earlier nodes), as ONNX requires, and that no value is
// produced twice: a cycle would send onnx-gomlx's graph builder into unbounded recursion,
// a fatal stack overflow that no recover can catch.
func (l *legalizer) checkTopological() error {
	defined := map[string]bool{"": true}
	for _, vi := range l.g.Input {
		defined[vi.Name] = true
	}
	for _, t := range l.g.Initializer {
		defined[t.Name] = true
	}
	for _, n := range l.g.Node {
		for _, in := range n.Input {
			if !defined[in] {
				return l.nodeErr(n, fmt.Sprintf("it reads %q, which no earlier node, initializer or graph input "+
					"defines (the graph is not in topological order, has a cycle or lacks the value); the file is malformed "+
					"— re-export the model, or sort it with onnx's tools", in))
			}
		}
		for _, o := range n.Output {
			if o != "" && defined[o] {
				return l.nodeErr(n, fmt.Sprintf("its output %q is defined twice; the file is malformed — re-export the model", o))
			}
			defined[o] = true
		}
	}
	return nil
}

// trimEmptyTail drops trailing empty ("" = not given) optional inputs and outputs: ONNX
// allows them, onnx-gomlx reads "" as a value name (swin_t's Pad with an empty
// constant_value: `nonConstantDepedencies given an unknown node output name ""`).
func trimEmptyTail(n *protos.NodeProto) {
	for len(n.Input) > 0 && n.Input[len(n.Input)-1] == "" {
		n.Input = n.Input[:len(n.Input)-1]
	}
	for len(n.Output) > 1 && n.Output[len(n.Output)-1] == "" {
		n.Output = n.Output[:len(n.Output)-1]
	}
}

// checkEmptyInputs refuses an empty optional input in the middle of a node's inputs that
// no rewrite took care of: onnx-gomlx cannot build it.
func (l *legalizer) checkEmptyInputs(n *protos.NodeProto) error {
	for i, in := range n.Input {
		if in == "" && !(n.OpType == "Resize" && i == 1) {
			return l.nodeErr(n, fmt.Sprintf("its input #%d is empty (an omitted optional input), which camviz "+
				"cannot pass to onnx-gomlx for this op; re-export the model giving the input explicitly", i))
		}
	}
	return nil
}

// nodeErr is the error for a node camviz cannot legalize: the op, the node, the opset,
// then why and what to do.
func (l *legalizer) nodeErr(n *protos.NodeProto, why string) error {
	return fmt.Errorf("ONNX op %s (node %q, opset %d): %s", n.OpType, n.Name, l.opset, why)
}

// legalizedConstantMark is in the name of every value and node the legalization makes
// ("…/camviz_12"); exposedOutputs leaves its Constant nodes out of the taps.
const legalizedConstantMark = "/camviz_"

// name returns a fresh value name derived from base.
func (l *legalizer) name(base string) string {
	for {
		l.fresh++
		s := fmt.Sprintf("%s%s%d", strings.TrimSuffix(base, "/"), legalizedConstantMark, l.fresh)
		if !l.used[s] {
			l.used[s] = true
			return s
		}
	}
}

// emit appends a node built by a rewrite.
func (l *legalizer) emit(op, name string, inputs, outputs []string, attrs ...*protos.AttributeProto) *protos.NodeProto {
	n := &protos.NodeProto{OpType: op, Name: name, Input: inputs, Output: outputs, Attribute: attrs}
	l.out = append(l.out, n)
	return n
}

// constant emits a Constant node holding t and returns its output name.
func (l *legalizer) constant(base string, t *protos.TensorProto) string {
	out := l.name(base)
	t.Name = out
	l.emit("Constant", out, nil, []string{out}, &protos.AttributeProto{Name: "value", Type: protos.AttributeProto_TENSOR, T: t})
	l.consts[out] = t
	return out
}

// int64sTensor is a 1-D int64 tensor.
func int64sTensor(v []int64) *protos.TensorProto {
	return &protos.TensorProto{DataType: int32(protos.TensorProto_INT64), Dims: []int64{int64(len(v))}, Int64Data: v}
}

// floatsTensor is a float32 tensor of the given dimensions.
func floatsTensor(v []float32, dims ...int64) *protos.TensorProto {
	return &protos.TensorProto{DataType: int32(protos.TensorProto_FLOAT), Dims: dims, FloatData: v}
}

// attr returns a node's attribute, nil when absent.
func attr(n *protos.NodeProto, name string) *protos.AttributeProto {
	for _, a := range n.Attribute {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// intsAttr returns an ints attribute, nil when absent.
func intsAttr(n *protos.NodeProto, name string) []int64 {
	if a := attr(n, name); a != nil {
		return a.Ints
	}
	return nil
}

// intAttrOr returns an int attribute or def when absent.
func intAttrOr(n *protos.NodeProto, name string, def int64) int64 {
	if a := attr(n, name); a != nil {
		return a.I
	}
	return def
}

// stringAttrOr returns a string attribute or def when absent.
func stringAttrOr(n *protos.NodeProto, name, def string) string {
	if a := attr(n, name); a != nil {
		return string(a.S)
	}
	return def
}

// dropAttrs removes the named attributes from a node.
func dropAttrs(n *protos.NodeProto, names ...string) {
	kept := n.Attribute[:0]
	for _, a := range n.Attribute {
		drop := false
		for _, name := range names {
			drop = drop || a.Name == name
		}
		if !drop {
			kept = append(kept, a)
		}
	}
	n.Attribute = kept
}

// setInts sets (or adds) an ints attribute.
func setInts(n *protos.NodeProto, name string, v []int64) {
	dropAttrs(n, name)
	n.Attribute = append(n.Attribute, &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INTS, Ints: v})
}

// intAttribute, stringAttribute build attributes.
func intAttribute(name string, v int64) *protos.AttributeProto {
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INT, I: v}
}

func stringAttribute(name, v string) *protos.AttributeProto {
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_STRING, S: []byte(v)}
}

// prune removes the nodes no graph output depends on (a cut label branch, say) and the
// initializers no node reads (a string constant of labels, which onnx-gomlx cannot load).
func (l *legalizer) prune() {
	producer := producers(l.g.Node)
	keep := map[*protos.NodeProto]bool{}
	var queue []string
	for _, o := range l.g.Output {
		queue = append(queue, o.Name)
	}
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		n := producer[name]
		if n == nil || keep[n] {
			continue
		}
		keep[n] = true
		queue = append(queue, n.Input...)
	}
	kept := l.g.Node[:0]
	for _, n := range l.g.Node {
		if keep[n] {
			kept = append(kept, n)
		}
	}
	l.g.Node = kept
	read := map[string]bool{}
	for _, n := range l.g.Node {
		for _, in := range n.Input {
			read[in] = true
		}
	}
	inits := l.g.Initializer[:0]
	for _, t := range l.g.Initializer {
		if read[t.Name] {
			inits = append(inits, t)
		}
	}
	l.g.Initializer = inits
}
