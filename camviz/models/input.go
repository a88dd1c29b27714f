package models

import (
	"fmt"
	"slices"
)

// CheckInput checks that images of the given dimensions fit the model: rank 4 in the
// model's layout (see InputDims), a positive batch, the model's number of channels and,
// for ONNX models with fixed spatial axes, their height and width. Zoo models end in
// global average pooling and take any height and width. The error names the shape the
// model expects.
func (m *Model) CheckInput(dims []int) error {
	layout := "[N, H, W, C]"
	if m.ChannelsFirst {
		layout = "[N, C, H, W]"
	}
	want := m.InputDims(1)
	if len(dims) != 4 || slices.Contains(dims, 0) || slices.ContainsFunc(dims, func(d int) bool { return d < 0 }) {
		return fmt.Errorf("input shape %v: the model takes images %s, e.g. %v", dims, layout, want)
	}
	ch, hAxis := 3, 1
	if m.ChannelsFirst {
		ch, hAxis = 1, 2
	}
	if dims[ch] != want[ch] {
		return fmt.Errorf("input shape %v has %d channels; the model takes %d (images %s, e.g. %v)",
			dims, dims[ch], want[ch], layout, want)
	}
	if m.onnx != nil {
		in := m.onnx.graph.inputDims
		for i, axis := range []int{hAxis, hAxis + 1} {
			if fixed := in[2+i]; fixed > 0 && dims[axis] != fixed {
				return fmt.Errorf("input shape %v: the ONNX model takes %d×%d images (%s %v)", dims,
					in[2], in[3], layout, want)
			}
		}
	}
	return nil
}
