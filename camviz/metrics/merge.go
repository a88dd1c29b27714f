package metrics

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"
)

// Merging and encoding the accumulators.
//
// Every accumulator of this package is a set of counts and sums over images, so two
// accumulators with the same configuration that saw disjoint sets of images merge into
// the accumulator of their union: counts and histogram bins add as integers, and float
// sums are ExactSums, added without rounding. Merge is therefore associative and
// commutative, and merged shards give exactly the single-pass Summary, whatever the
// split (ROAD's noise needs Batch.Index for that; deletion/insertion's per-image AUCs
// list comes in merge order). This is what a data-parallel runner needs (a Beam
// CombineFn's MergeAccumulators).
//
// MarshalBinary writes an accumulator's state (not its ScoreFn) with its configuration;
// UnmarshalBinary replaces the state of an accumulator built with the same
// configuration, and refuses data written by a differently configured one.

// gobBytes encodes v with encoding/gob.
func gobBytes(what string, v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("metrics: encoding a %s: %w", what, err)
	}
	return buf.Bytes(), nil
}

// fromGob decodes data written by gobBytes into v.
func fromGob(what string, data []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("metrics: decoding a %s: %w (was it written by the same accumulator type's MarshalBinary?)", what, err)
	}
	return nil
}

func addCounts(dst, src [][]int64) {
	for i := range dst {
		for j := range dst[i] {
			dst[i][j] += src[i][j]
		}
	}
}

func cloneCounts(src [][]int64) [][]int64 {
	out := make([][]int64, len(src))
	for i := range src {
		out[i] = slices.Clone(src[i])
	}
	return out
}

// --- BoxAccumulator ---

type boxKey struct {
	Taus, Deltas   []float64
	Multi, WSOL    bool
	ImageH, ImageW int
}

func (a *BoxAccumulator) key() boxKey {
	return boxKey{a.taus, a.deltas, a.cfg.MultiContour, a.cfg.WSOLCompat, a.cfg.ImageH, a.cfg.ImageW}
}

func (k boxKey) equal(o boxKey) bool {
	return slices.Equal(k.Taus, o.Taus) && slices.Equal(k.Deltas, o.Deltas) && k.Multi == o.Multi &&
		k.WSOL == o.WSOL && k.ImageH == o.ImageH && k.ImageW == o.ImageW
}

// Merge adds the images of o to a (see the package notes on merging): the counts
// at every (δ, τ) add. a and o must have the same configuration; o is unchanged.
func (a *BoxAccumulator) Merge(o *BoxAccumulator) error {
	if o == nil || !a.key().equal(o.key()) {
		return fmt.Errorf("metrics.BoxAccumulator.Merge: the accumulators differ in configuration (τ grid, δ, MultiContour, WSOLCompat, image size); merge only accumulators built from the same BoxConfig")
	}
	addCounts(a.nCorrect, o.nCorrect)
	addCounts(a.nTop1, o.nTop1)
	a.images += o.images
	a.top1Images += o.top1Images
	return nil
}

type boxState struct {
	Key                boxKey
	Correct, Top1      [][]int64
	Images, Top1Images int
}

// MarshalBinary encodes the accumulator's counts and configuration.
func (a *BoxAccumulator) MarshalBinary() ([]byte, error) {
	return gobBytes("BoxAccumulator", boxState{a.key(), a.nCorrect, a.nTop1, a.images, a.top1Images})
}

// UnmarshalBinary replaces a's counts by those encoded in data, which must come from
// an accumulator of the same configuration.
func (a *BoxAccumulator) UnmarshalBinary(data []byte) error {
	var s boxState
	if err := fromGob("BoxAccumulator", data, &s); err != nil {
		return err
	}
	if !a.key().equal(s.Key) || len(s.Correct) != len(a.deltas) || len(s.Top1) != len(a.deltas) {
		return fmt.Errorf("metrics.BoxAccumulator.UnmarshalBinary: the data comes from a differently configured accumulator; build the receiver from the same BoxConfig")
	}
	for d := range s.Correct {
		if len(s.Correct[d]) != len(a.taus) || len(s.Top1[d]) != len(a.taus) {
			return fmt.Errorf("metrics.BoxAccumulator.UnmarshalBinary: corrupt data: %d or %d counts for %d thresholds", len(s.Correct[d]), len(s.Top1[d]), len(a.taus))
		}
	}
	a.nCorrect, a.nTop1 = cloneCounts(s.Correct), cloneCounts(s.Top1)
	a.images, a.top1Images = s.Images, s.Top1Images
	return nil
}

// --- PxAPAccumulator ---

// Merge adds the images of o to a: the positive and negative histograms add bin by
// bin. a and o must have the same thresholds; o is unchanged.
func (a *PxAPAccumulator) Merge(o *PxAPAccumulator) error {
	if o == nil || !slices.Equal(a.edges, o.edges) {
		return fmt.Errorf("metrics.PxAPAccumulator.Merge: the accumulators have different thresholds (TauStep); merge only accumulators built from the same PxAPConfig")
	}
	for b := range a.pos {
		a.pos[b] += o.pos[b]
		a.neg[b] += o.neg[b]
	}
	a.images += o.images
	return nil
}

type pxapState struct {
	Edges    []float64
	Pos, Neg []int64
	Images   int
}

// MarshalBinary encodes the histograms and thresholds.
func (a *PxAPAccumulator) MarshalBinary() ([]byte, error) {
	return gobBytes("PxAPAccumulator", pxapState{a.edges, a.pos, a.neg, a.images})
}

// UnmarshalBinary replaces a's histograms by those in data (same thresholds only).
func (a *PxAPAccumulator) UnmarshalBinary(data []byte) error {
	var s pxapState
	if err := fromGob("PxAPAccumulator", data, &s); err != nil {
		return err
	}
	if !slices.Equal(a.edges, s.Edges) || len(s.Pos) != len(a.pos) || len(s.Neg) != len(a.neg) {
		return fmt.Errorf("metrics.PxAPAccumulator.UnmarshalBinary: the data comes from an accumulator with other thresholds; build the receiver from the same PxAPConfig")
	}
	a.pos, a.neg, a.images = slices.Clone(s.Pos), slices.Clone(s.Neg), s.Images
	return nil
}

// --- PointingGame ---

// Merge adds o's hits, misses and skipped images to g (same tolerance only).
func (g *PointingGame) Merge(o *PointingGame) error {
	if o == nil || g.tolerance != o.tolerance {
		return fmt.Errorf("metrics.PointingGame.Merge: the games have different tolerances; merge only games built with the same tolerance")
	}
	g.hits += o.hits
	g.misses += o.misses
	g.skipped += o.skipped
	return nil
}

type pointingState struct{ Tolerance, Hits, Misses, Skipped int }

// MarshalBinary encodes the counts and the tolerance.
func (g *PointingGame) MarshalBinary() ([]byte, error) {
	return gobBytes("PointingGame", pointingState{g.tolerance, g.hits, g.misses, g.skipped})
}

// UnmarshalBinary replaces g's counts by those in data (same tolerance only).
func (g *PointingGame) UnmarshalBinary(data []byte) error {
	var s pointingState
	if err := fromGob("PointingGame", data, &s); err != nil {
		return err
	}
	if s.Tolerance != g.tolerance {
		return fmt.Errorf("metrics.PointingGame.UnmarshalBinary: the data has tolerance %d, the receiver %d", s.Tolerance, g.tolerance)
	}
	g.hits, g.misses, g.skipped = s.Hits, s.Misses, s.Skipped
	return nil
}

// --- ConfidenceAccumulator ---

// Merge adds o's images to a: the counts add and the sums add exactly.
func (a *ConfidenceAccumulator) Merge(o *ConfidenceAccumulator) error {
	if o == nil {
		return fmt.Errorf("metrics.ConfidenceAccumulator.Merge: o is nil")
	}
	a.n += o.n
	a.nInc += o.nInc
	a.sumDrop.Merge(o.sumDrop)
	a.sumD.Merge(o.sumD)
	return nil
}

type confidenceState struct {
	N             int
	Inc           int64
	SumDrop, SumD ExactSum
}

// MarshalBinary encodes the counts and exact sums (not the ScoreFn).
func (a *ConfidenceAccumulator) MarshalBinary() ([]byte, error) {
	return gobBytes("ConfidenceAccumulator", confidenceState{a.n, a.nInc, a.sumDrop, a.sumD})
}

// UnmarshalBinary replaces a's counts and sums by those in data.
func (a *ConfidenceAccumulator) UnmarshalBinary(data []byte) error {
	var s confidenceState
	if err := fromGob("ConfidenceAccumulator", data, &s); err != nil {
		return err
	}
	a.n, a.nInc, a.sumDrop, a.sumD = s.N, s.Inc, s.SumDrop, s.SumD
	return nil
}

// --- CausalAccumulator ---

type causalKey struct {
	Mode     CausalMode
	Steps    int
	Baseline Baseline
}

func (a *CausalAccumulator) key() causalKey {
	return causalKey{a.cfg.Mode, a.cfg.Steps, a.cfg.Baseline}
}

// Merge adds o's images to a: the curve sums and the AUC sum add exactly, and o's
// per-image AUCs are appended to a's. Mode, Steps and Baseline must agree.
func (a *CausalAccumulator) Merge(o *CausalAccumulator) error {
	if o == nil || a.key() != o.key() {
		return fmt.Errorf("metrics.CausalAccumulator.Merge: the accumulators differ in Mode, Steps or Baseline; merge only accumulators built from the same CausalConfig")
	}
	for i := range a.sumC {
		a.sumC[i].Merge(o.sumC[i])
	}
	a.sumA.Merge(o.sumA)
	a.aucs = append(a.aucs, o.aucs...)
	a.n += o.n
	return nil
}

type causalState struct {
	Key  causalKey
	N    int
	SumC []ExactSum
	SumA ExactSum
	AUCs []float64
}

// MarshalBinary encodes the curve sums, the per-image AUCs and the configuration.
func (a *CausalAccumulator) MarshalBinary() ([]byte, error) {
	return gobBytes("CausalAccumulator", causalState{a.key(), a.n, a.sumC, a.sumA, a.aucs})
}

// UnmarshalBinary replaces a's state by the one in data (same configuration only).
func (a *CausalAccumulator) UnmarshalBinary(data []byte) error {
	var s causalState
	if err := fromGob("CausalAccumulator", data, &s); err != nil {
		return err
	}
	if s.Key != a.key() || len(s.SumC) != len(a.sumC) {
		return fmt.Errorf("metrics.CausalAccumulator.UnmarshalBinary: the data comes from an accumulator with %+v, the receiver has %+v", s.Key, a.key())
	}
	a.n, a.sumC, a.sumA, a.aucs = s.N, s.SumC, s.SumA, s.AUCs
	return nil
}

// --- ROADAccumulator ---

type roadKey struct {
	Percentiles []float64
	Noise       float64
	Seed        uint64
}

func (a *ROADAccumulator) key() roadKey {
	return roadKey{a.cfg.Percentiles, a.cfg.Noise, a.cfg.Seed}
}

func (k roadKey) equal(o roadKey) bool {
	return slices.Equal(k.Percentiles, o.Percentiles) && k.Noise == o.Noise && k.Seed == o.Seed
}

// Merge adds o's images to a: the change sums add exactly. Percentiles, Noise and
// Seed must agree; for the merged result to equal one pass, every Update must have
// given Batch.Index (otherwise both shards number their images from 0).
func (a *ROADAccumulator) Merge(o *ROADAccumulator) error {
	if o == nil || !a.key().equal(o.key()) {
		return fmt.Errorf("metrics.ROADAccumulator.Merge: the accumulators differ in Percentiles, Noise or Seed; merge only accumulators built from the same ROADConfig")
	}
	for k := range a.sumM {
		a.sumM[k].Merge(o.sumM[k])
		a.sumL[k].Merge(o.sumL[k])
	}
	a.n += o.n
	a.fullyRemoved += o.fullyRemoved
	return nil
}

type roadState struct {
	Key        roadKey
	N, Full    int
	SumM, SumL []ExactSum
}

// MarshalBinary encodes the change sums and the configuration.
func (a *ROADAccumulator) MarshalBinary() ([]byte, error) {
	return gobBytes("ROADAccumulator", roadState{a.key(), a.n, a.fullyRemoved, a.sumM, a.sumL})
}

// UnmarshalBinary replaces a's state by the one in data (same configuration only).
func (a *ROADAccumulator) UnmarshalBinary(data []byte) error {
	var s roadState
	if err := fromGob("ROADAccumulator", data, &s); err != nil {
		return err
	}
	if !s.Key.equal(a.key()) || len(s.SumM) != len(a.sumM) || len(s.SumL) != len(a.sumL) {
		return fmt.Errorf("metrics.ROADAccumulator.UnmarshalBinary: the data comes from an accumulator with %+v, the receiver has %+v", s.Key, a.key())
	}
	a.n, a.fullyRemoved, a.sumM, a.sumL = s.N, s.Full, s.SumM, s.SumL
	return nil
}
