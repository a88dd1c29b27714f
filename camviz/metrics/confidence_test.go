package metrics

import (
	"errors"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// linearScore is score = bias + Σ_p coef[p]·x_p over each image (c = 1).
func linearScore(bias float32, coef []float32) ScoreFn {
	return func(images []float32, n, h, w, c int) ([]float32, error) {
		size := h * w * c
		out := make([]float32, n)
		for i := range out {
			s := bias
			for p, v := range images[i*size : (i+1)*size] {
				s += coef[p] * v
			}
			out[i] = s
		}
		return out, nil
	}
}

// score = 0.1 + (x0 + x1 − x2 − x3)/4 on 2×2 single-channel images:
//
//	image 1: x = 1111, Y = 0.1; map 1100 → O = 0.6: an increase, no drop.
//	image 2: x = 1110, Y = 0.35; map ½½11 → x⊙M = ½½10, O = 0.1: drop 0.25/0.35 = 5/7.
//	image 3: x = 1100, Y = 0.6; map 1111 → O = Y: neither.
//
// Average Drop = 100·(5/7)/3, Increase = 100/3, pytorch-grad-cam's mean drop = 0.25/3.
func TestAverageDropAndIncrease(t *testing.T) {
	score := linearScore(0.1, []float32{0.25, 0.25, -0.25, -0.25})
	b := Batch{Pixels: []float32{1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0}, N: 3, H: 2, W: 2, C: 1}
	maps := []*heatmap.Map{
		{H: 2, W: 2, Data: []float32{1, 1, 0, 0}},
		{H: 2, W: 2, Data: []float32{0.5, 0.5, 1, 1}},
		{H: 2, W: 2, Data: []float32{1, 1, 1, 1}},
	}
	for _, bs := range []int{0, 1, 4} {
		acc, err := NewConfidenceAccumulator(score, ConfidenceConfig{BatchSize: bs})
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.Update(b, maps); err != nil {
			t.Fatal(err)
		}
		res, err := acc.Summary()
		if err != nil {
			t.Fatal(err)
		}
		near(t, "AverageDrop", res.AverageDrop, 100*(5.0/7)/3, 1e-5)
		near(t, "IncreaseInConfidence", res.IncreaseInConfidence, 100.0/3, 1e-12)
		near(t, "MeanDrop", res.MeanDrop, 0.25/3, 1e-6)
		if res.Images != 3 {
			t.Errorf("Images = %d, want 3", res.Images)
		}
	}
}

func TestAverageDropBadInput(t *testing.T) {
	b := Batch{Pixels: []float32{1, 1, 1, 1}, N: 1, H: 2, W: 2, C: 1}
	m := []*heatmap.Map{{H: 2, W: 2, Data: []float32{1, 1, 1, 1}}}
	acc, _ := NewConfidenceAccumulator(linearScore(-1, []float32{0, 0, 0, 0}), ConfidenceConfig{})
	if err := acc.Update(b, m); err == nil || !strings.Contains(err.Error(), "≤ 0") {
		t.Errorf("non-positive score: error %v", err)
	}
	if _, err := acc.Summary(); err == nil {
		t.Error("Summary after a failed Update (zero images) returned no error")
	}
	good, _ := NewConfidenceAccumulator(linearScore(1, []float32{0, 0, 0, 0}), ConfidenceConfig{})
	failing := func([]float32, int, int, int, int) ([]float32, error) { return nil, errors.New("device lost") }
	short := func([]float32, int, int, int, int) ([]float32, error) { return []float32{1}, nil }
	for _, c := range []struct {
		name string
		acc  *ConfidenceAccumulator
		b    Batch
		maps []*heatmap.Map
		want string
	}{
		{"map size", good, b, []*heatmap.Map{{H: 1, W: 4, Data: []float32{1, 1, 1, 1}}}, "resize"},
		{"map count", good, b, nil, "one map per image"},
		{"pixels", good, Batch{Pixels: []float32{1}, N: 1, H: 2, W: 2, C: 1}, m, "NHWC"},
		{"zero images with pixels", good, Batch{Pixels: []float32{1}, H: 2, W: 2, C: 1}, nil, "positive"},
		{"nan map", good, b, []*heatmap.Map{{H: 2, W: 2, Data: []float32{1, float32(nan()), 1, 1}}}, "NaN"},
		{"score error", mustConf(failing), b, m, "device lost"},
		{"score count", mustConf(short), b, m, "one target score per image"},
	} {
		if err := c.acc.Update(c.b, c.maps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// An empty batch is a documented no-op; the summary still has zero images.
	if err := good.Update(Batch{}, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	if _, err := good.Summary(); err == nil {
		t.Error("Summary with zero images returned no error")
	}
	if _, err := NewConfidenceAccumulator(nil, ConfidenceConfig{}); err == nil {
		t.Error("nil ScoreFn accepted")
	}
}

func mustConf(fn ScoreFn) *ConfidenceAccumulator {
	a, err := NewConfidenceAccumulator(fn, ConfidenceConfig{})
	if err != nil {
		panic(err)
	}
	return a
}
