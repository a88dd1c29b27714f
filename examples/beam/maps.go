package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/npy"
)

// mapWriter returns an evaluate.Config.Maps hook that writes each batch's final maps
// under dir/<layer>/<method>/: "npy" as one shard-<start>.npy of shape [n, H, W]
// (float32, values in [0, 1], images start, start+1, …), "png" as one jet-coloured
// <position>.png per image. Shards are named by their first image, so workers never
// write the same file and a rerun overwrites.
func mapWriter(dir string, formats []string) func(int, string, camviz.Method, []*heatmap.Map) error {
	jet, _ := heatmap.ColormapByName("jet")
	return func(start int, layer string, method camviz.Method, maps []*heatmap.Map) error {
		if len(maps) == 0 {
			return nil
		}
		d := filepath.Join(dir, filepath.FromSlash(layer), string(method))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if slices.Contains(formats, "npy") {
			h, w := maps[0].H, maps[0].W
			data := make([]float32, 0, len(maps)*h*w)
			for _, m := range maps {
				data = append(data, m.Data...)
			}
			if err := npy.WriteFile(filepath.Join(d, fmt.Sprintf("shard-%06d.npy", start)), []int{len(maps), h, w}, data); err != nil {
				return err
			}
		}
		if slices.Contains(formats, "png") {
			for i, m := range maps {
				b, err := heatmap.PNGBytes(heatmap.Colorize(m, jet))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%06d.png", start+i)), b, 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	}
}
