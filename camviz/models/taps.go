package models

import (
	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute"
)

// Taps builds the model for images of the given dimensions (in the model's layout; a
// batch of one, m.InputDims(1), when none are given) and lists every tapped activation
// with its shape and dtype, in graph order (camviz.ListTaps). Building a zoo model for
// the first time initialises its weights.
func (m *Model) Taps(backend compute.Backend, inputDims ...int) ([]camviz.TapInfo, error) {
	if len(inputDims) == 0 {
		inputDims = m.InputDims(1)
	}
	return camviz.ListTaps(backend, m.Store, m.Fn, inputDims...)
}

// ListLayers lists the model's taps with their shapes for a batch of one, in graph order:
// what can be given as layers to Model.Explainer. See [Model.Taps].
func ListLayers(backend compute.Backend, m *Model) ([]camviz.TapInfo, error) {
	return m.Taps(backend)
}
