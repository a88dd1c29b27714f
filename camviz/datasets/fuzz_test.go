package datasets

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
)

// FuzzDecodeImage feeds picture decoding and resizing arbitrary bytes and target sizes,
// seeded with small PNGs (8- and 16-bit, grey, paletted, transparent), a JPEG and a
// header that declares a huge picture: decodeImage must return h·w·3 values in [0, 1]
// or an error, never panic, and never decode a picture over MaxPixels (lowered here so
// that each run stays small).
func FuzzDecodeImage(f *testing.F) {
	encode := func(img image.Image, jpg bool) []byte {
		var b bytes.Buffer
		if jpg {
			_ = jpeg.Encode(&b, img, nil)
		} else {
			_ = png.Encode(&b, img)
		}
		return b.Bytes()
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 37)
	}
	gray16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	gray16.SetGray16(1, 1, color.Gray16{Y: 40000})
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White})
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	nrgba.Set(0, 0, color.NRGBA{255, 0, 0, 10})
	for _, seed := range [][]byte{encode(rgba, false), encode(gray16, false), encode(pal, false), encode(nrgba, false),
		encode(rgba, true), []byte("\x89PNG\r\n\x1a\n"), nil} {
		f.Add(seed, uint8(0), uint8(0))
		f.Add(seed, uint8(7), uint8(3))
	}
	f.Add(encode(rgba, false)[:40], uint8(2), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, h8, w8 uint8) {
		old := MaxPixels
		MaxPixels = 1 << 16
		defer func() { MaxPixels = old }()
		h, w := int(h8%40), int(w8%40)
		if (h == 0) != (w == 0) {
			h, w = 0, 0
		}
		pix, err := decodeImage(bytes.NewReader(data), "fuzz", h, w)
		if err != nil {
			return
		}
		if h > 0 && len(pix) != h*w*3 {
			t.Fatalf("%d values for a %dx%d picture", len(pix), h, w)
		}
		if len(pix) > 3*MaxPixels || len(pix)%3 != 0 {
			t.Fatalf("%d values: over the pixel limit or not RGB", len(pix))
		}
		for i, v := range pix {
			if !(v >= 0 && v <= 1) || math.IsNaN(float64(v)) {
				t.Fatalf("value %d is %v, outside [0, 1]", i, v)
			}
		}
		if h == 0 {
			return
		}
		// The resize (FromImageResized) gives ResizeBilinear(FromImage(img)) bit for bit.
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decodeImage accepted what image.Decode refuses: %v", err)
		}
		full, ih, iw := FromImage(img)
		want, err := ResizeBilinear(full, ih, iw, 3, h, w)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if pix[i] != want[i] {
				t.Fatalf("value %d = %v, ResizeBilinear(FromImage) gives %v", i, pix[i], want[i])
			}
		}
	})
}
