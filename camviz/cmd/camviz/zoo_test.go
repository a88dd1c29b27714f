package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
)

// TestExplainZooModelPicture saves an (untrained) zoo resnet, writes a 48×40 PNG, and runs
// "camviz explain" on the model folder with the picture: the picture is resized to 32×32
// and normalised with --mean/--std, and the written maps equal an Explain call of the
// API on the same input.
func TestExplainZooModelPicture(t *testing.T) {
	dir := t.TempDir()
	m, err := models.New(models.ResNetSpec(32, 32, 3, 4, []int{8, 16}, []int{1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(backend, make([]float32, 32*32*3), 1); err != nil { // initialises the weights
		t.Fatal(err)
	}
	modelDir := filepath.Join(dir, "model")
	if err := m.Save(modelDir); err != nil {
		t.Fatal(err)
	}
	pic := image.NewRGBA(image.Rect(0, 0, 40, 48))
	for y := range 48 {
		for x := range 40 {
			pic.Set(x, y, color.RGBA{uint8(5 * x), uint8(4 * y), uint8((x * y) % 256), 255})
		}
	}
	picPath := filepath.Join(dir, "in.png")
	f, err := os.Create(picPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, pic); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "explain", "--model", modelDir, "--input", picPath, "--layer", "layer1.0",
		"--layer", "layer2.0", "--method", "GradCAM", "--method", "hirescam", "--mean", "0.5", "--std", "0.25,0.5,1",
		"--class", "2", "--raw", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	rgb, err := datasets.LoadImage(picPath, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	std := []float32{0.25, 0.5, 1}
	for i := range rgb {
		rgb[i] = (rgb[i] - 0.5) / std[i%3]
	}
	ex, err := m.Explainer(backend, []string{"layer1.0", "layer2.0"}, camviz.MethodGradCAM, camviz.MethodHiResCAM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(rgb, []int{1, 32, 32, 3}, camviz.ClassTarget(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, layer := range []string{"layer1.0", "layer2.0"} {
		for _, meth := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodHiResCAM} {
			got := readArray(t, filepath.Join(out, layer, string(meth)+".npy"))
			want, _ := res.Final(layer, meth)
			if !slices.Equal(got.Shape, []int{1, 32, 32}) || absErr(got.Data, want[0].Data) > 1e-6 {
				t.Errorf("%s %s: final %v differs from the API's (max |Δ| %.3g)", layer, meth, got.Shape, absErr(got.Data, want[0].Data))
			}
			raw := readArray(t, filepath.Join(out, layer, string(meth)+"_raw.npy"))
			wantRaw, _ := res.Raw(layer, meth)
			if relErr(raw.Data, wantRaw[0].Data) > 1e-6 {
				t.Errorf("%s %s: raw differs from the API's", layer, meth)
			}
		}
	}
	agg := readArray(t, filepath.Join(out, multiLayerDir, "GradCAM.npy"))
	want, _ := res.FinalMultiLayer([]string{"layer1.0", "layer2.0"}, camviz.MethodGradCAM)
	if absErr(agg.Data, want[0].Data) > 1e-6 {
		t.Errorf("multi-layer GradCAM differs from the API's")
	}
	f, err = os.Open(filepath.Join(out, "layer2.0", "GradCAM.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	overlay, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The PNG is the overlay under a title, captioned with the explained class: rebuild it
	// from the API's final map and the resized picture.
	picture := image.NewRGBA(image.Rect(0, 0, 32, 32))
	plain, err := datasets.LoadImage(picPath, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	for p := range 32 * 32 {
		picture.Set(p%32, p/32, color.RGBA{to8(plain[3*p]), to8(plain[3*p+1]), to8(plain[3*p+2]), 255})
	}
	final, _ := res.Final("layer2.0", camviz.MethodGradCAM)
	o, err := heatmap.Overlay(picture, final[0], heatmap.Jet, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	wantPNG, err := (&heatmap.Grid{Title: "GradCAM at layer2.0", ColLabels: []string{"class 2"},
		Cells: [][]image.Image{{o}}, CellSize: minCaptionCell}).Render()
	if err != nil {
		t.Fatal(err)
	}
	if overlay.Bounds() != wantPNG.Bounds() {
		t.Fatalf("overlay PNG is %v, want %v", overlay.Bounds(), wantPNG.Bounds())
	}
	diff := 0
	for y := range wantPNG.Bounds().Dy() {
		for x := range wantPNG.Bounds().Dx() {
			r1, g1, b1, _ := overlay.At(x, y).RGBA()
			r2, g2, b2, _ := wantPNG.At(x, y).RGBA()
			if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("overlay PNG differs from the captioned overlay of the API's map in %d pixels", diff)
	}
}
