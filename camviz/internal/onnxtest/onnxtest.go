// Package onnxtest builds small ONNX graphs node by node, for tests (camviz/models,
// camviz/cmd/camviz): float initializers, attributes, typed inputs and outputs, and a
// small convolutional classifier to put nodes into.
package onnxtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute-onnx/support/protos"
	"google.golang.org/protobuf/proto"
)

// Floats is a float initializer of the given dimensions with the values
// ((i·7) mod 11 − 5)/10.
func Floats(name string, dims ...int64) *protos.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32((i*7)%11-5) / 10
	}
	return &protos.TensorProto{Name: name, Dims: dims, DataType: int32(protos.TensorProto_FLOAT), FloatData: data}
}

// Ints is an INTS attribute.
func Ints(name string, v ...int64) *protos.AttributeProto {
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INTS, Ints: v}
}

// Info declares a float tensor of fixed dimensions (a graph input or output).
func Info(name string, dims ...int64) *protos.ValueInfoProto {
	var ds []*protos.TensorShapeProto_Dimension
	for _, d := range dims {
		ds = append(ds, &protos.TensorShapeProto_Dimension{Value: &protos.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &protos.ValueInfoProto{Name: name, Type: &protos.TypeProto{Value: &protos.TypeProto_TensorType{
		TensorType: &protos.TypeProto_Tensor{ElemType: int32(protos.TensorProto_FLOAT), Shape: &protos.TensorShapeProto{Dim: ds}}}}}
}

// Node is a one-output node named op_out.
func Node(op string, in []string, out string, attrs ...*protos.AttributeProto) *protos.NodeProto {
	return &protos.NodeProto{Name: op + "_" + out, OpType: op, Input: in, Output: []string{out}, Attribute: attrs}
}

// ConvHead is a small classifier: input [1,3,8,8] → Conv 3×3, 4 channels, pads 1
// (feat) → Relu (feat_relu) → the nodes mid → GlobalAveragePool of pooledFrom (pooled) →
// Flatten (flat) → Gemm (logits [1,5], the graph output), then the nodes after. The
// weights are Floats w1, b1 (the convolution) and w2, b2 (the Gemm, transB = 1).
func ConvHead(name, pooledFrom string, mid []*protos.NodeProto, after ...*protos.NodeProto) *protos.GraphProto {
	nodes := []*protos.NodeProto{
		Node("Conv", []string{"input", "w1", "b1"}, "feat", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)),
		Node("Relu", []string{"feat"}, "feat_relu"),
	}
	nodes = append(nodes, mid...)
	nodes = append(nodes,
		Node("GlobalAveragePool", []string{pooledFrom}, "pooled"),
		Node("Flatten", []string{"pooled"}, "flat"),
		Node("Gemm", []string{"flat", "w2", "b2"}, "logits", &protos.AttributeProto{Name: "transB", Type: protos.AttributeProto_INT, I: 1}))
	return &protos.GraphProto{
		Name:        name,
		Node:        append(nodes, after...),
		Initializer: []*protos.TensorProto{Floats("w1", 4, 3, 3, 3), Floats("b1", 4), Floats("w2", 5, 4), Floats("b2", 5)},
		Input:       []*protos.ValueInfoProto{Info("input", 1, 3, 8, 8)},
		Output:      []*protos.ValueInfoProto{Info("logits", 1, 5)},
	}
}

// FloorHead is ConvHead with a Floor (rounded = ⌊feat_relu⌋, which GoMLX cannot
// differentiate) between the Relu and the pooling: gradient methods fail at feat and
// feat_relu, and work at rounded and after.
func FloorHead() *protos.GraphProto {
	return ConvHead("floor_head", "rounded", []*protos.NodeProto{Node("Floor", []string{"feat_relu"}, "rounded")})
}

// Marshal serializes the graph as an opset-17 model.
func Marshal(t testing.TB, g *protos.GraphProto) []byte {
	t.Helper()
	mp := &protos.ModelProto{IrVersion: 8, OpsetImport: []*protos.OperatorSetIdProto{{Domain: "", Version: 17}}, Graph: g}
	data, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Write writes the model to a file in a test folder and returns its path.
func Write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
