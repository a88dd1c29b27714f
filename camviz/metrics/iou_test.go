package metrics

import (
	"image"
	"testing"
)

func TestIoU(t *testing.T) {
	cases := []struct {
		name string
		a, b image.Rectangle
		want float64
	}{
		// wsolevaluation's evaluation_test: [1,2,5,6] vs [3,1,4,5] (inclusive) = 8/27:
		// a is 5×5 = 25, b is 2×5 = 10, overlap x 3..4, y 2..5 = 8; 8/(25+10−8).
		{"wsol realistic", InclusiveBox(1, 2, 5, 6), InclusiveBox(3, 1, 4, 5), 8.0 / 27},
		{"identical", image.Rect(1, 1, 4, 4), image.Rect(1, 1, 4, 4), 1},
		{"disjoint", InclusiveBox(1, 1, 3, 3), InclusiveBox(4, 4, 5, 5), 0},
		// Touching half-open boxes share no pixel.
		{"touching", image.Rect(0, 0, 2, 2), image.Rect(2, 0, 4, 2), 0},
		// 2×2 boxes overlapping in one pixel: 1/(4+4−1).
		{"corner", image.Rect(0, 0, 2, 2), image.Rect(1, 1, 3, 3), 1.0 / 7},
		// Containment: 4 of 16 pixels.
		{"inside", image.Rect(3, 3, 5, 5), image.Rect(2, 2, 6, 6), 0.25},
		// wsolevaluation's degenerate [0,0,0,0] boxes are one pixel each: IoU 1.
		{"wsol zero boxes", InclusiveBox(0, 0, 0, 0), InclusiveBox(0, 0, 0, 0), 1},
		{"empty vs empty", image.Rectangle{}, image.Rectangle{}, 0},
		{"empty vs box", image.Rectangle{}, image.Rect(0, 0, 3, 3), 0},
		{"inverted", image.Rectangle{Min: image.Pt(3, 3), Max: image.Pt(1, 1)}, image.Rect(0, 0, 3, 3), 0},
	}
	for _, c := range cases {
		near(t, c.name, IoU(c.a, c.b), c.want, 1e-15)
		near(t, c.name+" (swapped)", IoU(c.b, c.a), c.want, 1e-15)
	}
	if got := InclusiveBox(1, 2, 5, 6); got != image.Rect(1, 2, 6, 7) {
		t.Errorf("InclusiveBox(1,2,5,6) = %v, want (1,2)-(6,7)", got)
	}
}
