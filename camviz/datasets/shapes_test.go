package datasets

import (
	"math"
	"testing"
)

// area counts the pixel centres inside a shape of half-extent R (in 1/sub pixel) and
// returns the area in units of R².
func area(cls int, R int64, o int) float64 {
	n := 0
	for y := -R; y <= R; y += sub {
		for x := -R; x <= R; x += sub {
			if in, _ := shapeAt(cls, x, y, R, o); in {
				n++
			}
		}
	}
	r := float64(R) / sub
	return float64(n) / (r * r)
}

// TestShapeAreas compares pixel counts of large shapes with their exact areas in R².
func TestShapeAreas(t *testing.T) {
	const R = 800 // 100 pixels
	t3 := 1.0 / 3 // cross arm half-width / R
	want := map[int]float64{
		classSquare:   4,
		classDisc:     math.Pi,
		classTriangle: 2,                          // base 2R, height 2R
		classCross:    2*(2*t3*2) - (2*t3)*(2*t3), // two 2T×2R arms minus their overlap
		classRing:     math.Pi * (1 - 0.55*0.55),
		classBar:      2 * 2 * 0.4,
		classDiamond:  2,
		classFrame:    4 * (1 - 0.55*0.55),
	}
	for cls := range numShapeClasses {
		for o := range 4 {
			w := want[cls]
			if cls == classCross && o%2 == 1 {
				// "×": arms of half-width T and half-length L = R√2 − T: 8TL − 4T².
				l := math.Sqrt2 - t3
				w = 8*t3*l - 4*t3*t3
			}
			got := area(cls, R, o)
			if math.Abs(got-w)/w > 0.03 {
				t.Errorf("%s orientation %d: area %.4f R², want %.4f R²", shapeNames[cls], o, got, w)
			}
		}
	}
	// The striped bar alternates stripes: about half of its pixels are of each colour.
	n, striped := 0, 0
	for y := int64(-R); y <= R; y += sub {
		for x := int64(-R); x <= R; x += sub {
			if in, s := shapeAt(classBar, x, y, R, 0); in {
				n++
				if s {
					striped++
				}
			}
		}
	}
	if f := float64(striped) / float64(n); f < 0.4 || f > 0.6 {
		t.Errorf("striped fraction of the bar = %.3f, want about 0.5", f)
	}
}

// TestShapeSmall checks a small square and disc pixel by pixel: R = 2 pixels.
func TestShapeSmall(t *testing.T) {
	// Pixel centres at offsets ±4, ±12, ±20 (1/8 px) from the centre; R = 16 keeps ±4, ±12.
	count := func(cls int) int {
		n := 0
		for y := int64(-20); y <= 20; y += sub {
			for x := int64(-20); x <= 20; x += sub {
				if in, _ := shapeAt(cls, x, y, 16, 0); in {
					n++
				}
			}
		}
		return n
	}
	if got := count(classSquare); got != 16 {
		t.Errorf("square R=2px: %d pixels, want 4x4 = 16", got)
	}
	// Disc: 4²+4², 4²+12² ≤ 256 but 12²+12² = 288 > 256: 16 − 4 corners = 12.
	if got := count(classDisc); got != 12 {
		t.Errorf("disc R=2px: %d pixels, want 12", got)
	}
}
