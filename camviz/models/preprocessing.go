package models

import "github.com/camviz/camviz/camviz/preprocess"

// PictureInput is what the model states about the pictures it takes, for
// camviz/preprocess: its channels, its input size (fixed for an ONNX input with fixed
// spatial axes; the size a zoo model was made for; none for a dynamic ONNX input), and
// Model.Input's colour order, pixel range, mean, std and their sources.
func (m *Model) PictureInput() preprocess.Stated {
	h, w, c := m.Spec.InputSize[0], m.Spec.InputSize[1], m.Spec.InputSize[2]
	s := preprocess.Stated{Channels: c, Height: h, Width: w, Fixed: m.InputSizeFixed(), BGR: m.Input.BGR,
		Range: m.Input.PixelRange, Mean: m.Input.Mean, Std: m.Input.Std, Sources: m.Input.Sources}
	if m.onnx != nil && !s.Fixed {
		s.Height, s.Width = 0, 0 // a dynamic ONNX input states no size
	}
	return s
}

// Preprocessing decides how a picture becomes this model's input: the request (the
// user's settings and preset) over what the model states (PictureInput) over the
// defaults; see preprocess.Resolve. Apply the plan with Plan.Apply(rgb, m.ChannelsFirst).
func (m *Model) Preprocessing(req preprocess.Request) (preprocess.Plan, error) {
	return preprocess.Resolve(m.PictureInput(), req)
}
