package evaluate

import (
	"image"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
)

// A model that states BGR, range 0–255, mean (10, 20, 30) and std (2, 4, 5) in its
// channel order: a pixel (R, G, B) = (0.2, 0.4, 0.6) becomes
// ((0.6·255 − 10)/2, (0.4·255 − 20)/4, (0.2·255 − 30)/5) = (71.5, 20.5, 4.2).
func TestPreprocessAppliesTheModelsStatement(t *testing.T) {
	m, err := models.New(models.GAPCNNSpec(4, 4, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	ex := rectExample(4, 4, image.Rect(0, 0, 2, 2), 0, 0)
	for p := 0; p < 16; p++ {
		ex.Image[3*p], ex.Image[3*p+1], ex.Image[3*p+2] = 0.2, 0.4, 0.6
	}
	plain := ex
	plain.Image = append([]float32(nil), ex.Image...)
	if _, changed, err := Preprocess(m, []datasets.Example{plain}); err != nil || changed {
		t.Fatalf("a zoo model states nothing: changed %v, %v", changed, err)
	}
	m.Input = models.InputHints{BGR: true, PixelRange: "0-255", Mean: []float32{10, 20, 30}, Std: []float32{2, 4, 5}}
	exs := []datasets.Example{ex}
	plan, changed, err := Preprocess(m, exs)
	if err != nil || !changed || !plan.BGR {
		t.Fatalf("plan %v, changed %v, %v", plan, changed, err)
	}
	want := []float32{71.5, 20.5, 4.2}
	for p := 0; p < 16; p++ {
		for k, w := range want {
			if got := exs[0].Image[3*p+k]; got-w > 1e-4 || w-got > 1e-4 {
				t.Fatalf("pixel %d channel %d = %v, want %v", p, k, got, w)
			}
		}
	}
}
