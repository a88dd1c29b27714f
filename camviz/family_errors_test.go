package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// chunked are the methods that run perturbed forward passes in chunks.
var chunked = []camviz.Method{camviz.MethodScoreCAM, camviz.MethodAblationCAM}

func TestChunkErrors(t *testing.T) {
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("negative chunk size", func(t *testing.T) {
		store, fn, _ := modela.Load()
		_, err := camviz.NewExplainer(testBackend, store, fn, camviz.Config{Layers: []string{"relu3"}, Methods: chunked,
			ChunkSize: -1})
		wantErr(t, err, "ChunkSize is -1", "positive")
	})
	t.Run("negative budget", func(t *testing.T) {
		store, fn, _ := modela.Load()
		_, err := camviz.NewExplainer(testBackend, store, fn, camviz.Config{Layers: []string{"relu3"}, Methods: chunked,
			MemoryBudget: -5})
		wantErr(t, err, "MemoryBudget")
	})
	t.Run("graph functions refuse chunk 0", func(t *testing.T) {
		_, err := model.CallOnceN(testBackend, model.NewStore(), func(_ *model.Scope, g *graph.Graph) []*graph.Node {
			acts := graph.Ones(g, shapes.Make(dtypes.Float32, 1, 2, 2, 3))
			imgs := graph.Ones(g, shapes.Make(dtypes.Float32, 1, 4, 4, 3))
			score := func(x, _ *graph.Node) *graph.Node { return graph.ReduceSum(x, 1, 2, 3) }
			if _, _, err := camviz.ScoreCAM(acts, imgs, 0, score); err == nil {
				panic("ScoreCAM accepted chunk 0")
			} else {
				wantErr(t, err, "chunk size 0")
			}
			if _, _, err := camviz.AblationCAM(acts, graph.Ones(g, shapes.Make(dtypes.Float32, 1)), -2, score); err == nil {
				panic("AblationCAM accepted chunk -2")
			} else {
				wantErr(t, err, "chunk size -2")
			}
			return []*graph.Node{acts}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("chunk over the budget", func(t *testing.T) {
		for _, m := range chunked {
			ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{m}, ChunkSize: 64,
				MemoryBudget: 8 << 20})
			_, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3))
			wantErr(t, err, string(m), "relu3", "chunk of 64 passes", "memory budget of 8.0 MiB", "ChunkSize <=")
			_, err = ex.EstimateMemory(camviz.ClassTarget(3), dims...)
			wantErr(t, err, "chunk of 64 passes")
		}
	})
	t.Run("budget too small for one pass", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: chunked, MemoryBudget: 1000})
		_, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3))
		wantErr(t, err, "even one pass", "MemoryBudget")
	})
}

// TestAblationZeroScore explains a target whose score is exactly 0 with Ablation-CAM:
// w_k = (y − y_k)/y is undefined, and camviz uses w_k = y − y_k (see AblationCAM).
//
// acts = ReLU(images), channels A0 = [2, 0, 1, 1], A1 = [1, 1, 1, 1], A2 = 0 (so
// min(A) = 0 and ablation zeroes); y = mean(A0) − mean(A1) = 0; ablating gives
// y_0 = −1, y_1 = 1, y_2 = 0, so w = (1, −1, 0) and raw = A0 − A1 = [1, −1, 0, 0].
func TestAblationZeroScore(t *testing.T) {
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		acts := camviz.Tap(camviz.ReLU(images), "acts")
		w := graph.Const(images.Graph(), [][]float32{{1, 0}, {-1, 0}, {0, 1}})
		return graph.MatMul(graph.ReduceMean(acts, 1, 2), w)
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"acts"},
		Methods: []camviz.Method{camviz.MethodAblationCAM}})
	if err != nil {
		t.Fatal(err)
	}
	img := []float32{2, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0} // [1, 2, 2, 3], channels-last
	res, err := ex.ExplainFloats(img, []int{1, 2, 2, 3}, camviz.ClassTarget(0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Scores[0] != 0 {
		t.Fatalf("score = %g, want exactly 0", res.Scores[0])
	}
	w, _ := res.Weights("acts", camviz.MethodAblationCAM)
	raw, _ := res.Raw("acts", camviz.MethodAblationCAM)
	for i, want := range []float32{1, -1, 0} {
		if w[0][i] != want {
			t.Errorf("weight %d = %g, want %g", i, w[0][i], want)
		}
	}
	for i, want := range []float32{1, -1, 0, 0} {
		if raw[0].Data[i] != want {
			t.Errorf("raw[%d] = %g, want %g", i, raw[0].Data[i], want)
		}
	}
}

// allMethods are every registered method, CAM included.
func allMethods() []camviz.Method { return camviz.Methods() }

// TestAllZeroActivations explains a layer whose activation is all zero with every
// method (CAM included): every raw map and final map must be all zero, never NaN
// (Grad-CAM++'s and XGrad-CAM's epsilons, Score-CAM's 1e-8, the zero Gram matrix of
// Eigen-CAM, Ablation-CAM's unchanged scores).
func TestAllZeroActivations(t *testing.T) {
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		g := images.Graph()
		acts := camviz.Tap(camviz.ReLU(graph.AddScalar(graph.Concatenate([]*graph.Node{images, images}, -1), -1)), "zero")
		w := camviz.Tap(graph.Const(g, [][]float32{{1, -2}, {0.5, 3}}), "fc")
		return graph.Add(graph.MatMul(graph.ReduceMean(acts, 1, 2), w), graph.Const(g, [][]float32{{0.25, -0.5}}))
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"zero"}, Methods: allMethods(),
		CAMWeights: "fc"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(make([]float32, 16), []int{1, 4, 4, 1}, camviz.ClassTarget(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range allMethods() {
		raw, err := res.Raw("zero", m)
		if err != nil {
			t.Fatal(err)
		}
		final, _ := res.Final("zero", m)
		for i := range raw[0].Data {
			if raw[0].Data[i] != 0 || final[0].Data[i] != 0 {
				t.Fatalf("%s: raw %g, final %g at %d; want 0 for an all-zero layer", m, raw[0].Data[i], final[0].Data[i], i)
			}
		}
		if w, err := res.Weights("zero", m); err == nil {
			for _, v := range w[0] {
				if math.IsNaN(float64(v)) {
					t.Errorf("%s: NaN weight", m)
				}
			}
		}
	}
}

func TestNonFiniteActivations(t *testing.T) {
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		acts := camviz.Tap(graph.Log(graph.AddScalar(images, -0.5)), "logs") // NaN where images < 0.5
		return graph.ReduceMean(acts, 1, 2)
	}
	for _, m := range []camviz.Method{camviz.MethodGradCAM, camviz.MethodEigenCAM, camviz.MethodScoreCAM} {
		ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"logs"}, Methods: []camviz.Method{m}})
		if err != nil {
			t.Fatal(err)
		}
		img := []float32{1, 1, 0, 1, 1, 1, 1, 1} // [1, 2, 2, 2]: one value below 0.5
		_, err = ex.ExplainFloats(img, []int{1, 2, 2, 2}, camviz.ClassTarget(0))
		wantErr(t, err, `layer "logs"`, "1 NaN or infinite")
	}
}

func TestAblationNeedsTap(t *testing.T) {
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		acts := camviz.ReLU(images)
		acts.WithAlias("plain")
		return graph.ReduceMean(acts, 1, 2)
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"plain"},
		Methods: []camviz.Method{camviz.MethodAblationCAM}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ex.ExplainFloats(make([]float32, 8), []int{1, 2, 2, 2}, camviz.ClassTarget(0))
	wantErr(t, err, "AblationCAM", `camviz.Tap(x, "plain")`)
}
