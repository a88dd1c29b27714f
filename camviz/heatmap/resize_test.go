package heatmap

import (
	"path/filepath"
	"testing"
)

func TestResizeBilinearHandComputed(t *testing.T) {
	m := mustMap(t, [][]float32{{0, 1}, {2, 3}})
	// Half-pixel centres, 2 → 4: src = (d+0.5)/2 − 0.5 = −0.25 (clamped to 0), 0.25,
	// 0.75, 1.25 (clamped to 1), so the 1-D weights are x0, ¾x0+¼x1, ¼x0+¾x1, x1.
	checkMap(t, "2x2->4x4", ResizeBilinear(m, 4, 4), [][]float32{
		{0, 0.25, 0.75, 1},
		{0.5, 0.75, 1.25, 1.5},
		{1.5, 1.75, 2.25, 2.5},
		{2, 2.25, 2.75, 3},
	}, 1e-6)
	// Align corners, 2 → 3: src = d·(2−1)/(3−1) = 0, 0.5, 1.
	checkMap(t, "align 2x2->3x3", ResizeBilinearAlignCorners(m, 3, 3), [][]float32{
		{0, 0.5, 1},
		{1, 1.5, 2},
		{2, 2.5, 3},
	}, 1e-6)
	// Downsampling stays bilinear (cv2 INTER_LINEAR, not area): 4 → 2 samples at
	// src = 0.5 and 2.5.
	checkMap(t, "1x4->1x2", ResizeBilinear(mustMap(t, [][]float32{{0, 1, 2, 3}}), 1, 2), [][]float32{{0.5, 2.5}}, 1e-6)
	// Align corners to a single pixel takes the first one.
	checkMap(t, "align ->1x1", ResizeBilinearAlignCorners(m, 1, 1), [][]float32{{0}}, 0)
	// Same size is the identity, and sizes ≤ 0 give an empty map.
	checkMap(t, "identity", ResizeBilinear(m, 2, 2), [][]float32{{0, 1}, {2, 3}}, 0)
	if e := ResizeBilinear(m, 0, 3); e.H != 0 || e.W != 0 || len(e.Data) != 0 {
		t.Errorf("ResizeBilinear to 0x3: %+v", e)
	}
}

// TestResizeBilinearCV2 compares against cv2.resize INTER_LINEAR outputs
// (testdata/cv2_resize_*, written by tools/gen_resize_ref.py with OpenCV 4.6):
// 7×5 → 20×13 and 13×9 → 5×4.
func TestResizeBilinearCV2(t *testing.T) {
	for _, name := range []string{"up", "down"} {
		in := loadMaps(t, filepath.Join("testdata", "cv2_resize_"+name+"_in.npy"))[0]
		want := loadMaps(t, filepath.Join("testdata", "cv2_resize_"+name+"_out.npy"))[0]
		d := maxAbsDiff(ResizeBilinear(in, want.H, want.W), want)
		t.Logf("%s %dx%d -> %dx%d: max |diff| vs cv2 = %g", name, in.H, in.W, want.H, want.W, d)
		if d > 1e-6 {
			t.Errorf("%s %dx%d -> %dx%d: max |diff| vs cv2 = %g > 1e-6", name, in.H, in.W, want.H, want.W, d)
		}
	}
}
