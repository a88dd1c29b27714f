package metrics

import (
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

func TestROADKeepMask(t *testing.T) {
	// Values 0, 0.1, …, 0.9. percentile(v, 80): rank 7.2 → 0.72, so MoRF(80)
	// removes the two highest. LeRF(20): percentile(1−v, 20) = 0.28, keeping the
	// two highest v and removing the eight lowest.
	m := &heatmap.Map{H: 1, W: 10, Data: []float32{0, .1, .2, .3, .4, .5, .6, .7, .8, .9}}
	morf, err := ROADKeepMask(m, 80, true)
	if err != nil {
		t.Fatal(err)
	}
	lerf, _ := ROADKeepMask(m, 20, false)
	for i := range m.Data {
		if morf[i] != (i < 8) {
			t.Errorf("MoRF(80) keep[%d] = %v", i, morf[i])
		}
		if lerf[i] != (i >= 8) {
			t.Errorf("LeRF(20) keep[%d] = %v", i, lerf[i])
		}
	}
	near(t, "percentile", percentileLinear([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 80), 7.2, 1e-12)
	near(t, "percentile ≥ .5 branch", percentileLinear([]float64{0, 10}, 75), 7.5, 1e-12)
	// A constant map keeps nothing (nothing is below its own percentile).
	for _, morf := range []bool{true, false} {
		keep, _ := ROADKeepMask(heatmap.NewMap(2, 2), 50, morf)
		for _, k := range keep {
			if k {
				t.Error("constant map kept a pixel")
			}
		}
	}
	if _, err := ROADKeepMask(m, 101, true); err == nil {
		t.Error("percentile 101 accepted")
	}
}

// centreScore returns the value of pixel (1,1) of 3×3 single-channel images.
func centreScore(images []float32, n, h, w, c int) ([]float32, error) {
	out := make([]float32, n)
	for i := range out {
		out[i] = images[i*h*w*c+(1*w+1)*c]
	}
	return out, nil
}

// Image [[9 2 0] [4 5 0] [0 0 0]], score = centre value Y = 5. The map ranks
// (1,1) first and (0,0) second, (2,1) and (2,2) last, so at p = 80 MoRF
// removes (0,0) and (1,1), which impute to 156/59 and 72/59 (worked out in
// TestImputerCoupledPixels): change 72/59 − 5. LeRF removes (2,1) and (2,2):
// the centre stays, change 0. Combined = (0 − (72/59 − 5))/2.
func TestROADAccumulatorHandCase(t *testing.T) {
	img := []float32{9, 2, 0, 4, 5, 0, 0, 0, 0}
	m := &heatmap.Map{H: 3, W: 3, Data: []float32{7. / 8, 2. / 8, 3. / 8, 4. / 8, 1, 5. / 8, 6. / 8, 1. / 8, 0}}
	acc, err := NewROADAccumulator(centreScore, ROADConfig{Percentiles: []float64{80}, Noise: -1})
	if err != nil {
		t.Fatal(err)
	}
	b := Batch{Pixels: append(append([]float32(nil), img...), img...), N: 2, H: 3, W: 3, C: 1}
	if err := acc.Update(b, []*heatmap.Map{m, m}); err != nil {
		t.Fatal(err)
	}
	res, err := acc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	morf := 72.0/59 - 5
	near(t, "MoRF", res.MoRF[0], morf, 1e-6)
	near(t, "LeRF", res.LeRF[0], 0, 0)
	near(t, "MoRFAverage", res.MoRFAverage, morf, 1e-6)
	near(t, "Combined", res.Combined, -morf/2, 1e-6)
	if res.Images != 2 || res.FullyRemoved != 0 {
		t.Errorf("Images %d FullyRemoved %d, want 2, 0", res.Images, res.FullyRemoved)
	}
}

// With noise, the same seed gives the same result however the data is batched.
func TestROADSeededAcrossBatches(t *testing.T) {
	const h, w = 8, 8
	img := make([]float32, 2*h*w)
	maps := []*heatmap.Map{heatmap.NewMap(h, w), heatmap.NewMap(h, w)}
	r := lcg(11)
	for i := range img {
		img[i] = float32(r.next())
	}
	for _, m := range maps {
		for i := range m.Data {
			m.Data[i] = float32(r.next())
		}
	}
	meanScore := linearScore(0, func() []float32 {
		c := make([]float32, h*w)
		for i := range c {
			c[i] = 1.0 / (h * w)
		}
		return c
	}())
	run := func(split bool, seed uint64) ROADResult {
		acc, _ := NewROADAccumulator(meanScore, ROADConfig{Seed: seed, BatchSize: 3})
		if split {
			for i := 0; i < 2; i++ {
				if err := acc.Update(Batch{Pixels: img[i*h*w : (i+1)*h*w], N: 1, H: h, W: w, C: 1}, maps[i:i+1]); err != nil {
					t.Fatal(err)
				}
			}
		} else if err := acc.Update(Batch{Pixels: img, N: 2, H: h, W: w, C: 1}, maps); err != nil {
			t.Fatal(err)
		}
		res, _ := acc.Summary()
		return res
	}
	a, b, c := run(false, 5), run(true, 5), run(false, 6)
	if len(a.MoRF) != 9 {
		t.Fatalf("default percentiles: got %d, want 9", len(a.MoRF))
	}
	for k := range a.MoRF {
		if a.MoRF[k] != b.MoRF[k] || a.LeRF[k] != b.LeRF[k] {
			t.Fatalf("percentile %v: batching changed the result: %v/%v vs %v/%v", a.Percentiles[k], a.MoRF[k], a.LeRF[k], b.MoRF[k], b.LeRF[k])
		}
	}
	if a.Combined == c.Combined {
		t.Error("a different seed gave the same Combined score")
	}
}

func TestROADAllZeroMapAndErrors(t *testing.T) {
	img := []float32{9, 2, 0, 4, 5, 0, 0, 0, 0}
	acc, _ := NewROADAccumulator(centreScore, ROADConfig{Percentiles: []float64{50}, Noise: -1})
	b := Batch{Pixels: img, N: 1, H: 3, W: 3, C: 1}
	// An all-zero map removes everything in both orders: the documented zero
	// image, so the centre score drops from 5 to 0.
	if err := acc.Update(b, []*heatmap.Map{heatmap.NewMap(3, 3)}); err != nil {
		t.Fatal(err)
	}
	res, _ := acc.Summary()
	if res.FullyRemoved != 2 {
		t.Errorf("FullyRemoved = %d, want 2", res.FullyRemoved)
	}
	near(t, "MoRF", res.MoRF[0], -5, 0)
	near(t, "LeRF", res.LeRF[0], -5, 0)
	near(t, "Combined", res.Combined, 0, 0)
	if err := acc.Update(b, []*heatmap.Map{heatmap.NewMap(2, 2)}); err == nil {
		t.Error("map of the wrong size accepted")
	}
	for _, cfg := range []ROADConfig{{Percentiles: []float64{-5}}, {BatchSize: -1}} {
		if _, err := NewROADAccumulator(centreScore, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	empty, _ := NewROADAccumulator(centreScore, ROADConfig{})
	if _, err := empty.Summary(); err == nil {
		t.Error("Summary with zero images returned no error")
	}
}
