package preprocess

import (
	"slices"
	"testing"
)

// The caffe preset: BGR, range 0–255, mean (B, G, R) = (104, 117, 123), std 1, 224×224;
// a fixed model size beats its 224, flags beat it, and it beats what the model states.
// Applied to one pixel (R, G, B) = (1, 0.5, 0) it gives, by hand, channel 0 (blue)
// 0·255 − 104 = −104, channel 1 (green) 127.5 − 117 = 10.5, channel 2 (red) 255 − 123 = 132.
func TestPresetCaffe(t *testing.T) {
	p, err := Resolve(Stated{Channels: 3, Range: Range01, Mean: []float32{0.5}}, Request{Preset: PresetCaffe})
	if err != nil {
		t.Fatal(err)
	}
	want := "preprocessing: 224×224 (--preset caffe), BGR (--preset caffe), range 0-255 (--preset caffe), " +
		"mean [104 117 123] (--preset caffe), std [1 1 1] (--preset caffe)"
	if p.String() != want {
		t.Errorf("String:\n got %s\nwant %s", p, want)
	}
	p.Height, p.Width = 1, 1
	got, err := p.Apply([]float32{1, 0.5, 0}, true)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "caffe pixel", got, []float64{-104, 10.5, 132})

	rgb := false
	p, err = Resolve(Stated{Channels: 3, Height: 227, Width: 227, Fixed: true}, Request{Preset: PresetCaffe, BGR: &rgb, Mean: []float32{0}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Height != 227 || p.BGR || p.Why.Order != "--bgr" || !slices.Equal(p.Mean, []float32{0, 0, 0}) || p.Range != Range0255 {
		t.Errorf("flags and a fixed size over the caffe preset: %+v", p)
	}
	if _, err := Resolve(Stated{Channels: 1}, Request{Preset: PresetCaffe}); err == nil {
		t.Error("caffe preset on a 1-channel model: no error")
	}
}
