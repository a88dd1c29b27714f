package datasets

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResizeBilinear checks hand-computed values: 2×2 → 4×4 samples at 0, ¼, ¾, 1,
// and 4×4 → 2×2 samples at 0.5 and 2.5 (the mean of each 2×2 block).
func TestResizeBilinear(t *testing.T) {
	up, err := ResizeBilinear([]float32{0, 100, 200, 40}, 2, 2, 1, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 25, 75, 100, 50, 58.75, 76.25, 85, 150, 126.25, 78.75, 55, 200, 160, 80, 40}
	for i := range want {
		if math.Abs(float64(up[i]-want[i])) > 1e-4 {
			t.Fatalf("up = %v, want %v", up, want)
		}
	}
	src := make([]float32, 16*2) // 4×4, 2 channels: (v, −v)
	for i := range 16 {
		src[2*i], src[2*i+1] = float32(i), -float32(i)
	}
	down, err := ResizeBilinear(src, 4, 4, 2, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Block means of 0..15 laid out 4×4: (0+1+4+5)/4 = 2.5, 4.5, 10.5, 12.5.
	wantDown := []float32{2.5, -2.5, 4.5, -4.5, 10.5, -10.5, 12.5, -12.5}
	for i := range wantDown {
		if math.Abs(float64(down[i]-wantDown[i])) > 1e-5 {
			t.Fatalf("down = %v, want %v", down, wantDown)
		}
	}
	if _, err := ResizeBilinear(src, 4, 4, 3, 2, 2); err == nil {
		t.Error("wrong length: no error")
	}
}

func encode(t *testing.T, path string, img image.Image, asJPEG bool) {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
}

func TestLoadImage(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	img.Set(1, 0, color.NRGBA{0, 51, 0, 255})
	img.Set(0, 1, color.NRGBA{0, 0, 102, 255})
	img.Set(1, 1, color.NRGBA{255, 255, 255, 255})
	pngPath := filepath.Join(dir, "a.png")
	encode(t, pngPath, img, false)
	pix, err := LoadImage(pngPath, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, 0, 0, 0.2, 0, 0, 0, 0.4, 1, 1, 1}
	for i := range want {
		if math.Abs(float64(pix[i]-want[i])) > 1e-7 {
			t.Fatalf("native size: %v, want %v", pix, want)
		}
	}
	big, err := LoadImage(pngPath, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := ResizeBilinear(pix, 2, 2, 3, 4, 4)
	for i := range ref {
		if big[i] != ref[i] {
			t.Fatalf("resized load differs from ResizeBilinear at %d", i)
		}
	}
	// Green channel at (1,1) of 4×4: x = y = 0.25 → 0.75·(0.25·0.2) + 0.25·(0.75·0 + 0.25·1) = 0.1.
	if g := big[(1*4+1)*3+1]; math.Abs(float64(g)-0.1) > 1e-6 {
		t.Errorf("green at (1,1) = %g, want 0.1", g)
	}

	flat := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []uint8{200, 100, 50, 255})
	}
	jpgPath := filepath.Join(dir, "b.jpg")
	encode(t, jpgPath, flat, true)
	pix, err = LoadImage(jpgPath, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range pix {
		if w := []float32{200, 100, 50}[i%3] / 255; math.Abs(float64(v-w)) > 3.0/255 {
			t.Fatalf("JPEG value %d = %g, want %g ± 3/255", i, v, w)
		}
	}

	writeFile(t, filepath.Join(dir, "c.png"), []byte("not an image"))
	if _, err := LoadImage(filepath.Join(dir, "c.png"), 0, 0); err == nil || !strings.Contains(err.Error(), "decoding") {
		t.Errorf("garbage file: error %v", err)
	}
	if _, err := LoadImage(filepath.Join(dir, "missing.png"), 0, 0); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := LoadImage(pngPath, 4, 0); err == nil {
		t.Error("size 4x0: no error")
	}
}

// TestLoadImagePixelLimit checks that a picture over MaxPixels is refused from its
// header, before decoding (the file below has a header and no pixels at all), and that
// a resize target over the limit is refused before the file is read.
func TestLoadImagePixelLimit(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte{0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 2, 0, 0, 0} // 20000×20000, 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	path := filepath.Join(dir, "big.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadImage(path, 0, 0); err == nil || !strings.Contains(err.Error(), "20000x20000 = 400000000 pixels, over the limit") {
		t.Fatalf("20000×20000 header: got %v, want the pixel limit named", err)
	}
	if _, err := LoadImage(filepath.Join(dir, "missing.png"), 30000, 30000); err == nil || !strings.Contains(err.Error(), "MaxPixels") {
		t.Fatalf("resize to 30000×30000: got %v, want the pixel limit named", err)
	}
	if _, err := LoadImage(dir, 0, 0); err == nil || !strings.Contains(err.Error(), "a folder") {
		t.Fatalf("a folder: got %v, want it named as a folder", err)
	}
	old := MaxPixels
	MaxPixels = 10
	defer func() { MaxPixels = old }()
	small := filepath.Join(dir, "small.png")
	f, _ := os.Create(small)
	_ = png.Encode(f, image.NewGray(image.Rect(0, 0, 4, 3)))
	f.Close()
	if _, err := LoadImage(small, 0, 0); err == nil || !strings.Contains(err.Error(), "12 pixels, over the limit of 10") {
		t.Fatalf("a 4×3 picture at MaxPixels=10: got %v", err)
	}
}
