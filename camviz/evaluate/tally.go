package evaluate

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"

	"github.com/camviz/camviz/camviz"
)

// Tally is the model-free state of an evaluation: one Accumulator per layer × method,
// the image count and the count classified right. An Evaluator fills one; TakeTally
// hands it out. Tallies of disjoint shards of a dataset Merge into the tally of the
// whole (exactly: see Accumulator.Merge), and travel between machines with
// MarshalBinary, so a data-parallel runner (the Beam pipeline in examples/beam) can
// evaluate shards on many workers and combine them into the single-process Report.
type Tally struct {
	cfg     Config
	model   string
	layers  []string
	rows    []*Accumulator // layer-major, as Evaluator.rows
	images  int
	correct int
}

// NewTally returns an empty, merge-only tally (NewMergeAccumulator rows) for the
// layers × cfg.Methods of a model described by model (Report.Model). cfg must be the
// Evaluator's configuration with its layers (Evaluator.Config).
func NewTally(cfg Config, model string, layers []string) (*Tally, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("evaluate.NewTally: no layers; pass the Evaluator's (Evaluator.Layers)")
	}
	rows, err := newRows(cfg, len(layers), noScore)
	if err != nil {
		return nil, err
	}
	return &Tally{cfg: cfg, model: model, layers: slices.Clone(layers), rows: rows}, nil
}

// Layers returns the explained layers (the rows of the table are Layers × Methods).
func (e *Evaluator) Layers() []string { return slices.Clone(e.layers) }

// Model returns the description of the model that goes into Report.Model.
func (e *Evaluator) Model() string { return describe(e.m) }

// TakeTally returns what the Evaluator has accumulated since New or the previous
// TakeTally, and starts afresh. A worker that explains shards calls it once per shard
// (or per bundle) and sends the tally on; the Explainer and its compiled graphs stay.
func (e *Evaluator) TakeTally() (*Tally, error) {
	rows, err := newRows(e.cfg, len(e.layers), e.score)
	if err != nil {
		return nil, err
	}
	t := &Tally{cfg: e.cfg, model: describe(e.m), layers: e.layers, rows: e.rows, images: e.images, correct: e.correct}
	e.rows, e.images, e.correct = rows, 0, 0
	return t, nil
}

// Images returns the number of images tallied.
func (t *Tally) Images() int { return t.images }

// Merge adds o's images to t (same configuration, model and layers). o is unchanged.
func (t *Tally) Merge(o *Tally) error {
	if o == nil {
		return fmt.Errorf("evaluate.Tally.Merge: o is nil")
	}
	if !slices.Equal(t.layers, o.layers) || !slices.Equal(t.cfg.Methods, o.cfg.Methods) || t.model != o.model {
		return fmt.Errorf("evaluate.Tally.Merge: tallies of different evaluations (model %q layers %v methods %v vs %q %v %v)",
			t.model, t.layers, t.cfg.Methods, o.model, o.layers, o.cfg.Methods)
	}
	for i := range t.rows {
		if err := t.rows[i].Merge(o.rows[i]); err != nil {
			return fmt.Errorf("evaluate.Tally.Merge: row %d: %w", i, err)
		}
	}
	t.images += o.images
	t.correct += o.correct
	return nil
}

type tallyState struct {
	Model           string
	Layers          []string
	Methods         []camviz.Method
	Images, Correct int
	Rows            [][]byte
}

// MarshalBinary encodes the tally (every row's Accumulator.MarshalBinary).
func (t *Tally) MarshalBinary() ([]byte, error) {
	s := tallyState{Model: t.model, Layers: t.layers, Methods: t.cfg.Methods, Images: t.images, Correct: t.correct}
	for _, r := range t.rows {
		b, err := r.MarshalBinary()
		if err != nil {
			return nil, err
		}
		s.Rows = append(s.Rows, b)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("evaluate.Tally.MarshalBinary: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary replaces t's state by the one in data, which must come from a tally
// of the same configuration, model and layers (build t with NewTally).
func (t *Tally) UnmarshalBinary(data []byte) error {
	var s tallyState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("evaluate.Tally.UnmarshalBinary: %w (was it written by Tally.MarshalBinary?)", err)
	}
	if s.Model != t.model || !slices.Equal(s.Layers, t.layers) || !slices.Equal(s.Methods, t.cfg.Methods) || len(s.Rows) != len(t.rows) {
		return fmt.Errorf("evaluate.Tally.UnmarshalBinary: the data is a tally of model %q layers %v methods %v, the receiver of %q %v %v",
			s.Model, s.Layers, s.Methods, t.model, t.layers, t.cfg.Methods)
	}
	for i, b := range s.Rows {
		if err := t.rows[i].UnmarshalBinary(b); err != nil {
			return fmt.Errorf("evaluate.Tally.UnmarshalBinary: row %d: %w", i, err)
		}
	}
	t.images, t.correct = s.Images, s.Correct
	return nil
}

// Summary returns the table of the tallied images. It is an error before any image.
func (t *Tally) Summary() (*Report, error) {
	if t.images == 0 {
		return nil, fmt.Errorf("evaluate: no images evaluated; call Update (or use Run)")
	}
	r := &Report{Model: t.model, Images: t.images, Accuracy: 100 * float64(t.correct) / float64(t.images),
		Target: t.cfg.Target, Metrics: append([]Metric(nil), t.cfg.Metrics...)}
	for l, layer := range t.layers {
		for k, method := range t.cfg.Methods {
			row, err := t.rows[l*len(t.cfg.Methods)+k].Summary()
			if err != nil {
				return nil, fmt.Errorf("evaluate: %s at %q: %w", method, layer, err)
			}
			row.Layer, row.Method = layer, method
			r.Rows = append(r.Rows, row)
		}
	}
	return r, nil
}

// Rows returns the tally's accumulators, layer-major (row l·len(Methods)+k is layer l,
// method k).
func (t *Tally) Rows() []*Accumulator { return slices.Clone(t.rows) }

// DecodeTally returns the tally encoded in data (Tally.MarshalBinary), as a merge-only
// tally: cfg gives the metrics and methods (the Evaluator's Config; its Layers are not
// needed), the model and layers come from the data. A combiner that holds no model
// decodes partial tallies with it.
func DecodeTally(cfg Config, data []byte) (*Tally, error) {
	var s tallyState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, fmt.Errorf("evaluate.DecodeTally: %w (was it written by Tally.MarshalBinary?)", err)
	}
	t, err := NewTally(cfg, s.Model, s.Layers)
	if err != nil {
		return nil, err
	}
	if err := t.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return t, nil
}
