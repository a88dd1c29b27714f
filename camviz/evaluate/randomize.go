package evaluate

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// RandomizeVariables replaces the values of the given trainable variables of store by
// independent normal draws with the scale of the trained values,
//
//	v_i ← s·z_i,  z_i ~ N(0, 1),  s = sqrt((1/n) Σ_i v_i²)  (the root mean square of v)
//
// so a layer keeps its magnitude and loses what it learnt (an all-zero variable, such
// as an untrained bias, stays zero). Non-trainable variables (batch-norm running
// statistics) are kept. The draws of a variable come from a PCG generator seeded with
// (seed, FNV-1a hash of its path), so they do not depend on the order of the calls.
// Only float32 and float64 variables can be randomized.
func RandomizeVariables(store *model.Store, paths []string, seed uint64) error {
	for _, p := range paths {
		v := store.GetVariable(p)
		if v == nil {
			return fmt.Errorf("evaluate.RandomizeVariables: the store has no variable %q", p)
		}
		if !v.Trainable {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("evaluate.RandomizeVariables: reading %q: %w", p, err)
		}
		h := fnv.New64a()
		h.Write([]byte(p))
		rng := rand.New(rand.NewPCG(seed, h.Sum64()))
		dims := t.Shape().Dimensions
		var nt *tensors.Tensor
		switch t.DType() {
		case dtypes.Float32:
			vals := tensors.MustCopyFlatData[float32](t)
			s := 0.0
			for _, x := range vals {
				s += float64(x) * float64(x)
			}
			s = math.Sqrt(s / float64(max(len(vals), 1)))
			for i := range vals {
				vals[i] = float32(s * rng.NormFloat64())
			}
			nt = tensors.FromFlatDataAndDimensions(vals, dims...)
		case dtypes.Float64:
			vals := tensors.MustCopyFlatData[float64](t)
			s := 0.0
			for _, x := range vals {
				s += x * x
			}
			s = math.Sqrt(s / float64(max(len(vals), 1)))
			for i := range vals {
				vals[i] = s * rng.NormFloat64()
			}
			nt = tensors.FromFlatDataAndDimensions(vals, dims...)
		default:
			return fmt.Errorf("evaluate.RandomizeVariables: variable %q is %s; only float32 and float64 variables can be randomized", p, t.DType())
		}
		if err := v.SetValue(nt); err != nil {
			return fmt.Errorf("evaluate.RandomizeVariables: setting %q: %w", p, err)
		}
	}
	return nil
}
