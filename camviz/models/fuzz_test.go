package models

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadONNX feeds the ONNX loader arbitrary files, seeded with the reference model
// A (a small CNN exported from PyTorch) and its truncations: LoadONNX must return a
// model or an error, never panic or crash (panics inside onnx-gomlx are caught at
// camviz's boundary and become errors).
func FuzzLoadONNX(f *testing.F) {
	valid, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reference", "model_a", "model_a.onnx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, n := range []int{0, 1, 16, 200, len(valid) / 3, len(valid) / 2, len(valid) - 100, len(valid) - 1} {
		f.Add(valid[:n])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "m.onnx")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadONNX(path)
		if err != nil {
			return
		}
		if m.Spec.NumClasses < 2 || len(m.Spec.InputSize) != 3 {
			t.Fatalf("loaded a model with %d classes and input size %v", m.Spec.NumClasses, m.Spec.InputSize)
		}
	})
}
