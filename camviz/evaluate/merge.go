package evaluate

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"
)

// Merge adds the images o has seen to a, metric by metric (each metrics accumulator's
// Merge: integer counts and histograms add, float sums are exact), so accumulators that
// saw disjoint shards of a dataset merge into the one-pass accumulator exactly,
// whatever the split and the merge order, provided every shard was fed with UpdateAt
// (ROAD's noise follows the image's dataset position). a and o must be built from the
// same Config; o is unchanged. On error a may be partly merged: discard it.
func (a *Accumulator) Merge(o *Accumulator) error {
	if o == nil {
		return fmt.Errorf("evaluate.Accumulator.Merge: o is nil")
	}
	if !sameMetrics(a.cfg, o.cfg) {
		return fmt.Errorf("evaluate.Accumulator.Merge: the accumulators compute different metrics (%v vs %v); merge only accumulators built from the same Config", a.cfg.Metrics, o.cfg.Metrics)
	}
	var err error
	merge := func(what string, f func() error) {
		if err == nil {
			if e := f(); e != nil {
				err = fmt.Errorf("evaluate.Accumulator.Merge: %s: %w", what, e)
			}
		}
	}
	if a.box != nil {
		merge("MaxBoxAcc", func() error { return a.box.Merge(o.box) })
	}
	if a.boxV2 != nil {
		merge("MaxBoxAccV2", func() error { return a.boxV2.Merge(o.boxV2) })
	}
	if a.pxap != nil {
		merge("PxAP", func() error { return a.pxap.Merge(o.pxap) })
	}
	if a.pointing != nil {
		merge("pointing game", func() error { return a.pointing.Merge(o.pointing) })
	}
	if a.conf != nil {
		merge("Average Drop", func() error { return a.conf.Merge(o.conf) })
	}
	if a.del != nil {
		merge("deletion", func() error { return a.del.Merge(o.del) })
	}
	if a.ins != nil {
		merge("insertion", func() error { return a.ins.Merge(o.ins) })
	}
	if a.road != nil {
		merge("ROAD", func() error { return a.road.Merge(o.road) })
	}
	if err != nil {
		return err
	}
	a.images += o.images
	return nil
}

// sameMetrics reports whether two configurations list the same metrics in order.
func sameMetrics(a, b Config) bool {
	if len(a.Metrics) != len(b.Metrics) {
		return false
	}
	for i := range a.Metrics {
		if a.Metrics[i] != b.Metrics[i] {
			return false
		}
	}
	return true
}

// accumulatorState is the encoded form of an Accumulator: each metric's own encoding.
type accumulatorState struct {
	Metrics []Metric
	Images  int
	Parts   map[string][]byte
}

// parts names the configured metrics accumulators.
func (a *Accumulator) parts() map[string]interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
} {
	out := map[string]interface {
		encoding.BinaryMarshaler
		encoding.BinaryUnmarshaler
	}{}
	if a.box != nil {
		out["box"] = a.box
	}
	if a.boxV2 != nil {
		out["boxV2"] = a.boxV2
	}
	if a.pxap != nil {
		out["pxap"] = a.pxap
	}
	if a.pointing != nil {
		out["pointing"] = a.pointing
	}
	if a.conf != nil {
		out["confidence"] = a.conf
	}
	if a.del != nil {
		out["deletion"] = a.del
	}
	if a.ins != nil {
		out["insertion"] = a.ins
	}
	if a.road != nil {
		out["road"] = a.road
	}
	return out
}

// MarshalBinary encodes the accumulated counts and sums of every metric (not the
// ClassScoreFn), for a runner that moves partial results between workers.
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	s := accumulatorState{Metrics: a.cfg.Metrics, Images: a.images, Parts: map[string][]byte{}}
	for name, p := range a.parts() {
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("evaluate.Accumulator.MarshalBinary: %w", err)
		}
		s.Parts[name] = b
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("evaluate.Accumulator.MarshalBinary: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary replaces a's state by the one in data, which must come from an
// accumulator of the same Config.
func (a *Accumulator) UnmarshalBinary(data []byte) error {
	var s accumulatorState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("evaluate.Accumulator.UnmarshalBinary: %w (was it written by Accumulator.MarshalBinary?)", err)
	}
	if !sameMetrics(a.cfg, Config{Metrics: s.Metrics}) {
		return fmt.Errorf("evaluate.Accumulator.UnmarshalBinary: the data holds metrics %v, the receiver computes %v; build it from the same Config", s.Metrics, a.cfg.Metrics)
	}
	parts := a.parts()
	if len(parts) != len(s.Parts) {
		return fmt.Errorf("evaluate.Accumulator.UnmarshalBinary: the data has %d metric states, the receiver %d", len(s.Parts), len(parts))
	}
	for name, p := range parts {
		b, ok := s.Parts[name]
		if !ok {
			return fmt.Errorf("evaluate.Accumulator.UnmarshalBinary: the data has no %s state", name)
		}
		if err := p.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("evaluate.Accumulator.UnmarshalBinary: %s: %w", name, err)
		}
	}
	a.images = s.Images
	return nil
}

// NewMergeAccumulator returns an empty accumulator of cfg's metrics that can Merge,
// UnmarshalBinary and Summary but not Update: a faithfulness metric would need the
// model. It is what a combiner that only merges partial results holds.
func NewMergeAccumulator(cfg Config) (*Accumulator, error) {
	return NewAccumulator(cfg, noScore)
}

// noScore is the ClassScoreFn of a merge-only accumulator.
func noScore([]float32, int, int, int, int, int) ([]float32, error) {
	return nil, fmt.Errorf("evaluate: this accumulator was built with NewMergeAccumulator to merge results; it has no model to score images with (use NewAccumulator with evaluate.ModelScore)")
}
