package heatmap

import (
	"flag"
	"math"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz/npy"
)

var update = flag.Bool("update", false, "rewrite the golden PNG files in testdata/")

// refDir is the pytorch-grad-cam reference data of model A.
var refDir = filepath.Join("..", "..", "testdata", "reference", "model_a", "outputs")

// loadMaps reads an (N,h,w) or (h,w) .npy file as N maps.
func loadMaps(t *testing.T, path string) []*Map {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := a.Shape
	n := 1
	if len(s) == 3 {
		n, s = s[0], s[1:]
	}
	if len(s) != 2 {
		t.Fatalf("%s: shape %v, want (N,h,w) or (h,w)", path, a.Shape)
	}
	maps := make([]*Map, n)
	for i := range maps {
		m, err := FromSlice(s[0], s[1], a.Data[i*s[0]*s[1]:(i+1)*s[0]*s[1]])
		if err != nil {
			t.Fatal(err)
		}
		maps[i] = m
	}
	return maps
}

// maxAbsDiff returns max |a−b|, or +Inf if the sizes differ or a value is NaN.
func maxAbsDiff(a, b *Map) float64 {
	if a.H != b.H || a.W != b.W || len(a.Data) != len(b.Data) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a.Data {
		e := math.Abs(float64(a.Data[i]) - float64(b.Data[i]))
		if e != e {
			return math.Inf(1)
		}
		d = max(d, e)
	}
	return d
}

// mustMap builds a map from literal rows.
func mustMap(t *testing.T, rows [][]float32) *Map {
	t.Helper()
	var data []float32
	for _, r := range rows {
		data = append(data, r...)
	}
	m, err := FromSlice(len(rows), len(rows[0]), data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkMap(t *testing.T, name string, got *Map, want [][]float32, tol float64) {
	t.Helper()
	if d := maxAbsDiff(got, mustMap(t, want)); d > tol {
		t.Errorf("%s: got %dx%d %v, want %v (max |diff| %g > %g)", name, got.H, got.W, got.Data, want, d, tol)
	}
}
