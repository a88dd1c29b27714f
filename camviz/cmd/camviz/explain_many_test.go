package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
)

// writePictures writes three pictures into dir (two synthetic 64×64 shapes and one 70×80
// pattern, which explain resizes) plus a text file it must ignore, and returns their paths.
func writePictures(t *testing.T, dir string) []string {
	t.Helper()
	cfg := datasets.DefaultSyntheticConfig()
	cfg.Seed = 2
	ex, err := datasets.Synthetic(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	var pics []image.Image
	for _, e := range ex {
		img, err := heatmap.ImageFromHWC(e.H, e.W, 3, e.Image, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		pics = append(pics, img)
	}
	pattern := image.NewRGBA(image.Rect(0, 0, 70, 80))
	for y := range 80 {
		for x := range 70 {
			pattern.Set(x, y, color.RGBA{uint8(3 * x), uint8(2 * y), uint8((x * y) % 256), 255})
		}
	}
	pics = append(pics, pattern)
	var paths []string
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, pics[i]); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	return paths
}

// TestExplainFolder explains a folder of three pictures in batches of two with the
// shipped GAP-CNN and the default layer and method (block3, Grad-CAM): each picture's
// final map equals the API's Explain of that picture alone, the progress bar reaches
// 3/3, index.html links every overlay, and a glob gives the same files. --format npy and
// png write only their kind.
func TestExplainFolder(t *testing.T) {
	dir := t.TempDir()
	paths := writePictures(t, dir)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "explain", "--model", "gapcnn", "--input", dir, "--batch", "2", "--method", "gradcam",
		"--method", "cam", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "] 3/3 pictures\n") || !strings.Contains(stderr, "] 2/3 pictures") {
		t.Errorf("stderr has no progress bar reaching 2/3 and 3/3 pictures: %q", stderr)
	}
	if strings.Count(stdout, "predicted") != 3 || !strings.Contains(stdout, "maps of 3 pictures written to") {
		t.Errorf("stdout should name 3 predictions and where the maps are:\n%s", stdout)
	}
	m, err := models.LoadShipped("gapcnn")
	if err != nil {
		t.Fatal(err)
	}
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := m.Explainer(backend, []string{"block3"}, camviz.MethodGradCAM, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".png")
		rgb, err := datasets.LoadImage(p, 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(rgb, []int{1, 64, 64, 3}, camviz.ArgmaxTarget())
		if err != nil {
			t.Fatal(err)
		}
		for _, meth := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodCAM} {
			got := readArray(t, filepath.Join(out, name, "block3", string(meth)+".npy"))
			want, err := res.Final("block3", meth)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, []int{1, 64, 64}) || absErr(got.Data, want[0].Data) > 1e-5 {
				t.Errorf("%s %s: map %v differs from Explain of the picture alone (max |Δ| %.3g)", name, meth, got.Shape, absErr(got.Data, want[0].Data))
			}
			if _, err := os.Stat(filepath.Join(out, name, "block3", string(meth)+".png")); err != nil {
				t.Errorf("%s %s: no overlay: %v", name, meth, err)
			}
			if link := name + "/block3/" + string(meth) + ".png"; !strings.Contains(string(index), `src="`+link+`"`) {
				t.Errorf("index.html does not show %s", link)
			}
		}
	}

	for _, c := range []struct{ format, has, hasNot string }{{"npy", ".npy", ".png"}, {"png", ".png", ".npy"}} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "explain", "--model", "gapcnn", "--input", filepath.Join(dir, "*.png"), "--format", c.format, "--out", out)
		if code != 0 {
			t.Fatalf("--format %s: exit %d: %s", c.format, code, stderr)
		}
		var files []string
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				files = append(files, rel)
			}
			return nil
		})
		slices.Sort(files)
		want := []string{"a/block3/GradCAM" + c.has, "b/block3/GradCAM" + c.has, "c/block3/GradCAM" + c.has}
		if c.format == "png" {
			want = append([]string{}, "a/block3/GradCAM.png", "b/block3/GradCAM.png", "c/block3/GradCAM.png", "index.html")
		}
		if !slices.Equal(files, want) {
			t.Errorf("--format %s with a glob: wrote %v, want %v", c.format, files, want)
		}
	}
}

// TestOutputNames checks the per-picture folder names: extension dropped, unsafe
// characters replaced, clashes numbered.
func TestOutputNames(t *testing.T) {
	got := outputNames([]string{"x/a.png", "y/a.jpg", "z/a b.jpeg", "multilayer.png", "w/a.png"})
	want := []string{"a", "a_2", "a_b", "multilayer_2", "a_3"}
	if !slices.Equal(got, want) {
		t.Errorf("outputNames = %v, want %v", got, want)
	}
}

// TestExplainDefaults checks the defaults of explain: Grad-CAM at the last layer with a
// spatial extent, block3 for the shipped GAP-CNN and target_activation (16×16, not the
// 1×1 global-average-pooling output after it) for the ONNX model A, whose map equals
// pytorch-grad-cam's.
func TestExplainDefaults(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"), "--class", "3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readArray(t, filepath.Join(out, "target_activation", "GradCAM.npy"))
	want := readRef(t, "relu3", "GradCAM_cls3_final.npy")
	if want == nil || absErr(got.Data, want.Data) > 1e-4 {
		t.Errorf("default layer and method on model A: the map is not pytorch-grad-cam's Grad-CAM at relu3")
	}
	out = t.TempDir()
	if code, _, stderr := runCLI(t, "explain", "--model", "gapcnn", "--input", writePictures(t, t.TempDir())[0], "--out", out); code != 0 {
		t.Fatalf("gapcnn: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "block3", "GradCAM.npy")); err != nil {
		t.Errorf("gapcnn: the default is not Grad-CAM at block3: %v", err)
	}
}
