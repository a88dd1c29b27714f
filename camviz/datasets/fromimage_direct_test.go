package datasets

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// fromImageAt is FromImage's generic path (img.At per pixel), the reference for the
// direct ones.
func fromImageAt(img image.Image) []float32 {
	b := img.Bounds()
	var pix []float32
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			pix = append(pix, float32(r)/65535, float32(g)/65535, float32(bl)/65535)
		}
	}
	return pix
}

// randomPictures returns the same random pixels (every alpha, a third of them opaque) as
// an RGBA picture (premultiplied by Set) and an NRGBA one, 40×29 with bounds off the origin.
func randomPictures(rng *rand.Rand) (*image.RGBA, *image.NRGBA) {
	rgba := image.NewRGBA(image.Rect(-3, 2, 37, 31))
	nrgba := image.NewNRGBA(rgba.Bounds())
	for y := rgba.Rect.Min.Y; y < rgba.Rect.Max.Y; y++ {
		for x := rgba.Rect.Min.X; x < rgba.Rect.Max.X; x++ {
			a := uint8(rng.IntN(256))
			if rng.IntN(3) == 0 {
				a = 255
			}
			c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), a}
			nrgba.SetNRGBA(x, y, c)
			rgba.Set(x, y, c)
		}
	}
	return rgba, nrgba
}

// TestFromImageDirectIsBitIdentical: the RGBA and NRGBA paths give exactly what
// img.At gives, on random pixels (every alpha, including 0 and 255), whole images
// and sub-images that start off the origin and share their rows' memory.
func TestFromImageDirectIsBitIdentical(t *testing.T) {
	rgba, nrgba := randomPictures(rand.New(rand.NewPCG(1, 2)))
	sub := image.Rect(1, 5, 20, 30)
	for name, img := range map[string]image.Image{
		"RGBA": rgba, "NRGBA": nrgba,
		"RGBA sub-image": rgba.SubImage(sub), "NRGBA sub-image": nrgba.SubImage(sub),
	} {
		got, h, w, ok := fromImageDirect(img)
		if !ok {
			t.Fatalf("%s: no direct path", name)
		}
		want := fromImageAt(img)
		if b := img.Bounds(); h != b.Dy() || w != b.Dx() || len(got) != len(want) {
			t.Fatalf("%s: %d×%d, %d values; want %d×%d, %d values", name, h, w, len(got), b.Dy(), b.Dx(), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: value %d = %v, img.At gives %v", name, i, got[i], want[i])
			}
		}
		if pix, _, _ := FromImage(img); len(pix) != len(want) || pix[len(pix)-1] != want[len(want)-1] {
			t.Errorf("%s: FromImage does not take the direct path's result", name)
		}
	}
	if _, _, _, ok := fromImageDirect(image.NewGray(image.Rect(0, 0, 2, 2))); ok {
		t.Error("a Gray image took a direct path; it must go through img.At")
	}
}
