package fastconv

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// TestSmallProducts lowers ResNet-18's stem and 3×3 @56 convolutions (batch
// 1, whose chunks are multiplied as one and as two batch entries; batch 2; and
// batch 3, cut image by image; forward and both gradients) with SmallProducts on, which
// cuts their products into chunks of a few output rows, and compares them with the same
// lowering in one product (SmallProducts off; TestGradientsNamed and the
// others compare that with the native op): chunking by output rows must not
// change the values beyond float32 round-off.
func TestSmallProducts(t *testing.T) {
	withWinograd(t, WinogradOff) // its 3×3 stride-1 cases would take Winograd's algorithm
	savedMode, savedEntries := SmallProducts, SmallProductEntries
	defer func() { SmallProducts, SmallProductEntries, onPatchChunks = savedMode, savedEntries, nil }()
	rng := rand.New(rand.NewPCG(21, 21))
	for _, tc := range []struct {
		l     resnetLayer
		batch int
	}{{resnet18Forward[0].resnetLayer, 1}, {resnet18Forward[1].resnetLayer, 1}, {resnet18Forward[0].resnetLayer, 2},
		{resnet18Forward[1].resnetLayer, 3}} { // 3×3 @56 at batch 3: cut image by image
		l := tc.l
		c := l.convCase(tc.batch)
		outShape, _ := c.outShape()
		x, k, w := randTensor(rng, c.inDims), randTensor(rng, c.kDims), randTensor(rng, outShape.Dimensions)
		fn := func(in []*graph.Node) []*graph.Node {
			y := c.conv(in[0], in[1])
			loss := graph.ReduceAllSum(graph.Mul(y, in[2]))
			return append([]*graph.Node{y}, graph.Gradient(loss, in[0], in[1])...)
		}
		SmallProducts = SmallProductsOff
		want := run(t, Wrap(native()), fn, must(x.LocalClone()), must(k.LocalClone()), must(w.LocalClone()))
		for _, entries := range []int{1, 2} { // one batch entry per chunk, and two
			SmallProducts, SmallProductEntries = SmallProductsOn, entries
			maxChunks := 0
			onPatchChunks = func(n int) { maxChunks = max(maxChunks, n) }
			got := run(t, Wrap(native()), fn, must(x.LocalClone()), must(k.LocalClone()), must(w.LocalClone()))
			if maxChunks < 2 {
				t.Errorf("%s batch %d, %d entries: SmallProducts on, but every product was built in one chunk",
					l.name, tc.batch, entries)
			}
			for i, name := range []string{"output", "grad wrt input", "grad wrt kernel"} {
				if e := relErr(flat32(t, got[i]), flat32(t, want[i])); e > 1e-5 {
					t.Errorf("%s batch %d, %d entries: %s: relative error %.3g between SmallProducts on and off",
						l.name, tc.batch, entries, name, e)
				}
			}
		}
	}
}

// TestSmallProductPlan checks the chunks SmallProducts picks for ResNet-18's
// shapes against hand computations: entries·rows·(Wo·K·N) < 4 Mi
// multiply-adds, only for N ≤ 64; the requested entries at batch 1 when a row
// per entry fits, else one entry.
func TestSmallProductPlan(t *testing.T) {
	saved := SmallProducts
	defer func() { SmallProducts = saved }()
	byName := map[string]resnetLayer{}
	for _, l := range resnet18Forward {
		byName[l.name] = l.resnetLayer
	}
	for _, tc := range []struct {
		layer         string
		batch, procs  int // procs: the entries asked for
		on            bool
		rows, entries int
	}{
		// Stem: 112·147·64 = 1053696 multiply-adds per output row.
		{"stem7x7s2_224x3", 1, 2, true, 1, 2},  // 2 entries of 1 row (2 rows each would be 4214784 ≥ 4194304)
		{"stem7x7s2_224x3", 1, 1, true, 3, 1},  // 1 entry: 3 rows = 3161088
		{"stem7x7s2_224x3", 1, 4, true, 3, 1},  // 4 entries of a row do not fit: one entry of 3 rows
		{"stem7x7s2_224x3", 2, 2, true, 1, 1},  // batch 2: 2107392 per row, one entry of 1 row
		{"stem7x7s2_224x3", 8, 2, true, 3, 1},  // batch 8: 8429568 per row; per image, 3 rows
		{"stem7x7s2_224x3", 17, 2, true, 0, 0}, // more images than SmallProductMaxImages: not cut
		// 3×3 @56: 56·576·64 = 2064384 per row.
		{"3x3_56x64", 1, 2, true, 1, 2},
		{"3x3_28x128", 1, 2, true, 0, 0}, // N = 128 > SmallProductMaxN
		{"stem7x7s2_224x3", 1, 2, false, 0, 0},
	} {
		SmallProducts = SmallProductsOff
		if tc.on {
			SmallProducts = SmallProductsOn
		}
		l := byName[tc.layer]
		c := l.convCase(tc.batch)
		p, err := newPlan(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...), c.axes,
			c.strides, c.pads, nil, nil, 1, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.layer, err)
		}
		f := Wrap(native()).Builder("t").Main()
		k, err := f.Parameter("k", shapes.Make(dtypes.Float32, c.kDims...), nil)
		if err != nil {
			t.Fatal(err)
		}
		o := &ops{f: unwrapFn(f)}
		kc := p.canonicalKernel(o, k)
		sp := p.smallProductPlan(o, kc, iota(0, 3), nil, tc.procs)
		if wantPerImage := tc.rows > 0 && tc.batch >= 4; sp.perImage != wantPerImage {
			t.Errorf("%s batch %d: perImage = %v, want %v", tc.layer, tc.batch, sp.perImage, wantPerImage)
		}
		if sp.rows != tc.rows || sp.entries != tc.entries {
			t.Errorf("%s batch %d, %d entries asked (SmallProducts on: %v): %d rows × %d entries, want %d × %d",
				tc.layer, tc.batch, tc.procs, tc.on, sp.rows, sp.entries, tc.rows, tc.entries)
		}
	}
}

// TestSmallProductsAuto checks SmallProductsAuto against GOMAXPROCS.
func TestSmallProductsAuto(t *testing.T) {
	saved, savedProcs := SmallProducts, runtime.GOMAXPROCS(0)
	defer func() { SmallProducts = saved; runtime.GOMAXPROCS(savedProcs) }()
	for _, tc := range []struct {
		mode  SmallProductsMode
		procs int
		want  bool
	}{
		{SmallProductsAuto, 1, true}, {SmallProductsAuto, 2, true}, {SmallProductsAuto, 3, false},
		{SmallProductsOn, 8, true}, {SmallProductsOff, 1, false},
	} {
		SmallProducts = tc.mode
		runtime.GOMAXPROCS(tc.procs)
		if got := smallProductsOn(); got != tc.want {
			t.Errorf("mode %d, GOMAXPROCS %d: smallProductsOn() = %v, want %v", tc.mode, tc.procs, got, tc.want)
		}
	}
}

// TestSmallProductsUnderParameters checks that graphs built under
// VariablesAsParameters (Score-CAM's and Ablation-CAM's chunked graphs) cut a
// convolution's product as the same graph with constant weights does. (Until the
// chunks ran as one loop they kept the packed product: cut in each of dozens of
// unrolled copies of the model, the products' pieces raised the peak RSS past the
// budget.)
func TestSmallProductsUnderParameters(t *testing.T) {
	withWinograd(t, WinogradOff) // the 3×3 convolution below would take Winograd's algorithm
	saved := SmallProducts
	defer func() { SmallProducts, onPatchChunks = saved, nil }()
	rng := rand.New(rand.NewPCG(3, 4))
	c := resnet18Forward[1].resnetLayer.convCase(1) // 3×3 @56
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	fn := func(in []*graph.Node) []*graph.Node { return []*graph.Node{c.conv(in[0], in[1])} }
	chunks := func(mode SmallProductsMode, params bool) int {
		SmallProducts = mode
		b := Wrap(native())
		if params {
			done := b.(*Backend).VariablesAsParameters()
			defer done()
		}
		n := 0
		onPatchChunks = func(c int) { n = max(n, c) }
		run(t, b, fn, must(x.LocalClone()), must(k.LocalClone()))
		return n
	}
	packed := chunks(SmallProductsOff, false)
	if cut := chunks(SmallProductsOn, false); cut <= packed {
		t.Fatalf("SmallProducts on: %d chunks, not more than the packed product's %d: the test no longer sees the cut", cut, packed)
	}
	if got, cut := chunks(SmallProductsOn, true), chunks(SmallProductsOn, false); got != cut {
		t.Errorf("SmallProducts on under VariablesAsParameters: %d chunks, want the %d of the same graph without it", got, cut)
	}
}
