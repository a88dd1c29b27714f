package evaluate

import (
	"fmt"
	"sync"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// MinProbability is the floor of ModelScore's probabilities. A float32 softmax underflows
// to 0 when a class trails the top logit by more than about 104; Average Drop divides by
// the probability, so ModelScore returns max(p, MinProbability) instead of 0.
const MinProbability = 1e-30

// ModelScore returns a ClassScoreFn that runs m on NHWC images and returns the softmax
// probability of the class, p_c = exp(y_c) / Σ_j exp(y_j), floored at MinProbability. The
// graph is compiled once per batch size, and batches are padded with zero images to the
// next power of two, so at most log₂(largest batch)+1 graphs are compiled. Channels-first
// models get their images transposed to [n, C, H, W]. It is safe for use by one goroutine
// at a time.
func ModelScore(backend compute.Backend, m *models.Model) (ClassScoreFn, error) {
	s, err := newModelScorer(backend, m)
	if err != nil {
		return nil, err
	}
	return s.score, nil
}

type modelScorer struct {
	m    *models.Model
	exec *model.Exec
	mu   sync.Mutex
}

func newModelScorer(backend compute.Backend, m *models.Model) (*modelScorer, error) {
	if backend == nil || m == nil {
		return nil, fmt.Errorf("evaluate: a backend and a model are needed to score images")
	}
	fn := m.Fn
	exec, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return graph.Softmax(fn(scope, x), -1)
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: building the scoring graph: %w", err)
	}
	return &modelScorer{m: m, exec: exec}, nil
}

// probabilities returns the softmax outputs [n][numClasses] of NHWC images.
func (s *modelScorer) probabilities(images []float32, n, h, w, c int) ([][]float32, error) {
	in := s.m.Spec.InputSize
	if n <= 0 || h != in[0] || w != in[1] || c != in[2] || len(images) != n*h*w*c {
		return nil, fmt.Errorf("evaluate: %d values for %d images of %dx%dx%d, but the model takes %dx%dx%d images",
			len(images), n, h, w, c, in[0], in[1], in[2])
	}
	padded := 1
	for padded < n {
		padded *= 2
	}
	buf := make([]float32, padded*h*w*c)
	if s.m.ChannelsFirst {
		copy(buf, toChannelsFirst(images, n, h, w, c))
	} else {
		copy(buf, images)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out *tensors.Tensor
	err := camviz.CatchPanic(func() error {
		var err error
		out, err = s.exec.Call1(tensors.FromFlatDataAndDimensions(buf, s.m.InputDims(padded)...))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: running the model on %d images: %w", n, err)
	}
	flat := tensors.MustCopyFlatData[float32](out)
	k := len(flat) / padded
	probs := make([][]float32, n)
	for i := range probs {
		probs[i] = flat[i*k : (i+1)*k]
	}
	return probs, nil
}

func (s *modelScorer) score(images []float32, n, h, w, c int, class int) ([]float32, error) {
	if class < 0 || class >= s.m.Spec.NumClasses {
		return nil, fmt.Errorf("evaluate: class %d is outside the model's %d classes", class, s.m.Spec.NumClasses)
	}
	probs, err := s.probabilities(images, n, h, w, c)
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i, p := range probs {
		out[i] = max(p[class], MinProbability)
	}
	return out, nil
}

// toChannelsFirst transposes n images from HWC to CHW.
func toChannelsFirst(images []float32, n, h, w, c int) []float32 {
	out := make([]float32, len(images))
	size := h * w * c
	for i := 0; i < n; i++ {
		src, dst := images[i*size:(i+1)*size], out[i*size:(i+1)*size]
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				dst[ch*h*w+p] = src[p*c+ch]
			}
		}
	}
	return out
}
