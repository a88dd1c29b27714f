package heatmap

import (
	"bytes"
	"image"
	"strings"
	"testing"
)

// TestEncodePNGTypedNil: a nil *image.RGBA inside the image.Image interface is reported as
// an error by both encoders instead of panicking in Bounds.
func TestEncodePNGTypedNil(t *testing.T) {
	var rgba *image.RGBA
	var buf bytes.Buffer
	if err := EncodePNG(&buf, rgba); err == nil || !strings.Contains(err.Error(), "non-nil") {
		t.Errorf("EncodePNG(typed nil): %v, want an error saying the image must be non-nil", err)
	}
	if err := EncodePNGCompressed(&buf, rgba, PNGHuffmanOnly); err == nil || !strings.Contains(err.Error(), "non-nil") {
		t.Errorf("EncodePNGCompressed(typed nil): %v, want an error saying the image must be non-nil", err)
	}
	if err := EncodePNG(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Errorf("EncodePNG of a real image: %v", err)
	}
}
