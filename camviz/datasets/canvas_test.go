package datasets

import (
	"flag"
	"os"
	"testing"
)

var canvasSheetPath = flag.String("canvassheet", "", "if set, TestCanvasSubset writes a contact sheet of 16 canvases here")

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResizeGray checks hand-computed bilinear values: 2×2 → 4×4 samples the source at
// x, y ∈ {0, 0.25, 0.75, 1} (half-pixel centres, clamped).
func TestResizeGray(t *testing.T) {
	src := []uint8{0, 100, 200, 40}
	got := resizeGray(src, 2, 4)
	want := []uint8{
		// v(x, y) = (1−y)·[(1−x)·0 + x·100] + y·[(1−x)·200 + x·40], rounded.
		0, 25, 75, 100, // y=0
		50, 59, 76, 85, // y=0.25: (x=.25) 0.75·25 + 0.25·160 = 58.75; (x=.75) 0.75·75 + 0.25·80 = 76.25
		150, 126, 79, 55, // y=0.75: 0.25·25 + 0.75·160 = 126.25; 0.25·75 + 0.75·80 = 78.75; 0.25·100 + 0.75·40
		200, 160, 80, 40, // y=1: (1−x)·200 + x·40
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("resizeGray = %v, want %v", got, want)
		}
	}
	// Same size is the identity.
	item := make([]uint8, 28*28)
	for i := range item {
		item[i] = uint8(i * 7)
	}
	same := resizeGray(item, 28, 28)
	for i := range item {
		if same[i] != item[i] {
			t.Fatalf("28→28 resize changed pixel %d: %d → %d", i, item[i], same[i])
		}
	}
}

// TestCanvasHandMadeItem pastes a 16×8 block at scale 1 (28 pixels on a 64 canvas) on a
// flat grey canvas: the box is exactly the block and every other pixel is the
// background grey.
func TestCanvasHandMadeItem(t *testing.T) {
	item := make([]uint8, 28*28)
	for y := 10; y < 18; y++ {
		for x := 5; x < 21; x++ {
			item[y*28+x] = 255
		}
	}
	cfg := CanvasConfig{Size: 64, MinScale: 28.0 / 64, MaxScale: 28.0 / 64, Clutter: 0, Color: false, Seed: 3}
	ex, err := FashionMNISTCanvas(cfg, [][]uint8{item, item}, []uint8{4, 7})
	if err != nil {
		t.Fatal(err)
	}
	for n, e := range ex {
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		if e.Box.Dx() != 16 || e.Box.Dy() != 8 {
			t.Errorf("example %d: box %v, want 16x8", n, e.Box)
		}
		if e.Label != []int{4, 7}[n] {
			t.Errorf("example %d: label %d", n, e.Label)
		}
		// Grey: 3 equal channels; two colours, the background and the ink (alpha 255).
		colours := map[float32]int{}
		for i := 0; i < e.H*e.W; i++ {
			r, g, b := e.Image[3*i], e.Image[3*i+1], e.Image[3*i+2]
			if r != g || g != b {
				t.Fatalf("example %d: pixel %d not grey: %v %v %v", n, i, r, g, b)
			}
			colours[r]++
		}
		if len(colours) != 2 {
			t.Errorf("example %d: %d grey levels, want 2 (background, ink)", n, len(colours))
		}
		inkLevel := e.Image[3*((e.Box.Min.Y)*e.W+e.Box.Min.X)]
		if colours[inkLevel] != 16*8 {
			t.Errorf("example %d: %d ink pixels, want 128", n, colours[inkLevel])
		}
	}
}

// TestCanvasSubset builds canvases from the shipped Fashion-MNIST subset and checks
// the boxes are tight around the masks, the masks are the nonzero resized pixels,
// and the generation is deterministic.
const goldenCanvas = "99a25d6db47d2fee7d7d1242b5c4a1fdd47affa6eb87f4694a484d8fe9111143"

func TestCanvasSubset(t *testing.T) {
	images, labels, err := LoadFashionMNIST(fashionTestdata, "t10k", 24)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultCanvasConfig()
	a, err := FashionMNISTCanvas(cfg, images, labels)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range a {
		if err := e.Validate(); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		if e.Label != int(labels[i]) {
			t.Errorf("example %d: label %d, want %d", i, e.Label, labels[i])
		}
		// Every mask pixel has to be inside the canvas, and the box within the pasted square
		// of side ≤ 0.9·64 = 58 (rounded).
		if e.Box.Dx() > 58 || e.Box.Dy() > 58 || e.Box.Dx() < 3 || e.Box.Dy() < 3 {
			t.Errorf("example %d: box %v outside the scale range", i, e.Box)
		}
	}
	if *canvasSheetPath != "" {
		writeSheet(t, *canvasSheetPath, a[:16])
	}
	// Recorded on linux/amd64; also checked on arm64 and 386 (integer arithmetic only).
	if got := hashExamples(a); got != goldenCanvas {
		t.Errorf("hash of 24 default canvases = %s, want %s", got, goldenCanvas)
	}
	b, _ := FashionMNISTCanvas(cfg, images, labels)
	if hashExamples(a) != hashExamples(b) {
		t.Error("same seed gave different canvases")
	}
	cfg.Seed = 2
	c, _ := FashionMNISTCanvas(cfg, images, labels)
	if hashExamples(a[:1]) == hashExamples(c[:1]) {
		t.Error("seeds 1 and 2 gave the same first canvas")
	}
}

func TestCanvasErrors(t *testing.T) {
	cfg := DefaultCanvasConfig()
	ok := make([]uint8, 28*28)
	ok[400] = 200
	cases := map[string]struct {
		images [][]uint8
		labels []uint8
	}{
		"lengths":    {[][]uint8{ok}, []uint8{1, 2}},
		"not square": {[][]uint8{ok[:700]}, []uint8{1}},
		"empty item": {[][]uint8{ok, make([]uint8, 784)}, []uint8{1, 2}},
	}
	for name, c := range cases {
		if _, err := FashionMNISTCanvas(cfg, c.images, c.labels); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	bad := cfg
	bad.MinScale = 0.1 // 6.4 pixels
	if _, err := FashionMNISTCanvas(bad, nil, nil); err == nil {
		t.Error("MinScale·Size < 8: no error")
	}
}
