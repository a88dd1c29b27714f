package models

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/dtypes"
)

// float16ToFloat32 on hand-computed bit patterns: normal numbers, the largest float16,
// the smallest normal, subnormals, ±0, ±Inf and NaN; then over every finite positive
// pattern the values must grow strictly with the spacing IEEE 754 binary16 fixes
// (2^-24 below 2^-13, 2^(e-25) in binade e ≥ 1), which only an exact conversion gives.
func TestFloat16ToFloat32(t *testing.T) {
	for _, c := range []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125}, {0x7bff, 65504}, {0x0400, 1.0 / 16384},
		{0x0001, 1.0 / (1 << 24)}, {0x03ff, 1023.0 / (1 << 24)}, {0x8001, -1.0 / (1 << 24)}, {0x0000, 0},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	} {
		if got := float16ToFloat32(c.bits); got != c.want {
			t.Errorf("float16 %#04x = %g, want %g", c.bits, got, c.want)
		}
	}
	if got := float16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("float16 0x8000 = %g, want -0", got)
	}
	for _, nan := range []uint16{0x7e00, 0x7c01, 0xfe00} {
		if got := float16ToFloat32(nan); !math.IsNaN(float64(got)) {
			t.Errorf("float16 %#04x = %g, want NaN", nan, got)
		}
	}
	for b := uint16(1); b < 0x7c00; b++ {
		// The spacing within the binade of b-1 (exponent field e; subnormals share e = 1's).
		step := math.Ldexp(1, max(int((b-1)>>10), 1)-25)
		lo, hi := float64(float16ToFloat32(b-1)), float64(float16ToFloat32(b))
		if hi-lo != step {
			t.Fatalf("float16 %#04x - %#04x = %g, want %g", b, b-1, hi-lo, step)
		}
		if neg := float16ToFloat32(b | 0x8000); float64(neg) != -hi {
			t.Fatalf("float16 %#04x = %g, want %g", b|0x8000, neg, -hi)
		}
	}
}

// The float16 fixture (an ir_version 3 file that lists its weights among the graph
// inputs) loads with "image" as the image input and its weights as float32 variables of
// the store, holding the float16 values exactly: gradients and CAM read them there.
func TestFloat16WeightsAreVariables(t *testing.T) {
	m, err := LoadONNX(filepath.Join(legacyDir, "float16_caffe2_opset7.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.onnx.graph.input != "image" || !slices.Equal(m.InputDims(1), []int{1, 3, 8, 8}) {
		t.Errorf("image input %q %v, want \"image\" [1 3 8 8]", m.onnx.graph.input, m.InputDims(1))
	}
	var names []string
	for v := range m.Store.IterVariables() {
		names = append(names, v.Path())
		if v.Shape().DType != dtypes.Float32 {
			t.Errorf("variable %s is %s, want float32", v.Path(), v.Shape())
		}
	}
	slices.Sort(names)
	if want := []string{"/ONNX/c1.b", "/ONNX/c1.w", "/ONNX/c2.b", "/ONNX/c2.w"}; !slices.Equal(names, want) {
		t.Errorf("variables %q, want %q", names, want)
	}
}

// widenFloat16's refusals: a float16 tensor kept in an external file, raw data of an odd
// length, a value count that does not match the dimensions. Each error names the tensor.
func TestWidenFloat16Errors(t *testing.T) {
	fp16 := int32(protos.TensorProto_FLOAT16)
	for name, c := range map[string]struct {
		t    *protos.TensorProto
		want string
	}{
		"external": {&protos.TensorProto{Name: "w", DataType: fp16, Dims: []int64{2}, DataLocation: protos.TensorProto_EXTERNAL}, "external data file"},
		"odd raw":  {&protos.TensorProto{Name: "w", DataType: fp16, Dims: []int64{2}, RawData: []byte{0, 0x3c, 0}}, "whole number of 2-byte values"},
		"count":    {&protos.TensorProto{Name: "w", DataType: fp16, Dims: []int64{3}, RawData: []byte{0, 0x3c, 0, 0x3c}}, "2 values for dimensions [3]"},
	} {
		_, err := widenFloat16(&protos.GraphProto{Initializer: []*protos.TensorProto{c.t}})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"w"`) {
			t.Errorf("%s: error %v, want one naming \"w\" and saying %q", name, err, c.want)
		}
	}
	// A well-formed one: 1 and -2 in raw data, retyped with its value info and a Cast.
	g := &protos.GraphProto{
		Initializer: []*protos.TensorProto{{Name: "w", DataType: fp16, Dims: []int64{2}, RawData: []byte{0, 0x3c, 0, 0xc0}}},
		Input: []*protos.ValueInfoProto{{Name: "x", Type: &protos.TypeProto{Value: &protos.TypeProto_TensorType{
			TensorType: &protos.TypeProto_Tensor{ElemType: fp16}}}}},
		Node: []*protos.NodeProto{{OpType: "Cast", Input: []string{"x"}, Output: []string{"y"},
			Attribute: []*protos.AttributeProto{{Name: "to", Type: protos.AttributeProto_INT, I: int64(protos.TensorProto_FLOAT16)}}}},
	}
	r, err := widenFloat16(g)
	if err != nil {
		t.Fatal(err)
	}
	w := g.Initializer[0]
	if r.tensors != 1 || r.retyped != 2 || w.DataType != int32(protos.TensorProto_FLOAT) || !slices.Equal(w.FloatData, []float32{1, -2}) ||
		w.RawData != nil || g.Node[0].Attribute[0].I != int64(protos.TensorProto_FLOAT) ||
		g.Input[0].Type.GetTensorType().ElemType != int32(protos.TensorProto_FLOAT) {
		t.Errorf("widened: report %+v, tensor %v %v, Cast to %d, input %v", r, w.DataType, w.FloatData, g.Node[0].Attribute[0].I, g.Input[0].Type)
	}
}
