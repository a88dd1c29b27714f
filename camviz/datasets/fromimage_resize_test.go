package datasets

import (
	"image"
	"math/rand/v2"
	"testing"
)

// TestFromImageResizedIsBitIdentical: FromImageResized gives exactly
// ResizeBilinear(FromImage(img)) for RGBA and NRGBA pictures (random pixels, every
// alpha), sub-images off the origin, a gray picture (the generic path), down- and
// upscaling, one-pixel sizes and the same size, with and without a reusable dst.
func TestFromImageResizedIsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rgba, nrgba := randomPictures(rng)
	gray := image.NewGray(rgba.Bounds())
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.IntN(256))
	}
	sub := image.Rect(1, 5, 20, 30)
	images := map[string]image.Image{"RGBA": rgba, "NRGBA": nrgba, "Gray": gray,
		"RGBA sub-image": rgba.SubImage(sub), "NRGBA sub-image": nrgba.SubImage(sub)}
	sizes := [][2]int{{24, 32}, {7, 5}, {1, 1}, {29, 40}, {57, 83}, {29, 3}}
	for name, img := range images {
		pix, h, w := FromImage(img)
		for _, s := range sizes {
			want, err := ResizeBilinear(pix, h, w, 3, s[0], s[1])
			if err != nil {
				t.Fatal(err)
			}
			for _, dst := range [][]float32{nil, make([]float32, 5), make([]float32, 3*s[0]*s[1]+7)} {
				got, err := FromImageResized(img, s[0], s[1], dst)
				if err != nil {
					t.Fatalf("%s → %v: %v", name, s, err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s → %v: %d values, want %d", name, s, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s → %v (dst cap %d): value %d = %v, ResizeBilinear(FromImage) gives %v",
							name, s, cap(dst), i, got[i], want[i])
					}
				}
				if cap(dst) >= len(want) && &got[0] != &dst[0] {
					t.Errorf("%s → %v: a dst of capacity %d was not reused", name, s, cap(dst))
				}
			}
		}
	}
}

func TestFromImageResizedErrors(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for _, c := range []struct {
		img  image.Image
		h, w int
	}{{img, 0, 4}, {img, 4, -1}, {nil, 4, 4}, {image.NewRGBA(image.Rect(2, 2, 2, 5)), 4, 4}, {img, 1 << 20, 1 << 20}} {
		if _, err := FromImageResized(c.img, c.h, c.w, nil); err == nil {
			t.Errorf("FromImageResized(%v, %d, %d): no error", c.img, c.h, c.w)
		}
	}
}
