package main

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/compute"
)

// writeDFF runs Deep Feature Factorization with k components on each layer's activations
// (the Explainer kept them) and writes, in the layer's folder, DFF_concepts.npy
// [channels, k] (the concept vectors) and DFF_explanations.npy [N, k, H, W] (each
// concept's map, min-max scaled and resized to the input as pytorch-grad-cam does), and
// DFF_overlay_<i>.png per example (heatmap.FactorizationOverlay: each pixel in its
// strongest concept's colour, image weight 0.3 as in pytorch-grad-cam's run_dff_on_image),
// and DFF_scores.npy [k, classes]: the model after the layer applied to each concept
// (camviz.ConceptScores; for a GAP → linear head, W·c + b as in pytorch-grad-cam).
func writeDFF(w *writer, backend compute.Backend, res *camviz.Result, layers []string, k int, stdout io.Writer) error {
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
		scores, err := camviz.ConceptScores(backend, w.m.Store, w.m.Fn, w.m.LayerName(l), w.m.ChannelsFirst, d.Concepts, k,
			w.in.dims[1:])
		if err != nil {
			fmt.Fprintf(stdout, "DFF at %s: no concept scores (%v)\n", l, err)
		} else if err := npy.WriteFile(filepath.Join(dir, "DFF_scores.npy"), []int{k, len(scores) / k}, scores); err != nil {
			return err
		}
		if w.format == "npy" {
			continue
		}
		for i, per := range maps {
			if i >= len(w.in.pictures) || w.in.pictures[i] == nil {
				break
			}
			if err := writeFactorizationPNG(filepath.Join(dir, fmt.Sprintf("DFF_overlay_%d.png", i)), w.in.pictures[i], per); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeRefine writes RefineCAM over base for the given layers (at least two) to
// DIR/multilayer/RefineCAM_BASE.npy and .png: the rescaled product of base's per-layer
// final maps (camviz.Result.FinalRefine), as pytorch-grad-cam's RefineCAM.
func writeRefine(w *writer, res *camviz.Result, layers []string, base camviz.Method) error {
	if len(layers) < 2 {
		return usageError{fmt.Errorf("--refine combines several layers: give at least two --layer")}
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = w.m.LayerName(l)
	}
	maps, err := res.FinalRefine(names, base)
	if err != nil {
		return err
	}
	dir := filepath.Join(w.dir, multiLayerDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := "RefineCAM_" + string(base)
	_, err = w.writeMapsAndOverlay(dir, name, "RefineCAM("+string(base)+") at "+strings.Join(layers, " × "), maps, 0)
	return err
}

// writeFactorizationPNG draws concept maps over a picture in distinct colours.
func writeFactorizationPNG(path string, pic image.Image, maps []*heatmap.Map) error {
	img, err := heatmap.FactorizationImage(pic, maps, 0.3)
	if err != nil {
		return err
	}
	data, err := heatmap.PNGBytes(img)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
