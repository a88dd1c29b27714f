package heatmap

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"
)

// quad is a 2×2 image with four distinct colours.
func quad() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	img.SetRGBA(1, 0, color.RGBA{0, 255, 0, 255})
	img.SetRGBA(0, 1, color.RGBA{0, 0, 255, 255})
	img.SetRGBA(1, 1, color.RGBA{255, 255, 0, 255})
	return img
}

func TestGridLayout(t *testing.T) {
	g := &Grid{Cells: [][]image.Image{{quad(), nil}}, CellSize: 8}
	out, err := g.Render()
	if err != nil {
		t.Fatal(err)
	}
	// No labels: pad 6 + 2 cells of 8 + pad 6 between + pad 6 = 34 wide, 6+8+6 = 20 high.
	if out.Bounds() != image.Rect(0, 0, 34, 20) {
		t.Fatalf("bounds %v, want 34x20", out.Bounds())
	}
	// The 2×2 image is scaled by nearest neighbour: each source pixel is a 4×4 block.
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{6, 6, color.RGBA{255, 0, 0, 255}}, {9, 9, color.RGBA{255, 0, 0, 255}},
		{10, 6, color.RGBA{0, 255, 0, 255}}, {13, 9, color.RGBA{0, 255, 0, 255}},
		{6, 10, color.RGBA{0, 0, 255, 255}}, {13, 13, color.RGBA{255, 255, 0, 255}},
		{5, 6, color.RGBA{255, 255, 255, 255}},   // padding
		{24, 10, color.RGBA{255, 255, 255, 255}}, // nil cell is blank
	} {
		if got := out.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// A wide image keeps its aspect ratio: 4×2 in a cell of 8 is 8×4, centred.
	wide := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for i := 3; i < len(wide.Pix); i += 4 {
		wide.Pix[i] = 255 // opaque black
	}
	out, _ = (&Grid{Cells: [][]image.Image{{wide}}, CellSize: 8}).Render()
	for y := 6; y < 14; y++ {
		want := uint8(255) // white outside the 8×4 band at rows 8..11
		if y >= 8 && y < 12 {
			want = 0
		}
		if got := out.RGBAAt(9, y).R; got != want {
			t.Errorf("wide image row %d: R = %d, want %d", y, got, want)
		}
	}
}

func TestGridErrors(t *testing.T) {
	for name, g := range map[string]*Grid{
		"no cells":   {},
		"empty rows": {Cells: [][]image.Image{{}, {}}},
		"negative":   {Cells: [][]image.Image{{quad()}}, CellSize: -1},
		"row labels": {Cells: [][]image.Image{{quad()}}, RowLabels: []string{"a", "b"}},
		"col labels": {Cells: [][]image.Image{{quad(), quad()}}, ColLabels: []string{"a"}},
		"too large":  {Cells: [][]image.Image{{quad(), quad()}}, CellSize: 1 << 13},
	} {
		if _, err := g.Render(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFitText(t *testing.T) {
	for _, c := range []struct {
		in   string
		maxW int
		want string
	}{{"GradCAM", 100, "GradCAM"}, {"GradCAMPlusPlus", 70, "GradCAMP.."}, {"héllo", 70, "h?llo"}, {"abc", 14, "ab"}} {
		if got := fitText(c.in, c.maxW); got != c.want {
			t.Errorf("fitText(%q, %d) = %q, want %q", c.in, c.maxW, got, c.want)
		}
	}
}

// TestGridGolden renders a labelled 2×3 grid (maps, overlays, a blank cell and a
// large image that is downscaled) and compares it with testdata/grid_golden.png.
func TestGridGolden(t *testing.T) {
	m := testMap()
	ov, _ := Overlay(testImage(64, 48), m, Turbo, 0.5)
	g := &Grid{
		Title:     "camviz grid test",
		RowLabels: []string{"layer 1", "layer 2"},
		ColLabels: []string{"map", "overlay", "image"},
		Cells: [][]image.Image{
			{Colorize(m, Viridis), ov, testImage(200, 150)},
			{Colorize(m, Inferno), nil, quad()},
		},
		CellSize: 48,
	}
	out, err := g.Render()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, out, filepath.Join("testdata", "grid_golden.png"))
}
