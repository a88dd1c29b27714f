package models

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseONNXGraph feeds arbitrary bytes, seeded with the legacy fixtures, the
// pretrained mnist-8 and model A, to the ONNX reading and legalization that run before
// onnx-gomlx: they must return an error or a graph, never panic (LoadONNX also guards
// them, but a panic here is a bug in camviz's own code).
func FuzzParseONNXGraph(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(legacyDir, "*.onnx"))
	seeds = append(seeds, filepath.Join(mnist8Dir, "mnist.onnx"), filepath.Join(modelADir, "model_a.onnx"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		og, err := parseONNXGraph(data)
		if err == nil && (og.input == "" || len(og.graphOutputs) == 0) {
			t.Fatalf("no error, but input %q and outputs %q", og.input, og.graphOutputs)
		}
	})
}
