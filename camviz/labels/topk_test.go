package labels

import (
	"math"
	"testing"
)

func TestTopK(t *testing.T) {
	// Scores 0, ln 2, ln 4, ln 2 (+ 100 to test the shift): probabilities 1/9, 2/9, 4/9,
	// 2/9; the tie between classes 1 and 3 keeps index order.
	shift := float32(100)
	scores := []float32{shift, shift + float32(math.Ln2), shift + float32(2*math.Ln2), shift + float32(math.Ln2)}
	c := Choice{Names: []string{"a", "b", "c", "d"}}
	top := TopK(c, scores, 3)
	want := []struct {
		class int
		prob  float64
	}{{2, 4.0 / 9}, {1, 2.0 / 9}, {3, 2.0 / 9}}
	if len(top) != 3 {
		t.Fatalf("%d predictions", len(top))
	}
	for i, w := range want {
		if top[i].Class != w.class || math.Abs(top[i].Prob-w.prob) > 1e-6 || top[i].Name != c.Names[w.class] {
			t.Errorf("top-%d = %+v, want class %d p %.6f", i+1, top[i], w.class, w.prob)
		}
	}
	if s := top[0].String(); s != "c (2) 0.4444" {
		t.Errorf("String %q", s)
	}
	if s := TopK(Choice{}, scores, 1)[0].String(); s != "class 2 0.4444" {
		t.Errorf("unnamed String %q", s)
	}
	if n := len(TopK(c, scores, 10)); n != 4 {
		t.Errorf("k > classes: %d predictions", n)
	}
	if n := len(TopK(c, scores, -1)); n != 0 {
		t.Errorf("k < 0: %d predictions", n)
	}
}
