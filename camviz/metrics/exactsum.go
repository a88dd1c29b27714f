package metrics

import (
	"fmt"
	"math/big"
)

// exactSumPrec is wide enough to hold any sum of finite float64 values exactly: the
// bits of a float64 span 2^1023 down to 2^−1074 (2098 bits), plus 64 bits of carry
// headroom for up to 2^64 terms.
const exactSumPrec = 2098 + 64 + 16

// ExactSum is a sum of float64 values computed without rounding: Σ x_i is kept
// exactly (as a big.Float wide enough for any float64 sum) and rounded once, to the
// nearest float64, when read. The result therefore does not depend on the order of
// the terms nor on how they were split into partial sums and merged, which is what
// lets a metric computed on shards (Merge) equal the single-pass value bit for bit.
// The zero value is an empty sum. Non-finite terms are rejected by the metrics
// before they reach a sum.
type ExactSum struct {
	v *big.Float
}

func (s *ExactSum) init() {
	if s.v == nil {
		s.v = new(big.Float).SetPrec(exactSumPrec)
	}
}

// Add adds x (finite) to the sum.
func (s *ExactSum) Add(x float64) {
	s.init()
	s.v.Add(s.v, new(big.Float).SetFloat64(x))
}

// Merge adds every term of o to s.
func (s *ExactSum) Merge(o ExactSum) {
	if o.v == nil {
		return
	}
	s.init()
	s.v.Add(s.v, o.v)
}

// Float64 returns the sum rounded to the nearest float64 (ties to even).
func (s ExactSum) Float64() float64 {
	if s.v == nil {
		return 0
	}
	f, _ := s.v.Float64()
	return f
}

// GobEncode encodes the exact sum (used by the accumulators' MarshalBinary).
func (s ExactSum) GobEncode() ([]byte, error) {
	if s.v == nil {
		return nil, nil
	}
	return s.v.GobEncode()
}

// GobDecode restores a sum written by GobEncode.
func (s *ExactSum) GobDecode(b []byte) error {
	s.v = nil
	if len(b) == 0 {
		return nil
	}
	v := new(big.Float)
	if err := v.GobDecode(b); err != nil {
		return fmt.Errorf("metrics.ExactSum: %w", err)
	}
	if v.IsInf() {
		return fmt.Errorf("metrics.ExactSum: decoded an infinite sum")
	}
	s.init()
	s.v.Set(v)
	return nil
}
