package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/npy"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// The pipeline on the Prism runner writes the CSV of the single-process evaluation byte
// for byte (every metric, ROAD's noise included), on a miniature OpenImages benchmark
// with several objects per image and ignore regions; its .npy map shards hold the maps
// the single-process evaluation scored.
func TestPipelineEqualsSingleProcess(t *testing.T) {
	dir := t.TempDir()
	syn := datasets.DefaultSyntheticConfig()
	syn.Seed = 2
	if _, _, err := datasets.WriteMiniWSOL(dir, datasets.MiniWSOLConfig{Dataset: datasets.WSOLOpenImages, Synthetic: syn, Test: 14}); err != nil {
		t.Fatal(err)
	}
	o := Options{Model: "gapcnn", WSOLMetadata: filepath.Join(dir, "metadata"), Images: filepath.Join(dir, "images", "OpenImages"),
		Masks: filepath.Join(dir, "masks", "OpenImages"), Dataset: "OpenImages", Split: "test", Methods: "CAM,GradCAM",
		Metrics: "all", TauStep: 0.01, Batch: 4, CausalSteps: 8, Seed: 3, Out: filepath.Join(dir, "beam"), Maps: "npy,png"}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}

	// The single-process evaluation, keeping the maps it scores.
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	scored := map[int][]*heatmap.Map{} // GradCAM maps by batch start
	cfg.Maps = func(start int, layer string, method camviz.Method, maps []*heatmap.Map) error {
		if method == camviz.MethodGradCAM {
			scored[start] = maps
		}
		return nil
	}
	m, err := loadModel(o.Model)
	if err != nil {
		t.Fatal(err)
	}
	md, err := datasets.ReadWSOLMetadata(o.WSOLMetadata, o.Dataset, o.Split)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := md.Examples(0, len(md.Images), datasets.WSOLLoad{Images: o.Images, Masks: o.Masks, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := evaluate.Preprocess(m, ex); err != nil {
		t.Fatal(err)
	}
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	want, err := evaluate.Run(backend, m, ex, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wantCSV bytes.Buffer
	if err := want.WriteCSV(&wantCSV); err != nil {
		t.Fatal(err)
	}

	p, s := beam.NewPipelineWithRoot()
	Build(s, o, len(md.Images))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(o.Out, "table.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantCSV.String() {
		t.Fatalf("pipeline table.csv:\n%s\nsingle process:\n%s", got, wantCSV.String())
	}
	for _, f := range []string{"table.md", "index.html", "pixel-precision-recall.png", "deletion.png", "tally.bin", "maps/block3/GradCAM/000013.png"} {
		if st, err := os.Stat(filepath.Join(o.Out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	for start, maps := range scored {
		a, err := npy.ReadFile(filepath.Join(o.Out, "maps", "block3", "GradCAM", fmt.Sprintf("shard-%06d.npy", start)))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Shape) != 3 || a.Shape[0] != len(maps) || a.Shape[1] != 64 {
			t.Fatalf("shard %d has shape %v", start, a.Shape)
		}
		for i, mp := range maps {
			for k, v := range mp.Data {
				if a.Data[i*64*64+k] != v {
					t.Fatalf("shard %d image %d pixel %d: %v in the .npy, %v scored", start, i, k, a.Data[i*64*64+k], v)
				}
			}
		}
	}
	if len(scored) != 4 {
		t.Errorf("%d GradCAM batches seen, want 4 (14 images in batches of 4)", len(scored))
	}
}

func TestOptionsErrors(t *testing.T) {
	base := Options{Model: "gapcnn", WSOLMetadata: "m", Images: "i", Dataset: "CUB", Split: "test", Batch: 4, Out: "o", Metrics: "default", Methods: "all"}
	if err := base.check(); err != nil {
		t.Fatal(err)
	}
	cfg, err := base.config()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cfg.Metrics {
		if m == evaluate.PxAP {
			t.Error("CUB's default metrics include PxAP; the box datasets have no masks")
		}
	}
	for _, bad := range []Options{
		func() Options { o := base; o.Split = "trainval"; return o }(),
		func() Options { o := base; o.Batch = 0; return o }(),
		func() Options { o := base; o.Maps = "tiff"; return o }(),
		func() Options { o := base; o.Out = ""; return o }(),
	} {
		if err := bad.check(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	o := base
	o.Methods = "SmoothCAM"
	if _, err := o.config(); err == nil {
		t.Error("unknown method accepted")
	}
}
