package models

// InputSizeFixed says the model takes only images of Spec.InputSize's height and width:
// an ONNX model whose input has fixed spatial axes. Zoo models (global average pooling)
// and ONNX models with dynamic spatial axes take any size (Spec.InputSize is then the
// size they were made for, or 224×224 for a dynamic ONNX input).
func (m *Model) InputSizeFixed() bool {
	if m.onnx == nil {
		return false
	}
	d := m.onnx.graph.inputDims
	return len(d) == 4 && d[2] > 0 && d[3] > 0
}
