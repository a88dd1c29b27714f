package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Target chooses the scalar score per example that a map explains. Build one with
// [ArgmaxTarget], [ClassTarget], [SoftmaxTarget] or [FuncTarget].
type Target struct {
	kind    targetKind
	classes []int
	fn      func(logits *graph.Node) *graph.Node
	name    string
	// anyOutput: the target scores model outputs of any shape (segmentation maps,
	// detections, embeddings), not only logits [batch, numClasses].
	anyOutput bool
}

type targetKind int

const (
	targetArgmax targetKind = iota
	targetClass
	targetSoftmax
	targetReST
	targetFunc
)

// ArgmaxTarget explains each example's highest logit, y^c with c = argmax(logits), as
// pytorch-grad-cam does when targets=None.
func ArgmaxTarget() Target { return Target{kind: targetArgmax, name: "argmax"} }

// ClassTarget explains the raw logit y^c (pre-softmax, like pytorch-grad-cam's
// ClassifierOutputTarget). Give one class for the whole batch or one per example.
func ClassTarget(classes ...int) Target {
	return Target{kind: targetClass, classes: classes, name: fmt.Sprintf("class %v", classes)}
}

// SoftmaxTarget explains the softmax probability p_c = exp(y^c)/Σ_j exp(y^j) of the given
// class (one for the batch or one per example).
func SoftmaxTarget(classes ...int) Target {
	return Target{kind: targetSoftmax, classes: classes, name: fmt.Sprintf("softmax %v", classes)}
}

// FuncTarget explains any differentiable function of the logits; fn receives logits
// [batch, numClasses] and must return one score per example, [batch].
func FuncTarget(name string, fn func(logits *graph.Node) *graph.Node) Target {
	return Target{kind: targetFunc, fn: fn, name: name}
}

// String names the target.
func (t Target) String() string { return t.name }

// usesClasses reports whether the target selects a class per example (and so has a
// class input and a meaningful class for CAM).
func (t Target) usesClasses() bool {
	return t.kind == targetClass || t.kind == targetSoftmax || t.kind == targetReST
}

// classesFor expands the target's classes to one per example and validates them.
func (t Target) classesFor(batch, numClasses int) ([]int32, error) {
	if !t.usesClasses() {
		return nil, nil
	}
	var out []int32
	switch len(t.classes) {
	case 0:
		return nil, fmt.Errorf("camviz: %s target needs at least one class", t.name)
	case 1:
		out = make([]int32, batch)
		for i := range out {
			out[i] = int32(t.classes[0])
		}
	case batch:
		out = make([]int32, batch)
		for i, c := range t.classes {
			out[i] = int32(c)
		}
	default:
		return nil, fmt.Errorf("camviz: target has %d classes for a batch of %d: give one class, or one per example", len(t.classes), batch)
	}
	for i, c := range out {
		if c < 0 || (numClasses > 0 && int(c) >= numClasses) {
			return nil, fmt.Errorf("camviz: target class %d for example %d is outside [0, %d)", c, i, numClasses)
		}
	}
	return out, nil
}

// score builds the per-example score [batch] and the class per example [batch] int32
// (nil for function targets). classes is the graph input holding the requested classes
// for class-based targets.
func (t Target) score(logits, classes *graph.Node) (score, chosen *graph.Node) {
	numClasses := logits.Shape().Dimensions[logits.Rank()-1]
	switch t.kind {
	case targetArgmax:
		chosen = graph.ConvertDType(graph.ArgMax(logits, -1), dtypes.Int32)
	case targetClass, targetSoftmax, targetReST:
		chosen = classes
	case targetFunc:
		s := t.fn(logits)
		if s.Rank() == 2 && s.Shape().Dimensions[1] == 1 {
			s = graph.Reshape(s, s.Shape().Dimensions[0])
		}
		if s.Rank() != 1 {
			panic(fmt.Errorf("camviz: target %q returned shape %s; it must return one score per example, [batch]", t.name, s.Shape()))
		}
		return s, nil
	}
	values := t.classValues(logits)
	oneHot := graph.OneHot(chosen, numClasses, logits.DType())
	return graph.ReduceSum(graph.Mul(values, oneHot), -1), chosen
}

// rescore scores extra forward passes of the model (Score-CAM's masked inputs,
// Ablation-CAM's ablated activations) for the classes already chosen by the ordinary
// pass: logits [n, numClasses], classes [n] int32 (ignored for function targets).
// Unlike score, an argmax target keeps the original class rather than re-taking the
// argmax of the perturbed logits, as pytorch-grad-cam does.
func (t Target) rescore(logits, classes *graph.Node) *graph.Node {
	if t.kind == targetFunc {
		s, _ := t.score(logits, nil)
		return s
	}
	values := t.classValues(logits)
	oneHot := graph.OneHot(classes, logits.Shape().Dimensions[1], logits.DType())
	return graph.ReduceSum(graph.Mul(values, oneHot), -1)
}

// classValues maps logits [batch, numClasses] to the per-class values a class target
// picks from: the logits, their softmax, or ReST's 2·y_c − log Σ_j exp(y_j).
func (t Target) classValues(logits *graph.Node) *graph.Node {
	switch t.kind {
	case targetSoftmax:
		return graph.Softmax(logits, -1)
	case targetReST:
		return graph.Sub(graph.MulScalar(logits, 2), logSumExp(logits))
	}
	return logits
}

// logSumExp returns log Σ_j exp(x_j) over the last axis, kept as an axis of size 1,
// computed stably as m + log Σ exp(x − m) with m the (constant) row maximum.
func logSumExp(x *graph.Node) *graph.Node {
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, -1))
	return graph.Add(m, graph.Log(graph.ReduceAndKeep(graph.Exp(graph.Sub(x, m)), graph.ReduceSum, -1)))
}
