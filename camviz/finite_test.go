package camviz

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// firstNonFiniteFloat64 is checkFinite's scan before the bit test: math.IsNaN ||
// math.IsInf on each value widened to float64; the reference of the tests and the
// baseline of BenchmarkCheckFinite.
func firstNonFiniteFloat64(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// TestFirstNonFinite: NaN (quiet, signalling, negative), ±Inf, the largest finite
// floats, denormals, zeros, at the start, the end and inside, alone and after
// another; the index is the reference scan's.
func TestFirstNonFinite(t *testing.T) {
	specials := []float32{float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000),
		float32(math.Inf(1)), float32(math.Inf(-1))}
	finite := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, math.Float32frombits(0x007fffff), 1, -0.5}
	base := make([]float32, 1000)
	for i := range base {
		base[i] = finite[i%len(finite)]
	}
	if got := firstNonFinite(base); got != -1 {
		t.Fatalf("all finite: %d, want -1", got)
	}
	if got := firstNonFinite(nil); got != -1 {
		t.Fatalf("empty: %d, want -1", got)
	}
	for _, s := range specials {
		for _, at := range []int{0, 1, 499, 998, 999} {
			x := append([]float32(nil), base...)
			x[at] = s
			if at+1 < len(x) {
				x[len(x)-1] = float32(math.Inf(1)) // a later one must not win
			}
			if got, want := firstNonFinite(x), firstNonFiniteFloat64(x); got != want || got != at {
				t.Errorf("%v at %d: %d, reference %d", s, at, got, want)
			}
		}
	}
	img := tensors.FromFlatDataAndDimensions(append(append([]float32(nil), base[:12]...), 1, 2, float32(math.NaN()), 3), 2, 2, 2, 2)
	if err := checkFinite(img); err == nil || !strings.Contains(err.Error(), "at example 1 (flat index 6)") {
		t.Errorf("checkFinite: %v, want NaN at example 1, flat index 6", err)
	}
}

// checkFiniteBefore is checkFinite as it was: the float64 scan inside the closure,
// with the error built in the loop.
func checkFiniteBefore(images *tensors.Tensor) error {
	var bad error
	tensors.MustConstFlatData(images, func(flat []float32) {
		per := len(flat) / images.Shape().Dimensions[0]
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = fmt.Errorf("camviz: images contain %v at example %d (flat index %d): clean the input first", v, i/per, i%per)
				return
			}
		}
	})
	return bad
}

// BenchmarkCheckFinite times Explain's input check on one 224² RGB image, checkFinite
// and its scan alone, against the float64 IsNaN/IsInf versions they replaced.
func BenchmarkCheckFinite(b *testing.B) {
	data := make([]float32, 224*224*3)
	for i := range data {
		data[i] = float32(i%255) / 255
	}
	img := tensors.FromFlatDataAndDimensions(data, 1, 224, 224, 3)
	for _, c := range []struct {
		name string
		fn   func(*tensors.Tensor) error
	}{{"checkFinite", checkFinite}, {"checkFinite before", checkFiniteBefore}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.fn(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("bit test", func(b *testing.B) {
		for b.Loop() {
			if firstNonFinite(data) >= 0 {
				b.Fatal("non-finite")
			}
		}
	})
	b.Run("float64 IsNaN||IsInf (before)", func(b *testing.B) {
		for b.Loop() {
			if firstNonFiniteFloat64(data) >= 0 {
				b.Fatal("non-finite")
			}
		}
	})
}
