package evaluate

import (
	"fmt"
	"io"
	"math"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
)

// Target says which class each map explains.
type Target int

const (
	// TargetLabel explains the ground-truth class (Choe et al.'s "GT-known" setting, in
	// which MaxBoxAcc and PxAP are defined). The default.
	TargetLabel Target = iota
	// TargetPredicted explains the model's top-1 class.
	TargetPredicted
)

func (t Target) String() string {
	if t == TargetPredicted {
		return "predicted class"
	}
	return "ground-truth class"
}

// Config says what an evaluation computes. The zero value evaluates every method at the
// model's last block with DefaultMetrics and the protocol defaults below.
type Config struct {
	// Layers are the taps to explain; empty means the model's last block (the layer CAM
	// is defined at). Every layer × method is one row of the table.
	Layers []string
	// Methods to evaluate; empty means camviz.Methods() (all of them).
	Methods []camviz.Method
	// Metrics are the table's columns, in order; empty means DefaultMetrics().
	Metrics []Metric
	// Target is the explained class (TargetLabel by default). Maps explain its raw logit,
	// as pytorch-grad-cam's ClassifierOutputTarget; the faithfulness metrics follow its
	// softmax probability.
	Target Target

	// BatchSize is the number of images explained per Explain call; 0 means 16.
	BatchSize int
	// TauStep is the spacing of the map thresholds of the box accuracies and PxAP; 0 means
	// 0.01 (wsolevaluation's default; Choe et al.'s exact protocol uses 0.001).
	TauStep float64
	// IoUThresholds are MaxBoxAccV2's δ; empty means {0.3, 0.5, 0.7}.
	IoUThresholds []float64
	// PointingTolerance is the pointing game's tolerance in pixels; 0 means the maximum
	// must fall inside the box (Zhang et al. used 15 pixels on 224-pixel images).
	PointingTolerance int
	// CausalSteps is the number of steps of the deletion and insertion curves (the curve
	// has CausalSteps+1 points, each a forward pass per image); 0 means 32.
	CausalSteps int
	// ScoreBatch is the largest number of images per forward pass of the faithfulness
	// metrics; 0 means 64.
	ScoreBatch int
	// ROADPercentiles are ROAD's removal percentiles; empty means {10, 20, …, 90}.
	ROADPercentiles []float64
	// Seed makes ROAD's imputation noise repeatable.
	Seed uint64

	// ChunkSize and MemoryBudget are passed to camviz.Config for Score-CAM and
	// Ablation-CAM (0 chooses them).
	ChunkSize    int
	MemoryBudget int64

	// Progress, when set, receives a one-line progress report (rewritten with carriage
	// returns, for a terminal; os.Stderr is the usual choice).
	Progress io.Writer

	// Maps, when set, receives every batch's final maps (Result.Final: [0, 1], image
	// size) for each layer × method before they are scored: start is the dataset
	// position of the batch's first image (Evaluator.UpdateAt). An error stops the
	// evaluation. The Beam pipeline writes them as .npy and PNG shards with it.
	Maps func(start int, layer string, method camviz.Method, maps []*heatmap.Map) error
}

// withDefaults fills the zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Methods) == 0 {
		c.Methods = camviz.Methods()
	}
	if len(c.Metrics) == 0 {
		c.Metrics = DefaultMetrics()
	}
	seen := map[Metric]bool{}
	for _, m := range c.Metrics {
		if _, ok := metricTable[m]; !ok {
			if _, err := ParseMetric(string(m)); err != nil {
				return c, err
			}
			return c, fmt.Errorf("evaluate: metric %q is spelled differently: use evaluate.ParseMetric", m)
		}
		if seen[m] {
			return c, fmt.Errorf("evaluate: metric %s is listed twice in Config.Metrics", m)
		}
		seen[m] = true
	}
	if c.Target != TargetLabel && c.Target != TargetPredicted {
		return c, fmt.Errorf("evaluate: Config.Target %d is unknown: use TargetLabel or TargetPredicted", int(c.Target))
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"BatchSize", &c.BatchSize, 16}, {"CausalSteps", &c.CausalSteps, 32}, {"ScoreBatch", &c.ScoreBatch, 64}} {
		switch {
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 0:
			return c, fmt.Errorf("evaluate: Config.%s is %d: use a positive number, or 0 for the default (%d)", f.name, *f.v, f.def)
		}
	}
	if c.TauStep == 0 {
		c.TauStep = 0.01
	}
	if !(c.TauStep > 0 && c.TauStep <= 1) || math.IsNaN(c.TauStep) {
		return c, fmt.Errorf("evaluate: Config.TauStep %v must be in (0, 1] (0.01 default, 0.001 for Choe et al.'s exact protocol)", c.TauStep)
	}
	if len(c.IoUThresholds) == 0 {
		c.IoUThresholds = []float64{0.3, 0.5, 0.7}
	}
	if c.PointingTolerance < 0 {
		return c, fmt.Errorf("evaluate: Config.PointingTolerance %d is negative: use 0 (inside the box) or a radius in pixels", c.PointingTolerance)
	}
	return c, nil
}

// needsScore reports whether any configured metric runs the model on modified images.
func (c Config) needsScore() bool {
	for _, m := range c.Metrics {
		if metricTable[m].needsScore {
			return true
		}
	}
	return false
}

func (c Config) has(m Metric) bool {
	for _, x := range c.Metrics {
		if x == m {
			return true
		}
	}
	return false
}
