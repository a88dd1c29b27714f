package fastconv

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestSmallProducts lowers ResNet-18's stem and 3×3 @56 convolutions (batch
// 2, forward and both gradients) with SmallProducts on, which cuts their
// products into chunks of 3 and 2 output rows, and compares them with the same
// lowering in one product (SmallProducts off; TestGradientsNamed and the
// others compare that with the native op): chunking by output rows must not
// change the values beyond float32 round-off.
func TestSmallProducts(t *testing.T) {
	saved := SmallProducts
	defer func() { SmallProducts = saved; onPatchChunks = nil }()
	rng := rand.New(rand.NewPCG(21, 21))
	for _, l := range resnet18Forward[:2] {
		c := l.convCase(2)
		outShape, _ := c.outShape()
		x, k, w := randTensor(rng, c.inDims), randTensor(rng, c.kDims), randTensor(rng, outShape.Dimensions)
		fn := func(in []*graph.Node) []*graph.Node {
			y := c.conv(in[0], in[1])
			loss := graph.ReduceAllSum(graph.Mul(y, in[2]))
			return append([]*graph.Node{y}, graph.Gradient(loss, in[0], in[1])...)
		}
		results := map[bool][]*tensors.Tensor{}
		for _, on := range []bool{false, true} {
			SmallProducts = on
			maxChunks := 0
			onPatchChunks = func(n int) { maxChunks = max(maxChunks, n) }
			results[on] = run(t, Wrap(native()), fn, must(x.LocalClone()), must(k.LocalClone()), must(w.LocalClone()))
			if on && maxChunks < 2 {
				t.Errorf("%s: SmallProducts on, but every product was built in one chunk", l.name)
			}
		}
		for i, name := range []string{"output", "grad wrt input", "grad wrt kernel"} {
			if e := relErr(flat32(t, results[true][i]), flat32(t, results[false][i])); e > 1e-5 {
				t.Errorf("%s: %s: relative error %.3g between SmallProducts on and off", l.name, name, e)
			}
		}
	}
}

// TestSmallProductRows checks the chunk sizes SmallProducts picks for
// ResNet-18's shapes against hand computations: rows·(Wo·K·N) < 4 Mi
// multiply-adds, only for N ≤ 64.
func TestSmallProductRows(t *testing.T) {
	saved := SmallProducts
	defer func() { SmallProducts = saved }()
	byName := map[string]resnetLayer{}
	for _, l := range resnet18Forward {
		byName[l.name] = l.resnetLayer
	}
	for _, tc := range []struct {
		layer string
		on    bool
		rows  int
	}{
		{"stem7x7s2_224x3", true, 3}, // 112·147·64 = 1053696 multiply-adds per output row: 3 rows < 4194304
		{"3x3_56x64", true, 2},       // 56·576·64 = 2064384 per row: 2 rows = 4128768 < 4194304
		{"3x3_28x128", true, 0},      // N = 128 > SmallProductMaxN
		{"stem7x7s2_224x3", false, 0},
	} {
		SmallProducts = tc.on
		l := byName[tc.layer]
		c := l.convCase(1)
		p, err := newPlan(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...), c.axes,
			c.strides, c.pads, nil, nil, 1, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.layer, err)
		}
		b := Wrap(native()).Builder("t")
		f := b.Main()
		x, err := f.Parameter("x", shapes.Make(dtypes.Float32, c.inDims...), nil)
		if err != nil {
			t.Fatal(err)
		}
		k, err := f.Parameter("k", shapes.Make(dtypes.Float32, c.kDims...), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = x
		o := &ops{f: unwrapFn(f)}
		kc := p.canonicalKernel(o, k)
		if got := p.smallProductRows(o, kc, iota(0, 3), nil); got != tc.rows {
			t.Errorf("%s (SmallProducts=%v): smallProductRows = %d, want %d", tc.layer, tc.on, got, tc.rows)
		}
	}
}
