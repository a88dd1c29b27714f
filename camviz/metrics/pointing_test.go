package metrics

import (
	"image"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

func nan() float64 { return math.NaN() }

func TestPointingGame(t *testing.T) {
	// 20×20 map with its maximum at (x=15, y=2).
	peak := heatmap.NewMap(20, 20)
	peak.Data[2*20+15] = 1
	box := []image.Rectangle{image.Rect(2, 2, 6, 6)} // nearest pixel (5, 2): distance 10
	for _, c := range []struct {
		tol  int
		want bool
	}{{0, false}, {10, false}, {11, true}, {15, true}} {
		got, err := PointingHit(peak, box, c.tol)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("tolerance %d: hit %v, want %v (distance 10, rule d² < tol²)", c.tol, got, c.want)
		}
	}
	// Diagonal distance: peak (15,2) to box pixel (12,6) is 3-4-5.
	diag := []image.Rectangle{image.Rect(8, 6, 13, 9)}
	for tol, want := range map[int]bool{5: false, 6: true} {
		if got, _ := PointingHit(peak, diag, tol); got != want {
			t.Errorf("diagonal, tolerance %d: hit %v, want %v", tol, got, want)
		}
	}
	// Inside a box with tolerance 0; ties go to the first maximum in raster order.
	tie := heatmap.NewMap(4, 4)
	tie.Data[1*4+1], tie.Data[3*4+3] = 1, 1
	if got, _ := PointingHit(tie, []image.Rectangle{image.Rect(1, 1, 2, 2)}, 0); !got {
		t.Error("first maximum (1,1) inside its 1-pixel box was not a hit")
	}
	if got, _ := PointingHit(tie, []image.Rectangle{image.Rect(3, 3, 4, 4)}, 0); got {
		t.Error("second maximum counted; numpy.argmax takes the first")
	}

	g, err := NewPointingGame(15)
	if err != nil {
		t.Fatal(err)
	}
	maps := []*heatmap.Map{peak, peak, peak}
	boxes := [][]image.Rectangle{box, {image.Rect(0, 15, 3, 20)}, nil}
	if err := g.Update(maps, boxes); err != nil {
		t.Fatal(err)
	}
	res, err := g.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if res.Hits != 1 || res.Misses != 1 || res.Skipped != 1 {
		t.Errorf("hits/misses/skipped = %d/%d/%d, want 1/1/1", res.Hits, res.Misses, res.Skipped)
	}
	near(t, "accuracy", res.Accuracy, 50, 0)

	bad := peak.Clone()
	bad.Data[0] = float32(nan())
	if err := g.Update([]*heatmap.Map{bad}, [][]image.Rectangle{box}); err == nil {
		t.Error("NaN map accepted")
	}
	if err := g.Update([]*heatmap.Map{peak}, [][]image.Rectangle{{image.Rect(3, 3, 3, 3)}}); err == nil {
		t.Error("empty box accepted")
	}
	empty, _ := NewPointingGame(0)
	if _, err := empty.Summary(); err == nil {
		t.Error("Summary with nothing scored returned no error")
	}
	if _, err := NewPointingGame(-1); err == nil {
		t.Error("negative tolerance accepted")
	}
}
