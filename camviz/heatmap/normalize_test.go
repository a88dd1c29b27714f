package heatmap

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

func TestFromSliceErrors(t *testing.T) {
	for _, c := range []struct{ h, w, n int }{{2, 3, 5}, {2, 3, 7}, {0, 3, 0}, {-1, 2, 2}, {2, 0, 0}} {
		if _, err := FromSlice(c.h, c.w, make([]float32, c.n)); err == nil {
			t.Errorf("FromSlice(%d, %d, %d values): no error", c.h, c.w, c.n)
		}
	}
	m, err := FromSlice(2, 3, []float32{0, 1, 2, 3, 4, 5})
	if err != nil || m.At(1, 2) != 5 || m.At(0, 1) != 1 {
		t.Fatalf("FromSlice(2,3): %v %v", m, err)
	}
	c := m.Clone()
	c.Data[0] = 9
	if m.Data[0] != 0 {
		t.Error("Clone shares data")
	}
}

func TestReLUAndMinMax(t *testing.T) {
	m := mustMap(t, [][]float32{{-2, 0, 1}, {3, -0.5, 5}})
	checkMap(t, "ReLU", ReLU(m), [][]float32{{0, 0, 1}, {3, 0, 5}}, 0)
	// min = −2, range 7: (x+2)/(7+1e-7).
	d := float32(7 + 1e-7)
	checkMap(t, "MinMax", MinMax(m), [][]float32{{0, 2 / d, 3 / d}, {5 / d, 1.5 / d, 7 / d}}, 1e-7)
	if m.Data[0] != -2 {
		t.Error("ReLU/MinMax modified their input")
	}
}

func TestMinMaxDegenerate(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for name, c := range map[string]struct{ in, want [][]float32 }{
		"zeros":    {[][]float32{{0, 0}, {0, 0}}, [][]float32{{0, 0}, {0, 0}}},
		"constant": {[][]float32{{3.5, 3.5}, {3.5, 3.5}}, [][]float32{{0, 0}, {0, 0}}},
		"negative": {[][]float32{{-1e30, -1e30}}, [][]float32{{0, 0}}},
		// NaN and Inf count as 0 for min/max and give 0: min 0, max 4.
		"nan":     {[][]float32{{nan, 2}, {4, inf}}, [][]float32{{0, 2 / (4 + 1e-7)}, {4 / (4 + 1e-7), 0}}},
		"all-nan": {[][]float32{{nan, nan}}, [][]float32{{0, 0}}},
	} {
		got := MinMax(mustMap(t, c.in))
		if HasNaN(got) {
			t.Errorf("%s: MinMax gave NaN: %v", name, got.Data)
		}
		checkMap(t, name, got, c.want, 1e-7)
	}
	if !HasNaN(mustMap(t, [][]float32{{1, nan}})) || HasNaN(mustMap(t, [][]float32{{1, inf}})) {
		t.Error("HasNaN wrong")
	}
}

// refMethods are the pytorch-grad-cam methods with a reference final map.
var refMethods = []string{"GradCAM", "HiResCAM", "GradCAMElementWise", "LayerCAM", "XGradCAM",
	"GradCAMPlusPlus", "ScoreCAM", "AblationCAM", "EigenCAM", "EigenGradCAM"}

// TestPostProcessReference checks final = minmax(resize(minmax(relu(raw)))) against
// pytorch-grad-cam v1.5.5's returned maps: relu3 (16×16 → 32×32, cv2 resize),
// relu2 (32×32, no resize) and the batch of two at relu3.
func TestPostProcessReference(t *testing.T) {
	worst := 0.0
	defer func() { t.Logf("worst max |diff| over all methods and images: %g", worst) }()
	cases := []struct{ dir, tag string }{{"relu3", "cls3"}, {"relu3", "argmax"}, {"relu2", "cls3"},
		{"relu3_batch2", "cls3_cls5"}}
	for _, c := range cases {
		methods := append([]string{}, refMethods...)
		if c.dir == "relu3" {
			methods = append(methods, "CAM")
		}
		for _, meth := range methods {
			base := filepath.Join(refDir, c.dir, fmt.Sprintf("%s_%s_", meth, c.tag))
			raws, finals := loadMaps(t, base+"raw.npy"), loadMaps(t, base+"final.npy")
			if len(raws) != len(finals) {
				t.Fatalf("%s: %d raw maps, %d finals", base, len(raws), len(finals))
			}
			for i := range raws {
				got := PostProcess(raws[i], finals[i].H, finals[i].W)
				d := maxAbsDiff(got, finals[i])
				worst = max(worst, d)
				if d > 1e-5 {
					t.Errorf("%s image %d: %dx%d -> %dx%d: max |diff| = %g > 1e-5", base, i, raws[i].H, raws[i].W, got.H, got.W, d)
				}
			}
		}
	}
}

// TestAggregateLayersReference checks the two-layer run (relu2 32×32 and relu3
// 16×16): final = minmax(mean_l relu(resize(minmax(relu(raw_l))))).
func TestAggregateLayersReference(t *testing.T) {
	worst := 0.0
	defer func() { t.Logf("worst max |diff| over all methods: %g", worst) }()
	for _, meth := range refMethods {
		base := filepath.Join(refDir, "relu2+relu3", meth+"_cls3_")
		final := loadMaps(t, base+"final.npy")[0]
		var layers []*Map
		for _, l := range []string{"raw_l0", "raw_l1"} {
			layers = append(layers, ScaleLayer(loadMaps(t, base+l+".npy")[0], final.H, final.W))
		}
		got, err := AggregateLayers(layers)
		if err != nil {
			t.Fatal(err)
		}
		d := maxAbsDiff(got, final)
		worst = max(worst, d)
		if d > 1e-5 {
			t.Errorf("%s: max |diff| = %g > 1e-5", base, d)
		}
	}
}

func TestAggregateLayersIdentityAndErrors(t *testing.T) {
	raw := mustMap(t, [][]float32{{-1, 2}, {0.5, 4}})
	one, err := AggregateLayers([]*Map{ScaleLayer(raw, 3, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(one, PostProcess(raw, 3, 5)); d != 0 {
		t.Errorf("AggregateLayers of one layer differs from PostProcess by %g", d)
	}
	// Mean of relu: (relu([−1, 4]) + [3, 0])/2 = [1.5, 2] → minmax → [0, 1].
	got, err := AggregateLayers([]*Map{mustMap(t, [][]float32{{-1, 4}}), mustMap(t, [][]float32{{3, 0}})})
	if err != nil {
		t.Fatal(err)
	}
	checkMap(t, "mean", got, [][]float32{{0, float32(0.5 / (0.5 + 1e-7))}}, 1e-7)
	for name, in := range map[string][]*Map{
		"empty":    nil,
		"nil":      {raw, nil},
		"mismatch": {raw, NewMap(2, 3)},
	} {
		if _, err := AggregateLayers(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
