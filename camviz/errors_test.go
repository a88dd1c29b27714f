package camviz_test

import (
	"math"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func modelAExplainer(t *testing.T, cfg camviz.Config) *camviz.Explainer {
	t.Helper()
	store, fn, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := camviz.NewExplainer(testBackend, store, fn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error mentioning %q, got nil", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestBadInput(t *testing.T) {
	gradcam := []camviz.Method{camviz.MethodGradCAM}
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unknown layer lists the layers", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu4"}, Methods: gradcam})
		_, err := ex.ExplainFloats(images, dims, camviz.ArgmaxTarget())
		wantErr(t, err, `"relu4"`, "relu1 [1 32 32 16]", "relu2", "relu3 [1 16 16 64]")
	})
	t.Run("wrong channel count", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		four := make([]float32, 32*32*4)
		_, err := ex.ExplainFloats(four, []int{1, 32, 32, 4}, camviz.ArgmaxTarget())
		wantErr(t, err, "[1 32 32 4]")
	})
	t.Run("wrong rank", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		_, err := ex.ExplainFloats(images, []int{len(images)}, camviz.ArgmaxTarget())
		wantErr(t, err, "want [batch, H, W, C]")
	})
	t.Run("empty batch", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		_, err := ex.ExplainFloats(nil, []int{0, 32, 32, 3}, camviz.ArgmaxTarget())
		wantErr(t, err, "empty batch")
	})
	t.Run("NaN in the input", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		bad := append([]float32(nil), images...)
		bad[100] = float32(math.NaN())
		_, err := ex.ExplainFloats(bad, dims, camviz.ArgmaxTarget())
		wantErr(t, err, "NaN", "example 0")
	})
	t.Run("class out of range", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		_, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(10))
		wantErr(t, err, "class 10", "[0, 10)")
	})
	t.Run("classes do not match the batch", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: gradcam})
		_, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(1, 2))
		wantErr(t, err, "2 classes for a batch of 1")
	})
	t.Run("CAM without a class", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{camviz.MethodCAM},
			CAMWeights: "fc/weights"})
		sum := camviz.FuncTarget("sum", func(l *graph.Node) *graph.Node { return graph.ReduceSum(l, -1) })
		_, err := ex.ExplainFloats(images, dims, sum)
		wantErr(t, err, "needs one")
	})
	t.Run("CAM without weights", func(t *testing.T) {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{camviz.MethodCAM}})
		_, err := ex.ExplainFloats(images, dims, camviz.ArgmaxTarget())
		wantErr(t, err, "CAM needs a classifier head", "use GradCAM", "CAMWeights")
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := camviz.ParseMethod("gradcam+++")
		wantErr(t, err, "GradCAM", "CAM")
		m, err := camviz.ParseMethod("gradcam")
		if err != nil || m != camviz.MethodGradCAM {
			t.Errorf("ParseMethod(gradcam) = %q, %v", m, err)
		}
	})
	t.Run("empty config", func(t *testing.T) {
		store, fn, _ := modela.Load()
		_, err := camviz.NewExplainer(testBackend, store, fn, camviz.Config{Methods: gradcam})
		wantErr(t, err, "Layers is empty")
	})
}

// TestConstantMapIsZero explains a model whose tapped activation is constant: the raw
// Grad-CAM map is constant, and the post-processed map must be all zeros, never NaN.
func TestConstantMapIsZero(t *testing.T) {
	fn := func(scope *model.Scope, images *graph.Node) *graph.Node {
		g := images.Graph()
		acts := graph.Add(graph.MulScalar(images, 0), graph.Ones(g, shapes.Make(dtypes.Float32, 1, 4, 4, 1)))
		acts = camviz.Tap(graph.Concatenate([]*graph.Node{acts, acts}, -1), "const")
		pooled := graph.ReduceMean(acts, 1, 2)
		w := graph.Const(g, [][]float32{{1, -1}, {2, 0.5}})
		return graph.MatMul(pooled, w)
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"const"},
		Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(make([]float32, 4*4), []int{1, 4, 4, 1}, camviz.ClassTarget(0))
	if err != nil {
		t.Fatal(err)
	}
	final, err := res.Final("const", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range final[0].Data {
		if v != 0 {
			t.Fatalf("final[%d] = %v, want 0 for a constant map", i, v)
		}
	}
	raw, _ := res.Raw("const", camviz.MethodGradCAM)
	// α = (1/16)·Σ ∂y/∂A = w_k/16 per channel... summed over positions: raw = Σ_k α_k·1 = (1+2)/16.
	if got := raw[0].Data[0]; math.Abs(float64(got)-3.0/16) > 1e-6 {
		t.Errorf("raw constant map = %v, want 3/16", got)
	}
}

// TestLeadingSlashLayerNames checks that "/relu3" (an absolute alias, or an ONNX-style
// output name) names the same tap as "relu3", in the Config and in Result lookups.
func TestLeadingSlashLayerNames(t *testing.T) {
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	ex := modelAExplainer(t, camviz.Config{Layers: []string{"/relu3"}, Methods: []camviz.Method{camviz.MethodGradCAM}})
	res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3))
	if err != nil {
		t.Fatal(err)
	}
	a, err := res.Raw("relu3", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	b, err := res.Raw("/relu3", camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	want := readRef(t, "relu3", "GradCAM_cls3_raw.npy")
	if e := maxRelErr(a[0].Data, want.Data); e > 1e-5 || a[0].Data[0] != b[0].Data[0] {
		t.Errorf("relu3 via /relu3: max relative error %.3g vs reference", e)
	}
}
