package main

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/models"
)

// scoreLine says which tensor holds the class scores, with its shape among taps (the
// model's logits [N, classes] for a zoo model) and what it is:
// "scores: logits [1 10] (graph output)"; scores [N, C, 1, 1] are read as [N, C].
func scoreLine(m *models.Model, taps []camviz.TapInfo) string {
	name, what := m.ScoreTensor()
	var shape []int
	for _, t := range taps {
		if t.Name == name {
			shape = t.Shape
		}
	}
	if shape == nil && len(taps) > 0 {
		shape = []int{taps[0].Shape[0], m.Spec.NumClasses}
	}
	dims := fmt.Sprint(shape)
	if len(shape) == 4 && shape[2] == 1 && shape[3] == 1 {
		dims = fmt.Sprintf("%v squeezed to %v", shape, shape[:2])
	}
	return fmt.Sprintf("scores: %s %s (%s)", name, dims, what)
}
