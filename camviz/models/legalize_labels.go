package models

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gomlx/compute-onnx/support/protos"
)

// labelPathOps are the ops walked through from a cut output towards the scores it was
// computed from (converters end classifiers with ArgMax → ArrayFeatureExtractor or
// LabelEncoder for the label, ZipMap for the probabilities).
var labelPathOps = map[string]bool{"ZipMap": true, "ArrayFeatureExtractor": true, "LabelEncoder": true,
	"ArgMax": true, "Cast": true, "Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true,
	"CastMap": true, "DictVectorizer": true}

// cutNonTensorOutputs removes the graph outputs camviz cannot build or explain — not
// float tensors: ZipMap's sequence of maps, string labels, int64 class indices — and the
// nodes only they need (prune does it). What they carried is kept:
//   - their class labels become the model's labels: ZipMap's classlabels_strings or
//     classlabels_int64s, an ArrayFeatureExtractor over a constant of labels, a
//     LabelEncoder's classes_strings (ai.onnx.ml v1) or keys_int64s → values_strings (v2);
//   - the float scores feeding ZipMap (else ArgMax) become a graph output, so the model
//     still has its class scores.
//
// A graph output without a type (which crashed onnx-gomlx's parser) is given a float
// tensor type when a default-domain op other than ArgMax produces it, and is cut
// otherwise.
func (l *legalizer) cutNonTensorOutputs() error {
	producer := producers(l.g.Node)
	var kept []*protos.ValueInfoProto
	var cut []string
	for _, o := range l.g.Output {
		switch {
		case o.GetType() == nil || o.GetType().GetValue() == nil:
			p := producer[o.Name]
			if p != nil && (p.Domain == "" || p.Domain == "ai.onnx") && !labelPathOps[p.OpType] {
				o.Type = floatTensorType()
				kept = append(kept, o)
			} else {
				cut = append(cut, o.Name)
			}
		case isFloatTensor(o.GetType()):
			kept = append(kept, o)
		default:
			cut = append(cut, o.Name)
		}
	}
	if len(cut) == 0 {
		return nil
	}
	var zipScores, argmaxScores []string
	seen := map[string]bool{}
	queue := cut
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		n := producer[name]
		if n == nil || seen[name] {
			continue
		}
		seen[name] = true
		if !labelPathOps[n.OpType] && n.Domain != "ai.onnx.ml" {
			continue
		}
		switch n.OpType {
		case "ZipMap":
			l.setLabels(zipMapLabels(n), fmt.Sprintf("ZipMap node %q", n.Name))
			zipScores = append(zipScores, n.Input...)
			continue
		case "ArgMax":
			argmaxScores = append(argmaxScores, n.Input...)
			continue
		case "ArrayFeatureExtractor":
			if len(n.Input) == 2 {
				if t := l.consts[n.Input[0]]; t != nil {
					l.setLabels(tensorLabels(t), fmt.Sprintf("ArrayFeatureExtractor node %q over constant %q", n.Name, n.Input[0]))
				}
				queue = append(queue, n.Input[1])
			}
			continue
		case "LabelEncoder":
			l.setLabels(labelEncoderLabels(n), fmt.Sprintf("LabelEncoder node %q", n.Name))
		}
		queue = append(queue, n.Input...)
	}
	scores := zipScores
	if len(scores) == 0 {
		scores = argmaxScores
	}
	for _, s := range scores {
		if !slices.ContainsFunc(kept, func(o *protos.ValueInfoProto) bool { return o.Name == s }) {
			kept = append(kept, &protos.ValueInfoProto{Name: s, Type: floatTensorType()})
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("the ONNX graph has no float tensor output (its outputs %q are labels, maps or sequences, "+
			"and camviz found no class scores behind them); re-export the model with its scores as an output", cut)
	}
	l.g.Output = kept
	return nil
}

// setLabels keeps the first labels found (ZipMap's come first on the walk).
func (l *legalizer) setLabels(labels []string, source string) {
	if len(labels) == 0 || l.res.labels != nil {
		return
	}
	l.res.labels, l.res.labelSource = labels, source
}

// zipMapLabels returns a ZipMap's classlabels_strings or classlabels_int64s.
func zipMapLabels(n *protos.NodeProto) []string {
	if a := attr(n, "classlabels_strings"); a != nil && len(a.Strings) > 0 {
		return bytesToStrings(a.Strings)
	}
	if a := attr(n, "classlabels_int64s"); a != nil {
		return intsToStrings(a.Ints)
	}
	return nil
}

// labelEncoderLabels returns the labels of a LabelEncoder that maps class indices to
// strings: classes_strings (ai.onnx.ml v1, index i ↦ classes_strings[i]) or keys_int64s
// → values_strings (v2), when the keys are exactly 0…n−1.
func labelEncoderLabels(n *protos.NodeProto) []string {
	if a := attr(n, "classes_strings"); a != nil && len(a.Strings) > 0 {
		return bytesToStrings(a.Strings)
	}
	keys, values := attr(n, "keys_int64s"), attr(n, "values_strings")
	if keys == nil || values == nil || len(keys.Ints) != len(values.Strings) {
		return nil
	}
	labels := make([]string, len(keys.Ints))
	for i, k := range keys.Ints {
		if k < 0 || int(k) >= len(labels) || labels[k] != "" {
			return nil
		}
		labels[k] = string(values.Strings[i])
	}
	return labels
}

// tensorLabels returns the values of a constant of labels (strings or integers).
func tensorLabels(t *protos.TensorProto) []string {
	switch protos.TensorProto_DataType(t.DataType) {
	case protos.TensorProto_STRING:
		return bytesToStrings(t.StringData)
	case protos.TensorProto_INT64:
		return intsToStrings(t.Int64Data)
	}
	return nil
}

func bytesToStrings(b [][]byte) []string {
	s := make([]string, len(b))
	for i, v := range b {
		s[i] = string(v)
	}
	return s
}

func intsToStrings(v []int64) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return s
}

// isFloatTensor says whether a type is a tensor of float32, float64 or float16.
func isFloatTensor(t *protos.TypeProto) bool {
	tt := t.GetTensorType()
	if tt == nil {
		return false
	}
	switch protos.TensorProto_DataType(tt.ElemType) {
	case protos.TensorProto_FLOAT, protos.TensorProto_DOUBLE, protos.TensorProto_FLOAT16:
		return true
	}
	return false
}

// floatTensorType is a float32 tensor type of unknown shape.
func floatTensorType() *protos.TypeProto {
	return &protos.TypeProto{Value: &protos.TypeProto_TensorType{TensorType: &protos.TypeProto_Tensor{
		ElemType: int32(protos.TensorProto_FLOAT)}}}
}
