package models

import (
	"fmt"
	"math"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ui/commandline"
)

// TrainConfig sets up Model.Train.
type TrainConfig struct {
	// Steps is the number of optimizer steps (default 600).
	Steps int
	// BatchSize is the number of examples per step (default 32).
	BatchSize int
	// LearningRate of Adam (default 3e-3).
	LearningRate float64
	// Seed shuffles the examples (default 1).
	Seed uint64
	// Quiet turns the progress bar off.
	Quiet bool
}

// TrainReport summarises a training run.
type TrainReport struct {
	Steps    int
	Loss     float64 // mean loss of the last step
	Duration time.Duration
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.Steps == 0 {
		c.Steps = 600
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.LearningRate == 0 {
		c.LearningRate = 3e-3
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

// Train fits the model to labelled examples with Adam and sparse categorical
// cross-entropy on the logits, using GoMLX's train loop (with a progress bar unless Quiet).
func (m *Model) Train(backend compute.Backend, examples []datasets.Example, cfg TrainConfig) (TrainReport, error) {
	cfg = cfg.withDefaults()
	if err := m.checkExamples(examples); err != nil {
		return TrainReport{}, err
	}
	ds, err := datasets.NewBatches(examples, cfg.BatchSize, true, cfg.Seed)
	if err != nil {
		return TrainReport{}, fmt.Errorf("models: %w", err)
	}
	fn := m.Fn
	trainer := train.NewTrainer(backend, m.Store,
		func(scope *model.Scope, spec any, inputs []*graph.Node) []*graph.Node {
			return []*graph.Node{fn(scope, inputs[0])}
		},
		loss.SparseCategoricalCrossEntropyLogits,
		optimizer.Adam().LearningRate(cfg.LearningRate).Done(),
		[]metric.Interface{metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "~acc", 0.01)},
		nil)
	loop := train.NewLoop(trainer)
	if !cfg.Quiet {
		commandline.AttachProgressBar(loop)
	}
	start := time.Now()
	var metrics []*tensors.Tensor
	err = camviz.CatchPanic(func() error {
		var err error
		metrics, err = loop.RunSteps(ds, cfg.Steps)
		return err
	})
	if err != nil {
		return TrainReport{}, fmt.Errorf("models: training %s: %w", m.Spec.Arch, err)
	}
	report := TrainReport{Steps: cfg.Steps, Duration: time.Since(start), Loss: math.NaN()}
	if len(metrics) > 0 {
		report.Loss = scalarOf(metrics[0])
	}
	return report, nil
}

// Predict returns the logits of a batch of images, flat in the model's layout
// ([n, H, W, C], or [n, C, H, W] for ChannelsFirst models; see InputDims).
func (m *Model) Predict(backend compute.Backend, images []float32, n int) ([][]float32, error) {
	h, w, c := m.Spec.InputSize[0], m.Spec.InputSize[1], m.Spec.InputSize[2]
	if n <= 0 || len(images) != n*h*w*c {
		return nil, fmt.Errorf("models: %d values for %d images of %dx%dx%d", len(images), n, h, w, c)
	}
	dims := m.InputDims(n)
	fn := m.Fn
	var out *tensors.Tensor
	var failed error
	err := camviz.CatchPanic(func() error {
		var err error
		out, err = model.CallOnce(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			defer func() { // the model's own panic, named first (not GoMLX's wrapping of it)
				if r := recover(); r != nil {
					failed = &camviz.GraphError{Cause: panicAsError(r),
						Context: fmt.Sprintf("while building the %s model for images %v", m.Spec.Arch, dims)}
					panic(failed)
				}
			}()
			return fn(scope, x)
		}, tensors.FromFlatDataAndDimensions(images, dims...))
		return err
	})
	if failed != nil {
		return nil, failed
	}
	if err != nil {
		return nil, &camviz.GraphError{Cause: err, Context: fmt.Sprintf("while running the %s model for images %v", m.Spec.Arch, dims)}
	}
	flat := tensors.MustCopyFlatData[float32](out)
	k := len(flat) / n
	logits := make([][]float32, n)
	for i := range logits {
		logits[i] = flat[i*k : (i+1)*k]
	}
	return logits, nil
}

// panicAsError is a recovered panic value as an error.
func panicAsError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return fmt.Errorf("%v", r)
}

// Accuracy returns the share of examples whose argmax logit is their label, evaluating
// in batches of 64.
func (m *Model) Accuracy(backend compute.Backend, examples []datasets.Example) (float64, error) {
	if err := m.checkExamples(examples); err != nil {
		return 0, err
	}
	correct := 0
	for start := 0; start < len(examples); start += 64 {
		batch := examples[start:min(start+64, len(examples))]
		images, labels, err := datasets.Stack(batch)
		if err != nil {
			return 0, fmt.Errorf("models: %w", err)
		}
		logits, err := m.Predict(backend, images, len(batch))
		if err != nil {
			return 0, err
		}
		for i, l := range logits {
			if Argmax(l) == int(labels[i]) {
				correct++
			}
		}
	}
	return float64(correct) / float64(len(examples)), nil
}

// Argmax returns the index of the largest value.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func (m *Model) checkExamples(examples []datasets.Example) error {
	if len(examples) == 0 {
		return fmt.Errorf("models: no examples")
	}
	if m.ChannelsFirst {
		return fmt.Errorf("models: the examples are channels-last images, but this model takes [batch, C, H, W]: " +
			"use Predict with images in its layout")
	}
	h, w := m.Spec.InputSize[0], m.Spec.InputSize[1]
	for i, e := range examples {
		if e.H != h || e.W != w {
			return fmt.Errorf("models: example %d is %dx%d, but the model takes %dx%d images", i, e.H, e.W, h, w)
		}
		if e.Label < 0 || e.Label >= m.Spec.NumClasses {
			return fmt.Errorf("models: example %d has label %d outside [0, %d)", i, e.Label, m.Spec.NumClasses)
		}
	}
	return nil
}

func scalarOf(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}
