package metrics

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// Three 10×10 images with τ ∈ {0, 0.1, …, 0.9}; IoU curves worked out by hand:
//
//	image 1: 1 on GT (2,2)-(6,6), 0.5 on the ring out to (1,1)-(7,7):
//	         τ < 0.5 → box (1,1)-(7,7), IoU 16/36; τ ≥ 0.5 → IoU 1.
//	image 2: blob far from the GT → IoU 0 at every τ.
//	image 3: 1 on (3,3)-(5,5), 0.25 out to GT (2,2)-(6,6):
//	         τ < 0.25 → IoU 1; τ ≥ 0.3 → IoU 4/16.
//
// δ = 0.3: correct {1,3} for τ ≤ 0.2, {1} after → max 200/3 at τ = 0.
// δ = 0.5 and 0.7: {3} for τ ≤ 0.2, none at 0.3–0.4, {1} from 0.5 → max 100/3.
// MaxBoxAccV2 = (200/3 + 100/3 + 100/3)/3 = 400/9.
func TestBoxAccumulatorKnownCurves(t *testing.T) {
	maps := []*heatmap.Map{
		fillMap(10, 10, []image.Rectangle{image.Rect(1, 1, 7, 7), image.Rect(2, 2, 6, 6)}, []float32{0.5, 1}),
		fillMap(10, 10, []image.Rectangle{image.Rect(6, 6, 10, 10)}, []float32{1}),
		fillMap(10, 10, []image.Rectangle{image.Rect(2, 2, 6, 6), image.Rect(3, 3, 5, 5)}, []float32{0.25, 1}),
	}
	gt := [][]image.Rectangle{{image.Rect(2, 2, 6, 6)}, {image.Rect(0, 0, 4, 4)}, {image.Rect(2, 2, 6, 6)}}
	acc, err := NewBoxAccumulator(BoxConfig{TauStep: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	// Two batches, to exercise streaming.
	if err := acc.Update(maps[:1], gt[:1], []bool{false}); err != nil {
		t.Fatal(err)
	}
	if err := acc.Update(maps[1:], gt[1:], []bool{true, true}); err != nil {
		t.Fatal(err)
	}
	res, err := acc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 3 || res.Top1Images != 3 || len(res.Taus) != 10 {
		t.Fatalf("Images=%d Top1Images=%d len(Taus)=%d, want 3, 3, 10", res.Images, res.Top1Images, len(res.Taus))
	}
	third := 100.0 / 3
	near(t, "MaxBoxAcc", res.MaxBoxAcc, third, 1e-12)
	near(t, "MaxBoxAccV2", res.MaxBoxAccV2, 400.0/9, 1e-12)
	near(t, "BestTau", res.BestTau, 0, 0)
	// At τ = 0, δ = 0.5 only image 3 is localised, and its class is right.
	near(t, "Top1Loc", res.Top1Loc, third, 1e-12)
	wantCurves := map[float64][]float64{
		0.3: {2 * third, 2 * third, 2 * third, third, third, third, third, third, third, third},
		0.5: {third, third, third, 0, 0, third, third, third, third, third},
		0.7: {third, third, third, 0, 0, third, third, third, third, third},
	}
	for _, d := range res.PerDelta {
		for k, v := range wantCurves[d.Delta] {
			near(t, "curve", d.Curve[k], v, 1e-12)
		}
	}
	near(t, "δ=0.3 max", res.PerDelta[0].MaxBoxAcc, 2*third, 1e-12)
	near(t, "δ=0.3 Top1Loc", res.PerDelta[0].Top1Loc, third, 1e-12)
}

// V1 takes the largest component; MultiContour scores every component.
func TestBoxAccumulatorMultiContour(t *testing.T) {
	m := fillMap(12, 12, []image.Rectangle{image.Rect(0, 0, 6, 6), image.Rect(8, 8, 10, 10)}, []float32{1, 1})
	gt := [][]image.Rectangle{{image.Rect(8, 8, 10, 10)}}
	for _, c := range []struct {
		multi bool
		want  float64
	}{{false, 0}, {true, 100}} {
		acc, _ := NewBoxAccumulator(BoxConfig{MultiContour: c.multi})
		if err := acc.Update([]*heatmap.Map{m}, gt, nil); err != nil {
			t.Fatal(err)
		}
		res, _ := acc.Summary()
		near(t, "MaxBoxAcc", res.MaxBoxAcc, c.want, 0)
		near(t, "MaxBoxAccV2", res.MaxBoxAccV2, c.want, 0)
		if res.Top1Images != 0 || res.Top1Loc != 0 {
			t.Errorf("without class flags Top1Images=%d Top1Loc=%v, want 0, 0", res.Top1Images, res.Top1Loc)
		}
	}
}

// Maps at feature resolution are resized to ImageH×ImageW before thresholding.
func TestBoxAccumulatorResize(t *testing.T) {
	// 2×2 map, hot top-left, upsampled ×4 (half-pixel bilinear): the profile
	// along each axis is 1, 1, .875, .625, .375, .125, 0, 0, so at τ = 0.4 the
	// foreground's box is exactly the top-left 4×4 quadrant (the corner
	// .625² = .39 drops out, but the edges keep the box).
	m := mapFrom([][]float32{{1, 0}, {0, 0}})
	acc, err := NewBoxAccumulator(BoxConfig{TauStep: 0.1, IoUThresholds: []float64{0.5}, ImageH: 8, ImageW: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Update([]*heatmap.Map{m}, [][]image.Rectangle{{image.Rect(0, 0, 4, 4)}}, nil); err != nil {
		t.Fatal(err)
	}
	res, _ := acc.Summary()
	near(t, "MaxBoxAcc", res.MaxBoxAcc, 100, 0)
}

// The WSOL-compatible accumulator agrees with BoxesFromMapWSOL τ by τ.
func TestBoxAccumulatorWSOLCompat(t *testing.T) {
	m := mapFrom([][]float32{
		{0.4, 0.0, 0.2, 0.2, 0.2},
		{0.4, 0.4, 0.0, 0.4, 0.0},
		{0.0, 0.0, 0.0, 0.4, 0.0},
		{1.0, 0.6, 0.8, 0.2, 0.2},
	})
	gt := []image.Rectangle{InclusiveBox(0, 0, 2, 2)}
	acc, _ := NewBoxAccumulator(BoxConfig{TauStep: 0.2, IoUThresholds: []float64{0.5}, WSOLCompat: true})
	if err := acc.Update([]*heatmap.Map{m}, [][]image.Rectangle{gt}, nil); err != nil {
		t.Fatal(err)
	}
	res, _ := acc.Summary()
	for k, tau := range res.Taus {
		boxes, _ := BoxesFromMapWSOL(m, float32(tau), false)
		want := 0.0
		if bestIoU(boxes, gt) >= 0.5 {
			want = 100
		}
		near(t, "curve", res.PerDelta[0].Curve[k], want, 0)
	}
	// Only τ = 0.2 gives wsolevaluation's box (0,0,2,2) (the 3-pixel blob of
	// contour area 0.5): IoU 1 there; τ = 0 gives (0,0,4,3), IoU 9/20; the
	// rest are on the bottom row.
	near(t, "MaxBoxAcc", res.MaxBoxAcc, 100, 0)
	near(t, "BestTau", res.BestTau, 0.2, 0)
	near(t, "curve τ=0", res.PerDelta[0].Curve[0], 0, 0)
}

func TestBoxAccumulatorBadInput(t *testing.T) {
	good := fillMap(4, 4, []image.Rectangle{image.Rect(1, 1, 3, 3)}, []float32{1})
	box := []image.Rectangle{image.Rect(1, 1, 3, 3)}
	nan := good.Clone()
	nan.Data[5] = float32(math.NaN())
	cases := []struct {
		name  string
		maps  []*heatmap.Map
		boxes [][]image.Rectangle
		cls   []bool
		want  string
	}{
		{"count", []*heatmap.Map{good}, nil, nil, "ground-truth box lists"},
		{"class count", []*heatmap.Map{good}, [][]image.Rectangle{box}, []bool{true, false}, "correctClass"},
		{"nil map", []*heatmap.Map{nil}, [][]image.Rectangle{box}, nil, "nil"},
		{"nan", []*heatmap.Map{nan}, [][]image.Rectangle{box}, nil, "NaN"},
		{"no object", []*heatmap.Map{good}, [][]image.Rectangle{{}}, nil, "no ground-truth box"},
		{"empty box", []*heatmap.Map{good}, [][]image.Rectangle{{image.Rect(2, 2, 2, 3)}}, nil, "empty"},
		{"outside", []*heatmap.Map{good}, [][]image.Rectangle{{image.Rect(5, 5, 8, 8)}}, nil, "outside"},
	}
	for _, c := range cases {
		acc, _ := NewBoxAccumulator(BoxConfig{})
		// A good batch first: a failing Update must not change it.
		if err := acc.Update([]*heatmap.Map{good}, [][]image.Rectangle{box}, nil); err != nil {
			t.Fatal(err)
		}
		err := acc.Update(c.maps, c.boxes, c.cls)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if res, _ := acc.Summary(); res.Images != 1 || res.MaxBoxAcc != 100 {
			t.Errorf("%s: failed Update changed the accumulator: %+v", c.name, res)
		}
	}
	acc, _ := NewBoxAccumulator(BoxConfig{})
	if _, err := acc.Summary(); err == nil {
		t.Error("Summary with zero images returned no error")
	}
	// An all-zero map is a documented miss at every τ, not NaN.
	if err := acc.Update([]*heatmap.Map{heatmap.NewMap(4, 4)}, [][]image.Rectangle{box}, nil); err != nil {
		t.Fatal(err)
	}
	res, _ := acc.Summary()
	if res.MaxBoxAcc != 0 || res.MaxBoxAccV2 != 0 {
		t.Errorf("all-zero map: MaxBoxAcc %v, V2 %v, want 0", res.MaxBoxAcc, res.MaxBoxAccV2)
	}
	for _, cfg := range []BoxConfig{{TauStep: -1}, {TauStep: 2}, {IoUThresholds: []float64{0}}, {IoUThresholds: []float64{1.5}}, {ImageH: 5}} {
		if _, err := NewBoxAccumulator(cfg); err == nil {
			t.Errorf("NewBoxAccumulator(%+v) returned no error", cfg)
		}
	}
}
