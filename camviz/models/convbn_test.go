package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

func withFoldBatchNorm(t *testing.T, on bool) {
	t.Helper()
	saved := FoldBatchNorm
	FoldBatchNorm = on
	t.Cleanup(func() { FoldBatchNorm = saved })
}

// randomizeBatchNorms gives every batch norm of m non-trivial inference
// statistics (γ, β, running mean and variance drawn per channel; a fresh model has
// γ = 1, β = 0, mean 0, variance 1, where folding changes nothing) and the conv
// biases non-zero values.
func randomizeBatchNorms(t *testing.T, m *Model, rng *rand.Rand) (bns int) {
	t.Helper()
	for v := range m.Store.IterVariables() {
		name := v.Name()
		var gen func() float64
		switch {
		case name == "weight" && strings.Contains(v.Scope(), "bn") || name == "weight" && strings.HasSuffix(v.Scope(), "/1"):
			gen = func() float64 { return 0.5 + rng.Float64() }
			bns++
		case name == "bias" || name == "biases" || name == "running_mean":
			gen = func() float64 { return 0.3 * rng.NormFloat64() }
		case name == "running_var":
			gen = func() float64 { return 0.2 + 2*rng.Float64() }
		default:
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(gen())
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	return bns
}

// TestConvBNFoldedMatchesUnfolded checks that folding inference batch norm into the
// convolution (convBN) keeps the logits, the Grad-CAM maps at every tap (stem, each
// block: activations and their gradients) and CAM within float rounding (1e-5
// relative) of the unfolded graph, for every camviz architecture with batch norm,
// and that the folded graph does fold: its kernels scaled by γ/√(var+ε) are
// computed when the graph is built (fastconv's ConstFolded count grows).
func TestConvBNFoldedMatchesUnfolded(t *testing.T) {
	backend := newTestBackend(t)
	for _, spec := range []Spec{
		ResNetSpec(32, 32, 3, 4, []int{8, 16}, []int{2, 1}),
		{Arch: "resnet", Channels: []int{8, 16}, Blocks: []int{1, 1}, Stem: StemImageNet, NumClasses: 3,
			InputSize: [3]int{40, 40, 3}, Seed: 2},
		VGGSpec(24, 24, 3, 3, []int{8, 16}, []int{1, 2}, true),
		GAPCNNSpec(24, 24, 3, 3),
	} {
		m, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(len(spec.Channels)), 9))
		n := 2
		h, w, c := spec.InputSize[0], spec.InputSize[1], spec.InputSize[2]
		images := make([]float32, n*h*w*c)
		for i := range images {
			images[i] = float32(rng.NormFloat64())
		}
		if _, err := m.Predict(backend, images, n); err != nil { // creates the variables
			t.Fatal(err)
		}
		if bns := randomizeBatchNorms(t, m, rng); bns == 0 {
			t.Fatalf("%s: no batch norm variables found", spec.Arch)
		}
		type run struct {
			logits [][]float32
			maps   map[string][]float32
			folded int64
		}
		results := map[bool]run{}
		for _, fold := range []bool{false, true} {
			withFoldBatchNorm(t, fold)
			before, _ := fastconv.StatsOf(backend)
			logits, err := m.Predict(backend, images, n)
			if err != nil {
				t.Fatal(err)
			}
			last := m.Layers[len(m.Layers)-1]
			explain := func(layers []string, method camviz.Method) *camviz.Result {
				ex, err := m.Explainer(backend, layers, method)
				if err != nil {
					t.Fatal(err)
				}
				res, err := ex.ExplainFloats(images, m.InputDims(n), camviz.ClassTarget(1))
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			res, camRes := explain(nil, camviz.MethodGradCAM), explain([]string{last}, camviz.MethodCAM)
			after, _ := fastconv.StatsOf(backend)
			r := run{logits: logits, maps: map[string][]float32{}, folded: after.ConstFolded - before.ConstFolded}
			for _, l := range m.Layers {
				raw, err := res.Raw(l, camviz.MethodGradCAM)
				if err != nil {
					t.Fatal(err)
				}
				r.maps["Grad-CAM at "+l] = flatMaps(raw)
			}
			if raw, err := camRes.Raw(last, camviz.MethodCAM); err == nil {
				r.maps["CAM at "+last] = flatMaps(raw)
			} else {
				t.Fatal(err)
			}
			results[fold] = r
		}
		un, fo := results[false], results[true]
		for i := range un.logits {
			checkClose(t, spec.Arch+" logits", fo.logits[i], un.logits[i], 1e-5, 1e-5*maxAbs(un.logits[i]))
		}
		for name, want := range un.maps {
			if maxAbs(want) == 0 {
				t.Errorf("%s %s: all zero", spec.Arch, name)
			}
			checkClose(t, spec.Arch+" "+name, fo.maps[name], want, 1e-5, 1e-5*maxAbs(want))
		}
		// Both graphs fold the shared constant ops (the input gradients' kernels);
		// the folded one also folds the batch norms' scales and scaled kernels.
		if fo.folded <= un.folded {
			t.Errorf("%s: %d ops folded with batch norm folding, %d without: want more", spec.Arch, fo.folded, un.folded)
		}
		t.Logf("%s: ops folded when building: %d unfolded, %d folded", spec.Arch, un.folded, fo.folded)
	}
}

// TestConvBNSameVariables checks that a fresh model built with batch-norm folding
// creates the same variables (paths, shapes, initial values from the seed) as one built
// without, so checkpoints do not depend on it.
func TestConvBNSameVariables(t *testing.T) {
	backend := newTestBackend(t)
	for _, spec := range []Spec{ResNetSpec(16, 16, 3, 3, []int{4, 8}, []int{1, 1}), VGGSpec(16, 16, 3, 3, []int{4}, []int{2}, true)} {
		vars := map[bool]map[string][]float32{}
		for _, fold := range []bool{false, true} {
			withFoldBatchNorm(t, fold)
			m, err := New(spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Predict(backend, make([]float32, 16*16*3), 1); err != nil {
				t.Fatal(err)
			}
			vars[fold] = map[string][]float32{}
			for v := range m.Store.IterVariables() {
				if v.DType() != dtypes.Float32 { // the store's RNG state
					continue
				}
				val, err := v.Value()
				if err != nil {
					t.Fatal(err)
				}
				vars[fold][v.Path()] = tensors.MustCopyFlatData[float32](val)
			}
		}
		if len(vars[true]) == 0 || len(vars[true]) != len(vars[false]) {
			t.Fatalf("%s: %d variables folded, %d unfolded", spec.Arch, len(vars[true]), len(vars[false]))
		}
		for path, want := range vars[false] {
			got, ok := vars[true][path]
			if !ok {
				t.Errorf("%s: variable %s missing with folding", spec.Arch, path)
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: variable %s initialised differently with folding", spec.Arch, path)
			}
		}
	}
}
