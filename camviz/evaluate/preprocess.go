package evaluate

import (
	"fmt"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/preprocess"
)

// Preprocess applies the preprocessing model m states about its input (m.Preprocessing
// with no user request: its colour order, pixel range, mean and std, else RGB in [0, 1])
// to the pictures of examples, in place, so that datasets read from picture files (WSOL
// benchmarks) reach the model as it expects: for every pixel and channel k,
//
//	x[k] = (v · s − Mean[k]) / Std[k],  v = R, G, B (or B, G, R), s = 255 for range 0–255, else 1.
//
// Images stay channels-last ([H, W, 3]; the Evaluator transposes for channels-first
// models), so the faithfulness metrics perturb the model's input, as pytorch-grad-cam
// does. It returns the plan and whether it changed anything (RGB, range 0–1, mean 0 and
// std 1 change nothing, and leave the images untouched). Examples must be of the plan's
// size and 3 channels.
func Preprocess(m *models.Model, examples []datasets.Example) (plan preprocess.Plan, changed bool, err error) {
	plan, err = m.Preprocessing(preprocess.Request{})
	if err != nil {
		return plan, false, fmt.Errorf("evaluate.Preprocess: %w", err)
	}
	if plan.Channels != 3 {
		return plan, false, fmt.Errorf("evaluate.Preprocess: the model takes %d-channel images; the evaluation feeds RGB pictures", plan.Channels)
	}
	changed = plan.BGR || plan.Range == preprocess.Range0255
	for k := range plan.Mean {
		changed = changed || plan.Mean[k] != 0 || plan.Std[k] != 1
	}
	if !changed {
		return plan, false, nil
	}
	for i := range examples {
		e := &examples[i]
		p := plan
		p.Height, p.Width = e.H, e.W // the pictures were loaded at the model's input size
		out, err := p.Apply(e.Image, false)
		if err != nil {
			return plan, false, fmt.Errorf("evaluate.Preprocess: example %d: %w", i, err)
		}
		e.Image = out
	}
	return plan, true, nil
}
