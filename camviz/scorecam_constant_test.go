package camviz_test

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// constantChannelActs returns activations [2, 3, 3, 10] whose channels 1, 4, 5, 6, 7 and 9
// are constant: zero (a channel the ReLU killed) in both examples, and channel 9 a
// non-zero constant; the others vary.
func constantChannelActs() []float32 {
	const b, h, w, k = 2, 3, 3, 10
	v := make([]float32, b*h*w*k)
	for e := range b {
		for p := range h * w {
			for c := range k {
				x := float32(0)
				switch c {
				case 1, 4, 5, 6, 7:
				case 9:
					x = 0.5
				default:
					x = float32(math.Sin(float64(1+e*97+p*13+c*7))) + 1
				}
				v[(e*h*w+p)*k+c] = x
			}
		}
	}
	return v
}

// TestScoreCAMSkipsConstantChunks: with constant channels, Score-CAM skipping the chunks
// whose masks are all constant gives the maps and weights of running every pass (to
// float rounding), and does skip: with chunks of 2, the constant channels (all but
// channel 9's, whose upsampled mask may not be exactly constant) fill whole chunks.
func TestScoreCAMSkipsConstantChunks(t *testing.T) {
	acts := tensors.FromFlatDataAndDimensions(constantChannelActs(), 2, 3, 3, 10)
	imgs := make([]float32, 2*8*8*3)
	for i := range imgs {
		imgs[i] = float32(math.Cos(float64(i)*0.37)) + 0.2
	}
	images := tensors.FromFlatDataAndDimensions(imgs, 2, 8, 8, 3)
	// A non-linear score that depends on the example: distinct for every mask.
	score := func(x, examples *graph.Node) *graph.Node {
		e := graph.ConvertDType(examples, x.DType())
		s := graph.ReduceSum(graph.Mul(x, graph.Sin(x)), 1, 2, 3)
		return graph.Add(graph.Tanh(graph.MulScalar(s, 0.01)), graph.MulScalar(e, 0.3))
	}
	for _, chunk := range []int{1, 2, 3, 20} {
		out, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, a, im *graph.Node) []*graph.Node {
			raw0, w0, s0, err := camviz.ScoreCAMSkipping(a, im, chunk, score, false)
			if err != nil {
				panic(err)
			}
			raw1, w1, s1, err := camviz.ScoreCAMSkipping(a, im, chunk, score, true)
			if err != nil {
				panic(err)
			}
			return []*graph.Node{raw0, w0, s0, raw1, w1, s1}
		}, acts, images)
		if err != nil {
			t.Fatal(err)
		}
		raw0, w0 := out[0].Value().([][][]float32), out[1].Value().([][]float32)
		raw1, w1 := out[3].Value().([][][]float32), out[4].Value().([][]float32)
		s0, s1 := out[2].Value().(int32), out[5].Value().(int32)
		if s0 != 0 {
			t.Errorf("chunk %d: %d passes skipped without skipping", chunk, s0)
		}
		// 2 examples × 5 zero channels = 10 constant passes, ordered last; chunks wholly
		// inside them are skipped.
		if want := int32(10 / chunk * chunk); chunk < 20 && s1 < want {
			t.Errorf("chunk %d: %d passes skipped, want at least %d", chunk, s1, want)
		}
		for e := range 2 {
			for c := range 10 {
				if d := math.Abs(float64(w0[e][c] - w1[e][c])); d > 1e-6 {
					t.Errorf("chunk %d: weight [%d][%d] = %v skipping, %v running every pass", chunk, e, c, w1[e][c], w0[e][c])
				}
			}
			for y := range raw0[e] {
				for x := range raw0[e][y] {
					if d := math.Abs(float64(raw0[e][y][x] - raw1[e][y][x])); d > 1e-6*math.Max(1, math.Abs(float64(raw0[e][y][x]))) {
						t.Errorf("chunk %d: raw [%d][%d][%d] = %v skipping, %v running every pass", chunk, e, y, x, raw1[e][y][x], raw0[e][y][x])
					}
				}
			}
		}
		t.Logf("chunk %d: %d of 20 passes skipped", chunk, s1)
	}
}

// TestScoreCAMConstantChannelsModelA: model A's relu3 activations on the reference input
// have constant (dead) channels; Score-CAM with small chunks skips their passes and still
// gives pytorch-grad-cam's weights and map (testdata/reference/model_a, class 3, the
// tolerances of TestFamilyReference), and the maps of running every pass to 1e-6.
func TestScoreCAMConstantChannelsModelA(t *testing.T) {
	store, fn, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	actsRef, err := npy.ReadFile(filepath.Join(modela.Dir(), "activations_relu3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	acts, ad, err := modela.NCHWToNHWC(actsRef)
	if err != nil {
		t.Fatal(err)
	}
	k, hw := ad[3], ad[1]*ad[2]
	constant := 0
	for c := range k {
		lo, hi := acts[c], acts[c]
		for p := range hw {
			lo, hi = min(lo, acts[p*k+c]), max(hi, acts[p*k+c])
		}
		if lo == hi {
			constant++
		}
	}
	if constant == 0 {
		t.Fatal("model A's relu3 has no constant channel on the reference input: the test would not exercise the skipping")
	}
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	wantW, err := npy.ReadFile(filepath.Join(modela.Dir(), "outputs", "relu3", "ScoreCAM_cls3_weights.npy"))
	if err != nil {
		t.Fatal(err)
	}
	wantRaw, err := npy.ReadFile(filepath.Join(modela.Dir(), "outputs", "relu3", "ScoreCAM_cls3_raw.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 3, 64} {
		out, err := model.CallOnceN(testBackend, store, func(scope *model.Scope, a, im *graph.Node) []*graph.Node {
			runs := 0
			score := func(x, _ *graph.Node) *graph.Node {
				runs++ // each re-run of the model in its own alias scope, as the Explainer's
				x.Graph().PushAliasScope(fmt.Sprintf("run%d", runs))
				defer x.Graph().PopAliasScope()
				logits := fn(scope.ResetVisited(), x)
				return graph.Reshape(graph.Slice(logits, graph.AxisRange(), graph.AxisElem(3)), -1)
			}
			var nodes []*graph.Node
			for _, skip := range []bool{false, true} {
				raw, w, skipped, err := camviz.ScoreCAMSkipping(a, im, chunk, score, skip)
				if err != nil {
					panic(err)
				}
				nodes = append(nodes, raw, w, skipped)
			}
			return nodes
		}, tensors.FromFlatDataAndDimensions(acts, ad...), tensors.FromFlatDataAndDimensions(images, dims...))
		if err != nil {
			t.Fatal(err)
		}
		flat := func(i int) []float32 { return tensors.MustCopyFlatData[float32](out[i]) }
		raw0, w0, raw1, w1 := flat(0), flat(1), flat(3), flat(4)
		skipped := out[5].Value().(int32)
		// The constant passes come last: chunks of 1 skip them all, chunks of 3 those in
		// the last chunks wholly made of them, one chunk of 64 none.
		want := map[int]int32{1: int32(constant), 3: int32(constant / 3 * 3), 64: 0}[chunk]
		if chunk == 3 && (64-constant)%3 != 0 {
			want = int32(64 - ((64-constant)/3+1)*3) // the passes after the first chunk that holds a varying one
		}
		if skipped != want {
			t.Errorf("chunk %d: %d passes skipped, want %d (%d constant channels)", chunk, skipped, want, constant)
		}
		if e := maxRelErr(w1, w0); e > 1e-6 {
			t.Errorf("chunk %d: weights skipping vs running every pass: max relative error %.3g > 1e-6", chunk, e)
		}
		if e := maxRelErr(raw1, raw0); e > 1e-6 {
			t.Errorf("chunk %d: map skipping vs running every pass: max relative error %.3g > 1e-6", chunk, e)
		}
		if e := maxRelErr(w1, wantW.Data); e > 1e-4 {
			t.Errorf("chunk %d: weights vs pytorch-grad-cam: max relative error %.3g > 1e-4", chunk, e)
		}
		if e := maxRelErr(raw1, wantRaw.Data); e > 1e-4 {
			t.Errorf("chunk %d: map vs pytorch-grad-cam: max relative error %.3g > 1e-4", chunk, e)
		}
		t.Logf("chunk %d: %d of 64 passes skipped (%d constant channels)", chunk, skipped, constant)
	}
}
