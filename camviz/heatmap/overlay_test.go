package heatmap

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// testImage is a deterministic RGB test picture: a colour gradient with a dark
// square, w×h pixels.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 160, 255}
			if x > w/4 && x < w/2 && y > h/4 && y < h/2 {
				c = color.RGBA{30, 30, 30, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// testMap is a 7×7 Gaussian bump centred at (row 2, col 4), as a CAM would be.
func testMap() *Map {
	m := NewMap(7, 7)
	for y := 0; y < 7; y++ {
		for x := 0; x < 7; x++ {
			dy, dx := float64(y-2), float64(x-4)
			m.Data[y*7+x] = float32(math.Exp(-(dx*dx + dy*dy) / 4))
		}
	}
	return MinMax(m)
}

func TestOverlayArithmetic(t *testing.T) {
	img := image.NewRGBA(image.Rect(5, 5, 7, 6)) // bounds not at the origin
	img.SetRGBA(5, 5, color.RGBA{10, 20, 30, 255})
	img.SetRGBA(6, 5, color.RGBA{0, 0, 0, 0}) // transparent
	m := mustMap(t, [][]float32{{1, 0}})
	out, err := Overlay(img, m, Jet, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	// Jet(1) = (128,0,0): 0.75·(10,20,30) + 0.25·(128,0,0) = (39.5, 15, 22.5) → (40, 15, 23);
	// alpha 0.75·255 + 0.25·255 = 255.
	// Jet(0) = (0,0,128) over transparent: (0, 0, 32), alpha 0.25·255 = 63.75 → 64.
	if got, want := out.RGBAAt(0, 0), (color.RGBA{40, 15, 23, 255}); got != want {
		t.Errorf("pixel 0 = %v, want %v", got, want)
	}
	if got, want := out.RGBAAt(1, 0), (color.RGBA{0, 0, 32, 64}); got != want {
		t.Errorf("pixel 1 = %v, want %v", got, want)
	}
	if out.Bounds() != image.Rect(0, 0, 2, 1) {
		t.Errorf("bounds %v, want the image size at the origin", out.Bounds())
	}
	// alpha 0 keeps the image, alpha 1 is Colorize of the resized map.
	big := testImage(20, 12)
	if o, _ := Overlay(big, testMap(), Jet, 0); !bytes.Equal(o.Pix, big.Pix) {
		t.Error("alpha 0 changed the image")
	}
	o, _ := Overlay(big, testMap(), Jet, 1)
	if c := Colorize(ResizeBilinear(testMap(), 12, 20), Jet); !bytes.Equal(o.Pix, c.Pix) {
		t.Error("alpha 1 differs from Colorize(ResizeBilinear(m))")
	}
}

func TestOverlayErrors(t *testing.T) {
	img, m := testImage(4, 4), testMap()
	for _, a := range []float64{-0.1, 1.01, math.NaN()} {
		if _, err := Overlay(img, m, Jet, a); err == nil {
			t.Errorf("alpha %v: no error", a)
		}
	}
	if _, err := Overlay(img, &Map{}, Jet, 0.5); err == nil {
		t.Error("empty map: no error")
	}
	if _, err := Overlay(image.NewRGBA(image.Rect(0, 0, 0, 3)), m, Jet, 0.5); err == nil {
		t.Error("empty image: no error")
	}
	if _, err := Overlay(nil, m, Jet, 0.5); err == nil {
		t.Error("nil image: no error")
	}
}

// TestOverlayGolden compares a 7×7 map on a 64×48 image (Jet, alpha 0.5, plus a
// 2-pixel box) with testdata/overlay_golden.png, pixel by pixel. Regenerate with
// go test ./camviz/heatmap/ -run Golden -update, and look at the picture.
func TestOverlayGolden(t *testing.T) {
	out, err := Overlay(testImage(64, 48), testMap(), Jet, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	DrawBox(out, image.Rect(30, 4, 58, 26), color.RGBA{0, 255, 0, 255}, 2)
	checkGolden(t, out, filepath.Join("testdata", "overlay_golden.png"))
}

func checkGolden(t *testing.T, got *image.RGBA, path string) {
	t.Helper()
	if *update {
		b, err := PNGBytes(got)
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	defer f.Close()
	dec, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want := toRGBA(dec)
	if want.Bounds() != got.Bounds() {
		t.Fatalf("%s: size %v, golden %v", path, got.Bounds(), want.Bounds())
	}
	bad := 0
	for i := range got.Pix {
		if got.Pix[i] != want.Pix[i] {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d bytes differ from the golden image", path, bad, len(got.Pix))
	}
}

func TestDrawBox(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	red := color.RGBA{255, 0, 0, 255}
	DrawBox(img, image.Rect(2, 3, 8, 9), red, 2)
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			inBox := x >= 2 && x < 8 && y >= 3 && y < 9
			inner := x >= 4 && x < 6 && y >= 5 && y < 7
			if got, want := img.RGBAAt(x, y) == red, inBox && !inner; got != want {
				t.Errorf("pixel (%d,%d): red = %v, want %v", x, y, got, want)
			}
		}
	}
	// Clipped at the border, thickness < 1 taken as 1, and nothing panics.
	DrawBox(img, image.Rect(-5, -5, 3, 3), red, 0)
	if img.RGBAAt(2, 0) != red || img.RGBAAt(1, 1) == red {
		t.Error("clipped box drawn wrongly")
	}
}

func TestImageFromHWC(t *testing.T) {
	// 1×2 RGB in [−1, 1]: level = round(255·(v+1)/2).
	img, err := ImageFromHWC(1, 2, 3, []float32{-1, 0, 1, 2, -5, float32(math.NaN())}, -1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.RGBAAt(0, 0), (color.RGBA{0, 128, 255, 255}); got != want {
		t.Errorf("pixel 0 = %v, want %v", got, want)
	}
	if got, want := img.RGBAAt(1, 0), (color.RGBA{255, 0, 0, 255}); got != want {
		t.Errorf("pixel 1 = %v, want %v", got, want)
	}
	g, err := ImageFromHWC(2, 1, 1, []float32{0.2, 0.8}, 0, 1)
	if err != nil || g.RGBAAt(0, 0) != (color.RGBA{51, 51, 51, 255}) || g.RGBAAt(0, 1) != (color.RGBA{204, 204, 204, 255}) {
		t.Errorf("gray: %v %v", g, err)
	}
	for name, c := range map[string]struct {
		h, w, c, n int
		lo, hi     float32
	}{
		"channels": {1, 1, 2, 2, 0, 1}, "length": {2, 2, 3, 11, 0, 1}, "range": {1, 1, 1, 1, 1, 1}, "size": {0, 1, 1, 0, 0, 1},
	} {
		if _, err := ImageFromHWC(c.h, c.w, c.c, make([]float32, c.n), c.lo, c.hi); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPNGRoundTrip(t *testing.T) {
	// Opaque RGBA (fast RGB path), a sub-image with bounds off the origin (fast
	// path), and a translucent image (image/png path).
	translucent := testImage(5, 4)
	copy(translucent.Pix[:4], []uint8{0, 0, 0, 0}) // one transparent pixel (exact in NRGBA)
	for name, img := range map[string]*image.RGBA{
		"opaque":      texturedImage(9, 7),
		"subimage":    texturedImage(20, 10).SubImage(image.Rect(3, 2, 17, 9)).(*image.RGBA),
		"translucent": translucent,
	} {
		b, err := PNGBytes(img)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(toRGBA(dec).Pix, toRGBA(img).Pix) {
			t.Errorf("%s: PNG round trip changed pixels", name)
		}
	}
}
