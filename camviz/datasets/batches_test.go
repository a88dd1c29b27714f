package datasets

import (
	"iter"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// idExamples returns n tiny 2×3 examples whose label is their index and whose pixels
// are all index/1000, so a batch tells which examples it holds.
func idExamples(n int) []Example {
	ex := make([]Example, n)
	for i := range ex {
		img := make([]float32, 2*3*3)
		for k := range img {
			img[k] = float32(i) / 1000
		}
		ex[i] = Example{Image: img, H: 2, W: 3, Label: i}
	}
	return ex
}

// batchIDs checks the shapes of a batch and returns the example ids of its labels,
// after checking the images agree with them.
func batchIDs(t *testing.T, b train.Batch, wantSize int) []int {
	t.Helper()
	if len(b.Inputs) != 1 || len(b.Labels) != 1 {
		t.Fatalf("batch has %d inputs and %d labels, want 1 and 1", len(b.Inputs), len(b.Labels))
	}
	is, ls := b.Inputs[0].Shape(), b.Labels[0].Shape()
	if is.DType != dtypes.Float32 || !slices.Equal(is.Dimensions, []int{wantSize, 2, 3, 3}) {
		t.Fatalf("images shape %s, want (Float32)[%d 2 3 3]", is, wantSize)
	}
	if ls.DType != dtypes.Int32 || !slices.Equal(ls.Dimensions, []int{wantSize, 1}) {
		t.Fatalf("labels shape %s, want (Int32)[%d 1]", ls, wantSize)
	}
	labels := tensors.MustCopyFlatData[int32](b.Labels[0])
	images := tensors.MustCopyFlatData[float32](b.Inputs[0])
	ids := make([]int, len(labels))
	for j, l := range labels {
		ids[j] = int(l)
		if images[j*18+17] != float32(l)/1000 {
			t.Fatalf("batch row %d: image of example %g with label %d", j, images[j*18+17]*1000, l)
		}
	}
	return ids
}

func TestEvalBatches(t *testing.T) {
	ds, err := NewEvalBatches(idExamples(10), 4)
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 2 { // Iter restarts the epoch
		var ids []int
		sizes := []int{4, 4, 2}
		n := 0
		for b, err := range ds.Iter() {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, batchIDs(t, b, sizes[n])...)
			n++
		}
		if n != 3 || !slices.Equal(ids, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Errorf("pass %d: %d batches, ids %v; want 3 batches of 0..9 in order", pass, n, ids)
		}
	}
	ds, _ = NewBatchesWith(idExamples(10), BatchOptions{BatchSize: 4, OneEpoch: true, DropRemainder: true})
	n := 0
	for range ds.Iter() {
		n++
	}
	if n != 2 {
		t.Errorf("DropRemainder: %d batches, want 2", n)
	}
}

// TestTrainBatches: the training dataset never ends, every batch is full, and every
// epoch (10 consecutive ids) is a permutation, reproducible per seed.
func TestTrainBatches(t *testing.T) {
	take := func(seed uint64, shuffle bool, batches int) []int {
		ds, err := NewBatches(idExamples(10), 4, shuffle, seed)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for b, err := range ds.Iter() {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, batchIDs(t, b, 4)...)
			if len(ids) == 4*batches {
				break
			}
		}
		return ids
	}
	a := take(7, true, 10) // 40 ids: 4 epochs
	for e := range 4 {
		epoch := slices.Sorted(slices.Values(a[10*e : 10*e+10]))
		if !slices.Equal(epoch, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Errorf("epoch %d ids %v are not a permutation of 0..9", e, a[10*e:10*e+10])
		}
	}
	if slices.Equal(a[:10], a[10:20]) {
		t.Error("epochs 0 and 1 have the same order; want a new shuffle per epoch")
	}
	if !slices.Equal(a, take(7, true, 10)) {
		t.Error("same seed, different order")
	}
	if slices.Equal(a, take(8, true, 10)) {
		t.Error("seeds 7 and 8 gave the same order")
	}
	if plain := take(7, false, 3); !slices.Equal(plain, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}) {
		t.Errorf("unshuffled ids %v, want 0..9 then 0, 1", plain)
	}
}

// TestTrainBatchesContinue: Loop.RunSteps calls Iter anew each time; the looping
// stream must continue across Iter calls, as one long run would.
func TestTrainBatchesContinue(t *testing.T) {
	for _, shuffle := range []bool{false, true} {
		ds, err := NewBatches(idExamples(10), 4, shuffle, 7)
		if err != nil {
			t.Fatal(err)
		}
		var chunked []int
		for range 4 { // 4 chunks of 3 batches
			next, stop := iter.Pull2(ds.Iter())
			for range 3 {
				b, err, ok := next()
				if !ok || err != nil {
					t.Fatalf("stream ended or failed: %v", err)
				}
				chunked = append(chunked, batchIDs(t, b, 4)...)
			}
			stop()
		}
		fresh, _ := NewBatches(idExamples(10), 4, shuffle, 7)
		var long []int
		for b := range fresh.Iter() {
			long = append(long, batchIDs(t, b, 4)...)
			if len(long) == len(chunked) {
				break
			}
		}
		if !slices.Equal(chunked, long) {
			t.Errorf("shuffle=%v: chunked ids %v differ from one run %v", shuffle, chunked, long)
		}
	}
	// A shuffled OneEpoch dataset gives each pass its own permutation.
	ds, _ := NewBatchesWith(idExamples(10), BatchOptions{BatchSize: 10, OneEpoch: true, Shuffle: true, Seed: 3})
	var passes [][]int
	for range 2 {
		for b := range ds.Iter() {
			passes = append(passes, batchIDs(t, b, 10))
		}
	}
	if len(passes) != 2 || slices.Equal(passes[0], passes[1]) ||
		!slices.Equal(slices.Sorted(slices.Values(passes[1])), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("shuffled passes %v: want two different permutations of 0..9", passes)
	}
}

// TestBatchesFeedSparseCrossEntropy runs GoMLX's sparse categorical cross-entropy on a
// batch's labels: zero logits over K classes give ln K, and logits of 20 on the true
// class give ln(1 + (K−1)·e⁻²⁰).
func TestBatchesFeedSparseCrossEntropy(t *testing.T) {
	const k = 10
	ds, err := NewEvalBatches(idExamples(6), 6)
	if err != nil {
		t.Fatal(err)
	}
	var batch train.Batch
	for b, err := range ds.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		batch = b
	}
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	lossOf := func(scale float32) float64 {
		out, err := graph.ExecOnce(backend, func(labels *graph.Node) *graph.Node {
			oneHot := graph.OneHot(graph.Reshape(labels, 6), k, dtypes.Float32)
			logits := graph.MulScalar(oneHot, float64(scale))
			return loss.SparseCategoricalCrossEntropyLogits([]*graph.Node{labels}, []*graph.Node{logits})
		}, batch.Labels[0])
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.MustCopyFlatData[float32](out)[0])
	}
	if got, want := lossOf(0), math.Log(k); math.Abs(got-want) > 1e-5 {
		t.Errorf("zero logits: loss %g, want ln %d = %g", got, k, want)
	}
	if got, want := lossOf(20), math.Log1p((k-1)*math.Exp(-20)); math.Abs(got-want) > 1e-6 {
		t.Errorf("confident logits: loss %g, want %g", got, want)
	}
}

func TestBatchesErrors(t *testing.T) {
	if _, err := NewBatches(nil, 4, false, 0); err == nil {
		t.Error("no examples: no error")
	}
	if _, err := NewBatches(idExamples(3), 0, false, 0); err == nil {
		t.Error("batch size 0: no error")
	}
	mixed := idExamples(3)
	mixed[2].W = 4
	if _, err := NewBatches(mixed, 2, false, 0); err == nil {
		t.Error("mixed sizes: no error")
	}
	if _, err := NewBatchesWith(idExamples(3), BatchOptions{BatchSize: 4, OneEpoch: true, DropRemainder: true}); err == nil {
		t.Error("3 examples, batch 4, DropRemainder: no error")
	}
}
