package models

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute-onnx/support/protos"
)

// float16Report is what widenFloat16 changed, for the load report.
type float16Report struct {
	// tensors counts the float16 tensors (initializers, Constant values) converted;
	// values the numbers in them; retyped the value infos (inputs, outputs, value_info)
	// and type attributes (Cast's to, a dtype) changed from FLOAT16 to FLOAT.
	tensors, values, retyped int
}

// String is the line the load report (InputHints.Sources, printed by the CLI) carries.
func (r float16Report) String() string {
	return fmt.Sprintf("float16 model: computed in float32 (%d float16 tensors widened exactly, %d types retyped)",
		r.tensors, r.retyped)
}

// widenFloat16 rewrites a model whose float tensors are IEEE 754 half precision
// (float16, ONNX elem_type 10) into one computed in float32, in place:
//
//   - every float16 tensor (initializers, the value of Constant nodes, any tensor
//     attribute) is converted to float32. The conversion is exact: every float16 number
//     (normal, subnormal, ±0, ±Inf, NaN) is a float32 number, f32 = (-1)^s · 2^(e-15) ·
//     (1 + m/1024) for 0 < e < 31, (-1)^s · 2^-14 · m/1024 for e = 0;
//   - graph inputs, outputs and value_info typed FLOAT16 are retyped FLOAT, so that
//     camviz feeds its float32 images to a float16 model's image input;
//   - type attributes that name FLOAT16 (Cast's to; dtype of RandomNormal, EyeLike, …)
//     name FLOAT.
//
// Sub-graphs (If, Loop, Scan bodies) are rewritten the same way. The results differ from
// a float16 evaluation only by float16 rounding that float32 no longer does: the weights
// are the model's own, bit for bit in value. A float16 tensor stored in external data is
// refused with what to do (camviz would have to rewrite the external file).
//
// Camviz (onnx-gomlx, GoMLX's gradients) runs in float32: this is why a float16 model is
// widened rather than run as it is. It returns what was changed (zero when the model has
// no float16 tensor).
func widenFloat16(g *protos.GraphProto) (float16Report, error) {
	var r float16Report
	err := r.graph(g)
	return r, err
}

func (r *float16Report) graph(g *protos.GraphProto) error {
	if g == nil {
		return nil
	}
	for _, t := range g.Initializer {
		if err := r.tensor(t); err != nil {
			return err
		}
	}
	for _, t := range g.SparseInitializer {
		if err := r.tensor(t.GetValues()); err != nil {
			return err
		}
	}
	for _, list := range [][]*protos.ValueInfoProto{g.Input, g.Output, g.ValueInfo} {
		for _, vi := range list {
			r.valueType(vi.GetType())
		}
	}
	for _, n := range g.Node {
		for _, a := range n.Attribute {
			if err := r.attribute(n, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// attribute widens a node attribute: tensors, sub-graphs, and type attributes.
func (r *float16Report) attribute(n *protos.NodeProto, a *protos.AttributeProto) error {
	switch a.Type {
	case protos.AttributeProto_TENSOR:
		return r.tensor(a.T)
	case protos.AttributeProto_TENSORS:
		for _, t := range a.Tensors {
			if err := r.tensor(t); err != nil {
				return err
			}
		}
	case protos.AttributeProto_GRAPH:
		return r.graph(a.G)
	case protos.AttributeProto_GRAPHS:
		for _, g := range a.Graphs {
			if err := r.graph(g); err != nil {
				return err
			}
		}
	case protos.AttributeProto_INT:
		// Cast's "to"; "dtype" of RandomNormal(Like), RandomUniform(Like), EyeLike,
		// Multinomial, Bernoulli: element types of what the node makes.
		if (a.Name == "to" && n.OpType == "Cast") || a.Name == "dtype" {
			if a.I == int64(protos.TensorProto_FLOAT16) {
				a.I = int64(protos.TensorProto_FLOAT)
				r.retyped++
			}
		}
	case protos.AttributeProto_TYPE_PROTO:
		r.valueType(a.Tp)
	}
	return nil
}

// valueType retypes a FLOAT16 tensor type (also inside sequences, optionals and maps).
func (r *float16Report) valueType(tp *protos.TypeProto) {
	if tp == nil {
		return
	}
	switch v := tp.Value.(type) {
	case *protos.TypeProto_TensorType:
		if v.TensorType != nil && v.TensorType.ElemType == int32(protos.TensorProto_FLOAT16) {
			v.TensorType.ElemType = int32(protos.TensorProto_FLOAT)
			r.retyped++
		}
	case *protos.TypeProto_SparseTensorType:
		if v.SparseTensorType != nil && v.SparseTensorType.ElemType == int32(protos.TensorProto_FLOAT16) {
			v.SparseTensorType.ElemType = int32(protos.TensorProto_FLOAT)
			r.retyped++
		}
	case *protos.TypeProto_SequenceType:
		r.valueType(v.SequenceType.GetElemType())
	case *protos.TypeProto_OptionalType:
		r.valueType(v.OptionalType.GetElemType())
	case *protos.TypeProto_MapType:
		r.valueType(v.MapType.GetValueType())
	}
}

// tensor converts one float16 tensor to float32 in place. ONNX stores float16 numbers
// either as raw_data (2 bytes each, little-endian) or as int32_data (one bit pattern per
// int32).
func (r *float16Report) tensor(t *protos.TensorProto) error {
	if t == nil || t.DataType != int32(protos.TensorProto_FLOAT16) {
		return nil
	}
	if t.DataLocation == protos.TensorProto_EXTERNAL {
		return fmt.Errorf("float16 tensor %q is stored in an external data file, which camviz cannot widen to float32; "+
			"save the model with its data inside (onnx.save_model(m, path, save_as_external_data=False)) or convert it "+
			"to float32 first (onnxconverter_common.float16.convert_float16_to_float32 or re-export in float32)", t.Name)
	}
	var bits []uint16
	switch {
	case len(t.RawData) > 0:
		if len(t.RawData)%2 != 0 {
			return fmt.Errorf("float16 tensor %q has %d bytes of raw data, not a whole number of 2-byte values; the file is malformed",
				t.Name, len(t.RawData))
		}
		bits = make([]uint16, len(t.RawData)/2)
		for i := range bits {
			bits[i] = binary.LittleEndian.Uint16(t.RawData[2*i:])
		}
	default:
		bits = make([]uint16, len(t.Int32Data))
		for i, v := range t.Int32Data {
			bits[i] = uint16(v)
		}
	}
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	if int64(len(bits)) != n {
		return fmt.Errorf("float16 tensor %q has %d values for dimensions %v (%d); the file is malformed", t.Name, len(bits), t.Dims, n)
	}
	out := make([]float32, len(bits))
	for i, b := range bits {
		out[i] = float16ToFloat32(b)
	}
	t.DataType = int32(protos.TensorProto_FLOAT)
	t.RawData, t.Int32Data, t.FloatData = nil, nil, out
	r.tensors++
	r.values += len(out)
	return nil
}

// float16ToFloat32 converts an IEEE 754 binary16 bit pattern to the float32 of the same
// value (exact: binary32 has more exponent and mantissa bits). Sign s (1 bit), exponent e
// (5 bits, bias 15), mantissa m (10 bits):
//
//	e = 0:        (-1)^s · 2^-14 · m/1024   (zero and subnormals)
//	0 < e < 31:   (-1)^s · 2^(e-15) · (1 + m/1024)
//	e = 31:       ±Inf (m = 0), NaN (m ≠ 0, payload kept in the top mantissa bits)
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0:
		// Zero or subnormal: m · 2^-24, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
	}
}
