package preprocess

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// A 2×2 picture (R, G, B per pixel) through BGR, range 0–255, mean and std, checked
// against values computed by hand.
func TestApplyHandValues(t *testing.T) {
	rgb := []float32{
		1, 0, 0.5, 0.2, 0.4, 0.6,
		0, 0, 0, 1, 1, 1,
	}
	bgr := true
	p, err := Resolve(Stated{Channels: 3, Height: 2, Width: 2, Fixed: true},
		Request{BGR: &bgr, Range: Range0255, Mean: []float32{100, 110, 120}, Std: []float32{2, 4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	// Channel 0 is blue: (B·255 − 100)/2; channel 1 green: (G·255 − 110)/4; channel 2
	// red: (R·255 − 120)/5.
	// p0 (1, 0, 0.5): B 127.5 → 13.75, G 0 → −27.5, R 255 → 27
	// p1 (0.2, 0.4, 0.6): B 153 → 26.5, G 102 → −2, R 51 → −13.8
	// p2 (0, 0, 0): −50, −27.5, −24;  p3 (1, 1, 1): 77.5, 36.25, 27
	wantCHW := []float64{13.75, 26.5, -50, 77.5, -27.5, -2, -27.5, 36.25, 27, -13.8, -24, 27}
	got, err := p.Apply(rgb, true)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "NCHW", got, wantCHW)
	wantHWC := make([]float64, 12)
	for k := range 3 {
		for px := range 4 {
			wantHWC[px*3+k] = wantCHW[k*4+px]
		}
	}
	got, err = p.Apply(rgb, false)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "NHWC", got, wantHWC)

	// Grey: the mean of R, G, B, range 0–1, (v − 0.5)/0.25.
	p, err = Resolve(Stated{Channels: 1, Height: 2, Width: 2}, Request{Mean: []float32{0.5}, Std: []float32{0.25}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = p.Apply(rgb, true)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "grey", got, []float64{(0.5 - 0.5) / 0.25, (0.4 - 0.5) / 0.25, -2, 2})

	if _, err := p.Apply(rgb[:9], true); err == nil {
		t.Error("a picture of the wrong size: no error")
	}
}

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > 1e-4 {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	stated := Stated{Channels: 3, Height: 227, Width: 227, BGR: true, Range: Range0255,
		Mean: []float32{104, 117, 123}, Sources: []string{"metadata Image.BitmapPixelFormat=Bgr8"}}

	// The model's statements apply when the user says nothing.
	p, err := Resolve(stated, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.BGR || p.Range != Range0255 || !slices.Equal(p.Mean, []float32{104, 117, 123}) || !slices.Equal(p.Std, []float32{1, 1, 1}) ||
		p.Height != 227 || p.Why.Order != whyStated || p.Why.Std != whyDefault || p.Why.Size != "the model's input size" {
		t.Errorf("stated: %+v", p)
	}
	want := "preprocessing: 227×227 (the model's input size), BGR (stated by the model), range 0-255 (stated by the model), " +
		"mean [104 117 123] (stated by the model), std [1 1 1] (default); the model states: metadata Image.BitmapPixelFormat=Bgr8"
	if p.String() != want {
		t.Errorf("String:\n got %s\nwant %s", p, want)
	}

	// A preset overrides the model; flags override the preset.
	p, err = Resolve(stated, Request{Preset: PresetImageNet})
	if err != nil {
		t.Fatal(err)
	}
	if p.BGR || p.Range != Range01 || !slices.Equal(p.Mean, ImageNetMean) || !slices.Equal(p.Std, ImageNetStd) || p.Height != 224 ||
		p.Why.Mean != "--preset imagenet" {
		t.Errorf("preset: %+v", p)
	}
	rgb := false
	p, err = Resolve(Stated{Channels: 3, BGR: true}, Request{Preset: PresetImageNet, Height: 32, Width: 48, Range: Range0255,
		Mean: []float32{1}, BGR: &rgb})
	if err != nil {
		t.Fatal(err)
	}
	if p.Height != 32 || p.Width != 48 || p.Range != Range0255 || !slices.Equal(p.Mean, []float32{1, 1, 1}) ||
		!slices.Equal(p.Std, ImageNetStd) || p.BGR || p.Why.Order != "--bgr" || p.Why.Size != "--size" {
		t.Errorf("flags over preset: %+v", p)
	}

	// A fixed model size beats the preset's 224; the none preset resets everything.
	p, err = Resolve(Stated{Channels: 3, Height: 227, Width: 227, Fixed: true, BGR: true, Range: Range0255}, Request{Preset: PresetNone})
	if err != nil {
		t.Fatal(err)
	}
	if p.Height != 227 || p.Why.Size != whyFixed || p.BGR || p.Range != Range01 || !slices.Equal(p.Mean, []float32{0, 0, 0}) {
		t.Errorf("none on a fixed model: %+v", p)
	}

	// Nothing stated, nothing asked: defaults.
	p, err = Resolve(Stated{Channels: 3}, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "preprocessing: 224×224 (default), RGB (default), range 0-1 (default), mean [0 0 0] (default), std [1 1 1] (default)" {
		t.Errorf("defaults: %s", p)
	}
}

func TestResolveErrors(t *testing.T) {
	bgr := true
	for name, c := range map[string]struct {
		s   Stated
		r   Request
		msg string
	}{
		"channels":      {Stated{Channels: 4}, Request{}, "4-channel"},
		"preset":        {Stated{Channels: 3}, Request{Preset: "coco"}, `unknown preset "coco"`},
		"preset grey":   {Stated{Channels: 1}, Request{Preset: PresetImageNet}, "3-channel models"},
		"range":         {Stated{Channels: 3}, Request{Range: "0-256"}, `--range "0-256"`},
		"half size":     {Stated{Channels: 3}, Request{Height: 3}, "positive height and width"},
		"mean count":    {Stated{Channels: 3}, Request{Mean: []float32{1, 2}}, "mean [1 2] (--mean) has 2 values"},
		"model std":     {Stated{Channels: 3, Std: []float32{1, 2}}, Request{}, "(stated by the model) has 2 values"},
		"zero std":      {Stated{Channels: 3}, Request{Std: []float32{1, 0, 1}}, "has a 0"},
		"bgr grey":      {Stated{Channels: 1}, Request{BGR: &bgr}, "1-channel"},
		"bad model rng": {Stated{Channels: 3, Range: "0-65535"}, Request{}, "the model's range"},
	} {
		_, err := Resolve(c.s, c.r)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.msg)
		}
	}
}
