package models

import (
	"fmt"

	"github.com/gomlx/compute-onnx/support/protos"
)

// onnxGoMLXVersion is the onnx-gomlx release whose op set supportedOps lists.
const onnxGoMLXVersion = "v0.5.13"

// supportedOps are the ops onnx-gomlx v0.5.13 builds (the cases of convertNode in its
// internal/onnxgomlx/graph.go), after legalization. Ops camviz rewrites away (Dropout,
// ImageScaler, Upsample, Sum, LogSoftmax) are not listed: none is left by then.
var supportedOps = setOf("Add", "Sub", "Mul", "Div", "Mod", "Pow", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr",
	"BitwiseXor", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Sqrt", "Exp", "Log", "Erf", "Relu",
	"Gelu", "FastGelu", "LeakyRelu", "Selu", "HardSigmoid", "HardSwish", "Swish", "Silu", "Abs", "Neg", "Sign",
	"Ceil", "Floor", "Identity", "Not", "BitwiseNot", "Tanh", "Sin", "Cos", "Sigmoid", "IsNaN", "Reciprocal",
	"MatMul", "Einsum", "Clip", "Where", "Min", "Max", "Constant", "Gather", "GatherElements", "GatherND", "Shape",
	"Size", "Concat", "Softmax", "Cast", "Transpose", "Gemm", "Flatten", "DequantizeLinear", "QuantizeLinear",
	"MatMulInteger", "QLinearMatMul", "Squeeze", "Unsqueeze", "Slice", "Reshape", "ReduceMean", "ReduceMax",
	"ReduceMin", "ReduceSum", "ReduceProd", "ReduceL2", "NonZero", "ConstantOfShape", "Expand", "Tile", "Range",
	"CumSum", "LSTM", "Conv", "AveragePool", "MaxPool", "GlobalAveragePool", "Resize", "BatchNormalization",
	"LayerNormalization", "SimplifiedLayerNormalization", "RotaryEmbedding", "MultiHeadAttention",
	"GroupQueryAttention", "Pad", "DynamicQuantizeLinear", "Split", "Trilu", "ScatterND", "If", "TopK", "ArgMax",
	"ArgMin")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkSupported returns one error for the first node onnx-gomlx cannot build — an op it
// does not implement, or an attribute value it refuses — naming the op, the node, the
// opset and what to do, before any graph is built (onnx-gomlx would panic inside the
// graph builder, several layers deep).
func (l *legalizer) checkSupported() error {
	for _, n := range l.g.Node {
		if n.Domain != "" && n.Domain != "ai.onnx" && n.Domain != "com.microsoft" {
			return l.unsupported(n, fmt.Sprintf("domain %q is not supported", n.Domain))
		}
		if !supportedOps[n.OpType] {
			return l.unsupported(n, "not implemented by onnx-gomlx "+onnxGoMLXVersion)
		}
		if why := unsupportedAttribute(n); why != "" {
			return l.unsupported(n, why)
		}
	}
	return nil
}

// unsupportedAttribute names an attribute value onnx-gomlx v0.5.13 refuses or would
// silently get wrong, "" when there is none.
func unsupportedAttribute(n *protos.NodeProto) string {
	switch n.OpType {
	case "MaxPool":
		for _, d := range intsAttr(n, "dilations") {
			if d != 1 {
				return fmt.Sprintf("dilations %v are not implemented by onnx-gomlx %s", intsAttr(n, "dilations"), onnxGoMLXVersion)
			}
		}
		if intAttrOr(n, "storage_order", 0) != 0 {
			return "storage_order=1 is not implemented by onnx-gomlx " + onnxGoMLXVersion
		}
		if len(n.Output) > 1 && n.Output[1] != "" {
			return "its Indices output is not implemented by onnx-gomlx " + onnxGoMLXVersion
		}
	case "Pad":
		if m := stringAttrOr(n, "mode", "constant"); m != "constant" && m != "reflect" {
			return fmt.Sprintf("mode %q is not implemented by onnx-gomlx %s (constant and reflect are)", m, onnxGoMLXVersion)
		}
	case "Resize":
		if m := stringAttrOr(n, "mode", "nearest"); m == "cubic" {
			return "mode \"cubic\" is computed as bilinear by onnx-gomlx " + onnxGoMLXVersion + ", which would change the model's values"
		}
	case "BatchNormalization":
		if intAttrOr(n, "training_mode", 0) != 0 {
			return "training_mode=1 is not implemented by onnx-gomlx " + onnxGoMLXVersion
		}
	}
	return ""
}

// unsupported is the one error for a node onnx-gomlx cannot build.
func (l *legalizer) unsupported(n *protos.NodeProto, why string) error {
	domain := ""
	if n.Domain != "" {
		domain = n.Domain + "."
	}
	return fmt.Errorf("ONNX op %s%s (node %q, opset %d) is not supported: %s; re-export the model with opset ≥ 13 "+
		"and standard ops (torch.onnx.export(..., opset_version=17)), or file a camviz issue with the model attached",
		domain, n.OpType, n.Name, l.opset, why)
}
