package camviz_test

import (
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// TestSobelEdgesReference compares heatmap.SobelEdges with pytorch-grad-cam HEAD's
// sobel_cam (OpenCV 4.6) on a uint8 rendering of model A's input: exactly equal.
func TestSobelEdgesReference(t *testing.T) {
	img := readHead(t, "sobel", "image_uint8_as_float.npy")
	want := readHead(t, "sobel", "Sobel_final.npy")
	rgb := make([]uint8, len(img.Data))
	for i, v := range img.Data {
		rgb[i] = uint8(v)
	}
	got, err := heatmap.SobelEdges(rgb, img.Shape[0], img.Shape[1])
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbsErr(got.Data, want.Data); e != 0 {
		t.Errorf("Sobel edges differ from OpenCV's by up to %g (of 255)", e)
	}
	if _, err := heatmap.SobelEdges(rgb[:5], 2, 2); err == nil {
		t.Error("a short image: want an error")
	}
}
