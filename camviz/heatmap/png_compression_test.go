package heatmap

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// TestEncodePNGCompressedSamePixels: every compression decodes (with image/png) to the
// pixels EncodePNG's file decodes to, for an opaque overlay, a flat colorized map, a
// sub-image off the origin and a translucent picture (image/png path); PNGBestSpeed
// writes EncodePNG's bytes exactly, and Huffman-only differs from it on the fast path.
func TestEncodePNGCompressedSamePixels(t *testing.T) {
	overlay, err := Overlay(texturedImage(64, 48), testMap(), Jet, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	colorized := Colorize(ResizeBilinear(testMap(), 48, 64), Jet)
	translucent := testImage(5, 4)
	copy(translucent.Pix[:4], []uint8{0, 0, 0, 0})
	for name, img := range map[string]*image.RGBA{
		"overlay": overlay, "colorized": colorized,
		"subimage":    texturedImage(20, 10).SubImage(image.Rect(3, 2, 17, 9)).(*image.RGBA),
		"translucent": translucent,
	} {
		ref, err := PNGBytes(img)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []PNGCompression{PNGBestSpeed, PNGHuffmanOnly} {
			var buf bytes.Buffer
			if err := EncodePNGCompressed(&buf, img, c); err != nil {
				t.Fatalf("%s, %v: %v", name, c, err)
			}
			dec, err := png.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("%s, %v: %v", name, c, err)
			}
			if !bytes.Equal(toRGBA(dec).Pix, toRGBA(img).Pix) {
				t.Errorf("%s, %v: decoded pixels differ from the image", name, c)
			}
			same := bytes.Equal(buf.Bytes(), ref)
			if c == PNGBestSpeed && !same {
				t.Errorf("%s: PNGBestSpeed wrote other bytes than EncodePNG", name)
			}
			if c == PNGHuffmanOnly && name != "translucent" && same {
				t.Errorf("%s: PNGHuffmanOnly wrote EncodePNG's bytes; the level was not applied", name)
			}
			t.Logf("%-11s %-14v %6d bytes (EncodePNG: %d)", name, c, buf.Len(), len(ref))
		}
	}
}

func TestEncodePNGCompressedErrors(t *testing.T) {
	img := texturedImage(4, 4)
	var buf bytes.Buffer
	if err := EncodePNGCompressed(&buf, img, PNGCompression(7)); err == nil {
		t.Error("unknown compression: no error")
	}
	if err := EncodePNGCompressed(&buf, nil, PNGHuffmanOnly); err == nil {
		t.Error("nil image: no error")
	}
	if err := EncodePNGCompressed(nil, img, PNGHuffmanOnly); err == nil {
		t.Error("nil writer: no error")
	}
}
