package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

// writeDFF runs Deep Feature Factorization with k components on each layer's activations
// (the Explainer kept them) and writes, in the layer's folder, DFF_concepts.npy
// [channels, k] (the concept vectors) and DFF_explanations.npy [N, k, H, W] (each
// concept's map, min-max scaled and resized to the input as pytorch-grad-cam does).
func writeDFF(w *writer, res *camviz.Result, layers []string, k int) error {
	h, wd := res.InputSize()
	for _, l := range layers {
		acts, dims, err := res.Activations(w.m.LayerName(l))
		if err != nil {
			return err
		}
		d, err := camviz.DeepFeatureFactorization(acts, dims, k)
		if err != nil {
			return usageError{fmt.Errorf("--method dff at layer %q: %w (use a smaller --components)", l, err)}
		}
		maps, err := d.ExplanationMaps(h, wd)
		if err != nil {
			return err
		}
		dir := filepath.Join(w.dir, w.folders[l])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := npy.WriteFile(filepath.Join(dir, "DFF_concepts.npy"), []int{d.Channels, k}, d.Concepts); err != nil {
			return err
		}
		var flat []float32
		for _, per := range maps {
			for _, m := range per {
				flat = append(flat, m.Data...)
			}
		}
		if err := npy.WriteFile(filepath.Join(dir, "DFF_explanations.npy"), []int{len(maps), k, h, wd}, flat); err != nil {
			return err
		}
	}
	return nil
}
