package datasets

import (
	"fmt"
	"iter"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// BatchOptions configures NewBatchesWith.
type BatchOptions struct {
	// BatchSize is the number of examples per batch (≥ 1).
	BatchSize int
	// Shuffle draws a new uniform permutation of the examples for every epoch from
	// the PCG generator of Seed, so a new dataset with the same Seed reproduces the
	// same sequence of batches; false keeps the given order.
	Shuffle bool
	Seed    uint64
	// OneEpoch yields each example once per Iter call and stops (evaluation).
	// Otherwise batches continue forever (training with Loop.RunSteps), running from
	// one epoch into the next so every batch is full, and each Iter call continues
	// the stream where the previous one stopped.
	OneEpoch bool
	// DropRemainder drops the last, smaller batch of a OneEpoch pass; by default it is
	// kept (it has another shape, so the trainer compiles its graph once more).
	DropRemainder bool
	// Name is the dataset name shown by GoMLX; "camviz-batches" if empty.
	Name string
}

// NewBatches returns a training train.Dataset over examples that loops forever with
// full batches of batchSize, reshuffled every epoch when shuffle is set. See
// NewBatchesWith for the batch layout.
func NewBatches(examples []Example, batchSize int, shuffle bool, seed uint64) (train.Dataset, error) {
	return NewBatchesWith(examples, BatchOptions{BatchSize: batchSize, Shuffle: shuffle, Seed: seed})
}

// NewEvalBatches returns an evaluation train.Dataset that yields the examples once,
// in order, with a final smaller batch when len(examples) is not a multiple of
// batchSize.
func NewEvalBatches(examples []Example, batchSize int) (train.Dataset, error) {
	return NewBatchesWith(examples, BatchOptions{BatchSize: batchSize, OneEpoch: true})
}

// NewBatchesWith returns a train.Dataset over examples. Each batch of B examples has
//
//	Inputs = [images float32 [B, H, W, 3]]   (HWC, channels last)
//	Labels = [labels int32 [B, 1]]
//
// the label layout that GoMLX's loss.SparseCategoricalCrossEntropyLogits and
// metric.SparseCategoricalAccuracyGraph require (integer labels with a trailing
// axis of size 1, the same rank as the logits [B, classes]).
//
// The examples are validated once (equal sizes, image lengths H·W·3) and are not
// copied: they must not change while the dataset is in use.
func NewBatchesWith(examples []Example, opt BatchOptions) (train.Dataset, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("datasets.NewBatches: no examples given")
	}
	if opt.BatchSize < 1 {
		return nil, fmt.Errorf("datasets.NewBatches: batch size %d, want ≥ 1", opt.BatchSize)
	}
	if opt.OneEpoch && opt.DropRemainder && len(examples) < opt.BatchSize {
		return nil, fmt.Errorf("datasets.NewBatches: %d examples with batch size %d and DropRemainder "+
			"yield no batch; lower the batch size or keep the remainder", len(examples), opt.BatchSize)
	}
	h, w := examples[0].H, examples[0].W
	for i := range examples {
		e := &examples[i]
		if e.H != h || e.W != w || len(e.Image) != h*w*3 {
			return nil, fmt.Errorf("datasets.NewBatches: example %d is %dx%d with %d values, example 0 is %dx%d; "+
				"all examples need one size and H*W*3 values", i, e.H, e.W, len(e.Image), h, w)
		}
	}
	if opt.Name == "" {
		opt.Name = "camviz-batches"
	}
	return &batches{examples: examples, h: h, w: w, opt: opt}, nil
}

// batches implements train.Dataset.
type batches struct {
	examples []Example
	h, w     int
	opt      BatchOptions

	mu     sync.Mutex
	iters  uint64       // Iter calls so far (OneEpoch: picks the shuffle of each pass)
	stream *indexStream // the endless stream of a looping dataset, shared by Iter calls
}

// Name implements train.Dataset.
func (b *batches) Name() string { return b.opt.Name }

// domainBatches keeps the shuffling generator apart from the data generators.
const domainBatches = 0xba7

// indexStream yields example indices epoch after epoch, each epoch in the given
// order or in a fresh permutation.
type indexStream struct {
	p       *prng
	n       int
	shuffle bool
	epoch   []int
	pos     int
}

func newIndexStream(n int, shuffle bool, seed, stream uint64) *indexStream {
	s := &indexStream{p: newPRNG(seed, domainBatches, stream), n: n, shuffle: shuffle}
	s.newEpoch()
	return s
}

func (s *indexStream) newEpoch() {
	if s.shuffle {
		s.epoch = s.p.perm(s.n)
	} else if s.epoch == nil {
		s.epoch = make([]int, s.n)
		for i := range s.epoch {
			s.epoch[i] = i
		}
	}
	s.pos = 0
}

// fill appends up to k indices to idx; with oneEpoch it stops at the end of the epoch.
func (s *indexStream) fill(idx []int, k int, oneEpoch bool) []int {
	for len(idx) < k {
		if s.pos == s.n {
			if oneEpoch {
				break
			}
			s.newEpoch()
		}
		idx = append(idx, s.epoch[s.pos])
		s.pos++
	}
	return idx
}

// Iter implements train.Dataset.
//
// A looping dataset yields one endless stream shared by all Iter calls: each call
// continues where the previous one stopped (GoMLX's Loop.RunSteps calls Iter anew on
// every call, so successive RunSteps see new batches, as one long run would). A
// OneEpoch dataset makes a full pass per call; with Shuffle, pass k uses the k-th
// permutation of the seed.
func (b *batches) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		b.mu.Lock()
		var s *indexStream
		if b.opt.OneEpoch {
			s = newIndexStream(len(b.examples), b.opt.Shuffle, b.opt.Seed, b.iters)
		} else {
			if b.stream == nil {
				b.stream = newIndexStream(len(b.examples), b.opt.Shuffle, b.opt.Seed, 0)
			}
			s = b.stream
		}
		b.iters++
		b.mu.Unlock()
		idx := make([]int, 0, b.opt.BatchSize)
		for {
			b.mu.Lock()
			idx = s.fill(idx[:0], b.opt.BatchSize, b.opt.OneEpoch)
			b.mu.Unlock()
			if len(idx) == 0 || (len(idx) < b.opt.BatchSize && b.opt.DropRemainder) {
				return
			}
			batch, err := b.make(idx)
			if !yield(batch, err) || err != nil {
				return
			}
		}
	}
}

// make builds the tensors of the examples idx.
func (b *batches) make(idx []int) (batch train.Batch, err error) {
	per := b.h * b.w * 3
	images := tensors.FromShape(shapes.Make(dtypes.Float32, len(idx), b.h, b.w, 3))
	labels := tensors.FromShape(shapes.Make(dtypes.Int32, len(idx), 1))
	err = tensors.MutableFlatData(images, func(flat []float32) {
		for j, i := range idx {
			copy(flat[j*per:(j+1)*per], b.examples[i].Image)
		}
	})
	if err == nil {
		err = tensors.MutableFlatData(labels, func(flat []int32) {
			for j, i := range idx {
				flat[j] = int32(b.examples[i].Label)
			}
		})
	}
	if err != nil {
		return train.Batch{}, fmt.Errorf("datasets: filling a batch of %d: %w", len(idx), err)
	}
	return train.Batch{Inputs: []*tensors.Tensor{images}, Labels: []*tensors.Tensor{labels}}, nil
}
