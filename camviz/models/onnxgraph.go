package models

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"google.golang.org/protobuf/proto"
)

// onnxGraph is what camviz reads of an ONNX graph proto itself (onnx-gomlx converts it):
// the image input, the score output, every node output in graph order and the
// classifier's weight initializer.
type onnxGraph struct {
	proto *protos.ModelProto
	// input is the name of the one non-initializer graph input; inputDims its dimensions
	// (-1 where dynamic).
	input     string
	inputDims []int
	// buildDims are the input dimensions the graph is first built with: batch 1, the
	// dynamic axes set (3 channels, 224×224).
	buildDims []int
	// graphOutputs are the graph's outputs after legalization (float tensors).
	graphOutputs []string
	// score is the node output taken as the class scores (see chooseScore).
	score string
	// outputs are the node outputs exposed as taps, in the proto's (topological) order.
	outputs []string
	// camWeights is the initializer of the last Gemm/MatMul feeding the score ("" if
	// none), and camTransposed says it is stored [numClasses, K] (Gemm transB=1).
	camWeights    string
	camTransposed bool
	// camDims are the dimensions of the camWeights initializer.
	camDims []int
	// camPooled, when there are no camWeights, is the layer whose global average pooling
	// is the score (pooledScoreLayer): CAM's weights there are the identity.
	camPooled string
	// legal is what the legalization pass learnt (labels, pre-activations, scalers).
	legal *legalization
	// nodes maps a node output to the node that produces it (after legalization).
	nodes map[string]*protos.NodeProto
	// fromImage holds the tap names of the node outputs computed from the image input
	// (activations, as opposed to constants and values computed from weights alone).
	fromImage map[string]bool
}

// parseONNXGraph unmarshals an ONNX model, finds its image input, legalizes it
// (legalizeONNX) and lists its taps.
func parseONNXGraph(contents []byte) (*onnxGraph, error) {
	mp := &protos.ModelProto{}
	if err := proto.Unmarshal(contents, mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model (%w)", err)
	}
	if mp.Graph == nil {
		return nil, fmt.Errorf("the ONNX model has no graph")
	}
	gr := mp.Graph
	inits := map[string]bool{}
	for _, t := range gr.Initializer {
		inits[t.Name] = true
	}
	og := &onnxGraph{proto: mp}
	// A float16 model is computed in float32 (legalize_float16.go); this comes first so
	// that its image input reads as float32.
	widened, err := widenFloat16(gr)
	if err != nil {
		return nil, err
	}
	// Exporters that keep initializers as graph inputs (keep_initializers_as_inputs)
	// list the weights among the inputs; onnx-gomlx would then want them fed.
	kept := gr.Input[:0]
	for _, in := range gr.Input {
		if !inits[in.Name] {
			kept = append(kept, in)
		}
	}
	gr.Input = kept
	for _, in := range gr.Input {
		if og.input != "" {
			return nil, fmt.Errorf("the ONNX graph has several inputs (%q, %q); camviz explains image classifiers with one image input",
				og.input, in.Name)
		}
		og.input = in.Name
		dims, err := valueInfoDims(in)
		if err != nil {
			return nil, err
		}
		og.inputDims = dims
	}
	if og.input == "" {
		return nil, fmt.Errorf("the ONNX graph has no input")
	}
	if len(gr.Output) == 0 {
		return nil, fmt.Errorf("the ONNX graph has no output")
	}
	if len(og.inputDims) != 4 {
		return nil, fmt.Errorf("input %q has dimensions %v; camviz explains image classifiers taking [batch, C, H, W]",
			og.input, og.inputDims)
	}
	og.buildDims = []int{1, og.inputDims[1], og.inputDims[2], og.inputDims[3]}
	if og.buildDims[1] <= 0 {
		og.buildDims[1] = 3
	}
	if og.buildDims[2] <= 0 || og.buildDims[3] <= 0 {
		og.buildDims[2], og.buildDims[3] = onnxDefaultSize, onnxDefaultSize
	}
	legal, err := legalizeONNX(mp, og.input, og.buildDims)
	if err != nil {
		return nil, err
	}
	og.legal = legal
	if widened.tensors > 0 || widened.retyped > 0 {
		legal.float16 = widened.String()
	}
	for _, o := range gr.Output {
		og.graphOutputs = append(og.graphOutputs, o.Name)
	}
	og.outputs = exposedOutputs(gr)
	og.nodes = map[string]*protos.NodeProto{}
	dependent := map[string]bool{og.input: true}
	og.fromImage = map[string]bool{}
	for _, n := range gr.Node {
		reads := false
		for _, in := range n.Input {
			reads = reads || dependent[in]
		}
		for _, o := range n.Output {
			og.nodes[o] = n
			if reads {
				dependent[o] = true
				og.fromImage[tapName(o)] = true
			}
		}
	}
	return og, nil
}

// setScore makes a node output the score and finds the classifier's weights behind it.
func (og *onnxGraph) setScore(score string) {
	og.score = score
	inits := map[string]bool{}
	for _, t := range og.proto.Graph.Initializer {
		inits[t.Name] = true
	}
	og.camWeights, og.camTransposed = findClassifierWeights(og.proto.Graph, score, inits)
	og.camPooled = ""
	if og.camWeights == "" {
		og.camPooled = pooledScoreLayer(og.proto.Graph, score)
	}
	og.camDims = nil
	for _, t := range og.proto.Graph.Initializer {
		if t.Name == og.camWeights {
			for _, d := range t.Dims {
				og.camDims = append(og.camDims, int(d))
			}
		}
	}
}

// valueInfoDims returns the dimensions of a tensor value info, -1 for dynamic axes.
func valueInfoDims(vi *protos.ValueInfoProto) ([]int, error) {
	tt, ok := vi.GetType().GetValue().(*protos.TypeProto_TensorType)
	if !ok || tt.TensorType == nil {
		return nil, fmt.Errorf("ONNX input %q is not a tensor", vi.Name)
	}
	if tt.TensorType.ElemType != int32(protos.TensorProto_FLOAT) {
		return nil, fmt.Errorf("ONNX input %q has element type %s; camviz feeds float32 images",
			vi.Name, protos.TensorProto_DataType(tt.TensorType.ElemType))
	}
	var dims []int
	for _, d := range tt.TensorType.GetShape().GetDim() {
		if v, ok := d.GetValue().(*protos.TensorShapeProto_Dimension_DimValue); ok && v.DimValue > 0 {
			dims = append(dims, int(v.DimValue))
		} else {
			dims = append(dims, -1)
		}
	}
	return dims, nil
}

// exposedOutputs lists the node outputs that are consumed by another node or are graph
// outputs, in node order. Auxiliary outputs nothing reads (a Dropout mask, say) are left
// out: onnx-gomlx need not build them.
func exposedOutputs(gr *protos.GraphProto) []string {
	used := map[string]bool{}
	for _, n := range gr.Node {
		for _, in := range n.Input {
			used[in] = true
		}
	}
	for _, o := range gr.Output {
		used[o.Name] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range gr.Node {
		if n.OpType == "Constant" && strings.Contains(n.Name, legalizedConstantMark) {
			continue // a constant the legalization made (pads, shapes, scales): not a tap
		}
		for _, o := range n.Output {
			if o != "" && used[o] && !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	return out
}

// findClassifierWeights walks back from the logits to the nearest Gemm or MatMul whose
// second operand is an initializer, and returns that initializer's name and whether it is
// stored transposed ([numClasses, K]: Gemm with transB=1).
func findClassifierWeights(gr *protos.GraphProto, logits string, inits map[string]bool) (string, bool) {
	producer := producers(gr.Node)
	queue, seen := []string{logits}, map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		n := producer[name]
		if n == nil || seen[n.Name+"\x00"+name] {
			continue
		}
		seen[n.Name+"\x00"+name] = true
		if (n.OpType == "Gemm" || n.OpType == "MatMul") && len(n.Input) >= 2 && inits[n.Input[1]] {
			return n.Input[1], n.OpType == "Gemm" && intAttr(n, "transB") == 1
		}
		queue = append(queue, n.Input...)
	}
	return "", false
}

// intAttr returns an integer attribute of a node (0 when absent).
func intAttr(n *protos.NodeProto, name string) int64 {
	for _, a := range n.Attribute {
		if a.Name == name {
			return a.I
		}
	}
	return 0
}

// cutAt returns a copy of the model in which the named node outputs are also graph inputs
// (of the given shapes, batch axis dynamic), so that the graph can be run from those
// activations on: onnx-gomlx then takes them as given and never builds their producers.
func (og *onnxGraph) cutAt(names []string, dims map[string]shapes.Shape) ([]byte, error) {
	mp := proto.Clone(og.proto).(*protos.ModelProto)
	for _, name := range names {
		s := dims[name]
		var ds []*protos.TensorShapeProto_Dimension
		for i, d := range s.Dimensions {
			if i == 0 {
				ds = append(ds, &protos.TensorShapeProto_Dimension{Value: &protos.TensorShapeProto_Dimension_DimParam{DimParam: "camviz_cut_batch"}})
				continue
			}
			ds = append(ds, &protos.TensorShapeProto_Dimension{Value: &protos.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
		elem, ok := onnxElemType[s.DType]
		if !ok {
			return nil, fmt.Errorf("cannot replace ONNX output %q of dtype %s", name, s.DType)
		}
		mp.Graph.Input = append(mp.Graph.Input, &protos.ValueInfoProto{Name: name, Type: &protos.TypeProto{
			Value: &protos.TypeProto_TensorType{TensorType: &protos.TypeProto_Tensor{ElemType: elem,
				Shape: &protos.TensorShapeProto{Dim: ds}}}}})
	}
	return proto.Marshal(mp)
}

// onnxElemType maps the dtypes an activation may have to ONNX element types.
var onnxElemType = map[dtypes.DType]int32{
	dtypes.Float32: int32(protos.TensorProto_FLOAT),
	dtypes.Float64: int32(protos.TensorProto_DOUBLE),
	dtypes.Float16: int32(protos.TensorProto_FLOAT16),
}

// tapName is the camviz tap name of an ONNX node output: the name without a leading "/"
// (a leading "/" would make GoMLX read it as an absolute alias path).
func tapName(onnxName string) string { return strings.TrimPrefix(onnxName, "/") }

// producers maps each node output of nodes to the node that computes it.
func producers(nodes []*protos.NodeProto) map[string]*protos.NodeProto {
	producer := map[string]*protos.NodeProto{}
	for _, n := range nodes {
		for _, o := range n.GetOutput() {
			producer[o] = n
		}
	}
	return producer
}
