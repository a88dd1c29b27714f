package fastconv

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

func TestCovered(t *testing.T) {
	c := namedCases()[0]
	in, k := shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...)
	if err := Covered(in, k, c.axes, c.strides, c.pads, c.inDil, c.kDil, 1, 1); err != nil {
		t.Errorf("float32 3x3 conv not covered: %v", err)
	}
	for _, tc := range []struct {
		name    string
		in, k   shapes.Shape
		channel int
		reason  string
	}{
		{"float16", shapes.Make(dtypes.Float16, c.inDims...), shapes.Make(dtypes.Float16, c.kDims...), 1, "dtype"},
		{"int32", shapes.Make(dtypes.Int32, c.inDims...), shapes.Make(dtypes.Int32, c.kDims...), 1, "dtype"},
		{"bad channel groups", in, k, 2, "invalid configuration"},
		{"dynamic batch", shapes.MakeDynamic(dtypes.Float32, []int{shapes.DynamicDim, 7, 6, 5}, []string{"batch", "", "", ""}), k, 1, "dynamic"},
	} {
		err := Covered(tc.in, tc.k, c.axes, c.strides, c.pads, c.inDil, c.kDil, tc.channel, 1)
		if !errors.Is(err, ErrNotCovered) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: Covered = %v, want ErrNotCovered mentioning %q", tc.name, err, tc.reason)
		}
	}
}

// TestFallbackHalfPrecision: float16 convolutions go to the native op, with
// the native result, and are counted as fallbacks.
func TestFallbackHalfPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	c := namedCases()[1]
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	fn := func(in []*graph.Node) []*graph.Node {
		y := c.conv(graph.ConvertDType(in[0], dtypes.Float16), graph.ConvertDType(in[1], dtypes.Float16))
		return []*graph.Node{graph.ConvertDType(y, dtypes.Float32)}
	}
	wrapped := Wrap(native()).(*Backend)
	want := run(t, native(), fn, must(x.LocalClone()), must(k.LocalClone()))
	got := run(t, wrapped, fn, must(x.LocalClone()), must(k.LocalClone()))
	if e := relErr(flat32(t, got[0]), flat32(t, want[0])); e != 0 {
		t.Errorf("float16 fallback differs from native: relative error %.3g", e)
	}
	if s := wrapped.Stats(); s.Lowered != 0 || s.Fallback != 1 {
		t.Errorf("stats = %+v, want 1 fallback", s)
	}
}

// TestFallbackPatchLimit: a conv whose patch tensor exceeds MaxPatchBytes
// falls back, with the native result.
func TestFallbackPatchLimit(t *testing.T) {
	saved := MaxPatchBytes
	defer func() { MaxPatchBytes = saved }()
	MaxPatchBytes = 1024
	rng := rand.New(rand.NewPCG(10, 10))
	s := compareConv(t, rng, namedCases()[0], true, 1e-5)
	if s.Lowered != 0 || s.Fallback != 3 {
		t.Errorf("stats = %+v, want all 3 convolutions (forward, 2 gradients) to fall back", s)
	}
}

// TestInvalidConfigReportsNativeError: an invalid conv is handed to the
// native op, whose error reaches the caller.
func TestInvalidConfigReportsNativeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	c := namedCases()[0]
	c.channelGroups = 2 // 5 input channels are not divisible by 2.
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	wrapped := Wrap(native()).(*Backend)
	e, err := graph.NewExec(wrapped, func(in []*graph.Node) []*graph.Node { return []*graph.Node{c.conv(in[0], in[1])} })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	if _, err := e.Call(x, k); err == nil || !strings.Contains(err.Error(), "channelGroupCount") {
		t.Errorf("invalid conv: error %v, want the native op's complaint about channelGroupCount", err)
	}
	if s := wrapped.Stats(); s.Lowered != 0 || s.Fallback != 1 {
		t.Errorf("stats = %+v, want 1 fallback", s)
	}
}
