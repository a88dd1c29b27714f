package evaluate

import (
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
)

func TestModelScoreIsSoftmaxOfPredict(t *testing.T) {
	b := testBackend(t)
	m := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	ex := tinySynthetic(t, 3)
	images, _, _ := datasets.Stack(ex)
	logits, err := m.Predict(b, images, 3)
	if err != nil {
		t.Fatal(err)
	}
	score, err := ModelScore(b, m)
	if err != nil {
		t.Fatal(err)
	}
	for class := 0; class < 3; class++ {
		// 3 images are padded to 4: the padding must not change the scores.
		got, err := score(images, 3, 16, 16, 3, class)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range logits {
			sum := 0.0
			for _, v := range l {
				sum += math.Exp(float64(v))
			}
			want := math.Exp(float64(l[class])) / sum
			if math.Abs(float64(got[i])-want) > 1e-6 {
				t.Errorf("image %d class %d: score %v, softmax of Predict %v", i, class, got[i], want)
			}
		}
		one, _ := score(images[:16*16*3], 1, 16, 16, 3, class)
		if math.Abs(float64(one[0]-got[0])) > 1e-6 {
			t.Errorf("class %d: image 0 alone scores %v, in a batch of 3 %v", class, one[0], got[0])
		}
	}
	if _, err := score(images, 3, 16, 16, 3, 5); err == nil || !strings.Contains(err.Error(), "class 5") {
		t.Errorf("class 5 of 3: err = %v", err)
	}
	if _, err := score(images, 3, 8, 8, 3, 0); err == nil || !strings.Contains(err.Error(), "16x16x3") {
		t.Errorf("8x8 images: err = %v", err)
	}
}

func TestToChannelsFirst(t *testing.T) {
	// Two 1×2 images with 3 channels: HWC (p0c0 p0c1 p0c2 p1c0 …) → CHW (c0p0 c0p1 c1p0 …).
	in := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	want := []float32{1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12}
	got := toChannelsFirst(in, 2, 1, 2, 3)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("toChannelsFirst = %v, want %v", got, want)
		}
	}
}
