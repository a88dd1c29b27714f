package evaluate

import (
	"image"
	"sync"
	"testing"

	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

var shared struct {
	once    sync.Once
	backend compute.Backend
	err     error
}

// testBackend returns one backend for all tests: a model's variables live on the
// backend that first used them.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	shared.once.Do(func() { shared.backend, shared.err = backends.New() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.backend
}

// tinyModel returns an untrained model for 16×16 RGB images with 3 classes, its
// variables initialised (one prediction run).
func tinyModel(t testing.TB, spec models.Spec) *models.Model {
	t.Helper()
	m, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(testBackend(t), make([]float32, 16*16*3), 1); err != nil {
		t.Fatal(err)
	}
	return m
}

// tinySynthetic returns n synthetic 16×16 examples of 3 classes (held-out seed 2).
func tinySynthetic(t testing.TB, n int) []datasets.Example {
	t.Helper()
	cfg := datasets.SyntheticConfig{Size: 16, NumClasses: 3, MinScale: 0.4, MaxScale: 0.7, Clutter: 0.3, Seed: 2}
	ex, err := datasets.Synthetic(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// rectExample is an h×w example whose object is the rectangle r (mask = r), with
// pixel values v and the given label.
func rectExample(h, w int, r image.Rectangle, v float32, label int) datasets.Example {
	e := datasets.Example{H: h, W: w, Label: label, Box: r, Image: make([]float32, h*w*3), Mask: make([]bool, h*w)}
	for i := range e.Image {
		e.Image[i] = v
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			e.Mask[y*w+x] = true
		}
	}
	return e
}

// boxMap is an h×w map equal to 1 inside r and 0 outside.
func boxMap(h, w int, r image.Rectangle) *heatmap.Map {
	m := heatmap.NewMap(h, w)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Data[y*w+x] = 1
		}
	}
	return m
}

// constMap is an h×w map of value v.
func constMap(h, w int, v float32) *heatmap.Map {
	m := heatmap.NewMap(h, w)
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}
