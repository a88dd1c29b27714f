package camviz_test

import (
	"math"
	"os"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/gomlx/core/graph"
)

// TestGradientFamilyIdentities checks identities that hold for model A's relu3, whose
// head is global-average-pool → linear, so ∂y^c/∂A_k(i,j) = W_fc[k,c]/(h·w) everywhere,
// and whose activations are ReLU outputs (A ≥ 0):
//
//	HiResCAM = Σ_k G_k A_k = Grad-CAM's raw map (the gradient equals its spatial mean);
//	LayerCAM = Σ_k max(G_k,0)·A_k = Σ_k max(G_k A_k, 0) = GradCAMElementWise (A ≥ 0);
//	XGradCAM's w_k = (W_fc[k,c]/(hw))·ΣA_k/(ΣA_k + 1e-7) = Grad-CAM's α_k·ΣA_k/(ΣA_k + 1e-7).
func TestGradientFamilyIdentities(t *testing.T) {
	ms := []camviz.Method{camviz.MethodGradCAM, camviz.MethodHiResCAM, camviz.MethodLayerCAM,
		camviz.MethodGradCAMElementWise, camviz.MethodXGradCAM}
	res := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: ms}, camviz.ClassTarget(3, 5))
	raw := func(m camviz.Method) []float32 {
		r, err := res.Raw("relu3", m)
		if err != nil {
			t.Fatal(err)
		}
		return flatten(r)
	}
	if e := maxRelErr(raw(camviz.MethodHiResCAM), raw(camviz.MethodGradCAM)); e > 1e-5 {
		t.Errorf("HiResCAM vs GradCAM: max relative error %g", e)
	}
	if e := maxRelErr(raw(camviz.MethodLayerCAM), raw(camviz.MethodGradCAMElementWise)); e > 1e-6 {
		t.Errorf("LayerCAM vs GradCAMElementWise: max relative error %g", e)
	}
	acts := readRef(t, "..", "activations_relu3.npy") // [1, 64, 16, 16] of example 0
	alpha, _ := res.Weights("relu3", camviz.MethodGradCAM)
	xw, _ := res.Weights("relu3", camviz.MethodXGradCAM)
	want := make([]float32, 64)
	for k := range want {
		var sum float64
		for _, v := range acts.Data[k*256 : (k+1)*256] {
			sum += float64(v)
		}
		want[k] = float32(float64(alpha[0][k]) * sum / (sum + 1e-7))
	}
	if e := maxRelErr(xw[0], want); e > 1e-5 {
		t.Errorf("XGradCAM weights vs α·ΣA/(ΣA+1e-7): max relative error %g", e)
	}
}

// TestChunkSizeDoesNotChangeMaps runs Score-CAM and Ablation-CAM on all 64 passes at
// once (one chunk, no loop), with the budget's choice (chunks of 16: a loop of 4
// iterations, each in two lanes of 8) and in chunks of 7 (a loop of 10 iterations of 7
// rows, in lanes of 4 and 3, the last 6 rows padding): the weights agree.
func TestChunkSizeDoesNotChangeMaps(t *testing.T) {
	var ref map[camviz.Method][]float32
	for _, tc := range []struct{ chunk, want int }{{64, 64}, {0, 16}, {7, 7}} {
		res := explainWith(t, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: chunked, ChunkSize: tc.chunk},
			camviz.ArgmaxTarget())
		got := map[camviz.Method][]float32{}
		for _, m := range chunked {
			w, _ := res.Weights("relu3", m)
			got[m] = flatWeights(w)
		}
		for _, est := range res.Memory {
			if est.Passes != 64 || est.ChunkSize != tc.want || est.Chunks != (est.Passes+tc.want-1)/tc.want {
				t.Errorf("chunk %d: estimate %+v", tc.chunk, est)
			}
		}
		if ref == nil {
			ref = got
			continue
		}
		for _, m := range chunked {
			if e := maxRelErr(got[m], ref[m]); e > 1e-6 {
				t.Errorf("%s with chunks of %d: weights differ by %g (relative) from one chunk", m, tc.want, e)
			}
		}
	}
}

// TestScoreCAMZeroMapsBatch explains two images at once (model A's input and its
// mirror image, each with its own class) with Score-CAM at relu3, where the input leaves
// some of the 64 maps at zero: in one chunk (all 128 passes evaluated) and in chunks of 7
// (the loop scores each example's zero maps once, with that example's target): the
// weights agree.
func TestScoreCAMZeroMapsBatch(t *testing.T) {
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	h, w, c := dims[1], dims[2], dims[3]
	batch := append([]float32(nil), images...)
	for y := range h {
		for x := range w {
			for ch := range c {
				batch = append(batch, images[(y*w+(w-1-x))*c+ch])
			}
		}
	}
	var ref []float32
	for _, chunk := range []int{128, 7} {
		ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{camviz.MethodScoreCAM},
			ChunkSize: chunk, KeepActivations: true})
		res, err := ex.ExplainFloats(batch, []int{2, h, w, c}, camviz.ClassTarget(3, 5))
		if err != nil {
			t.Fatal(err)
		}
		acts, d, err := res.Activations("relu3")
		if err != nil {
			t.Fatal(err)
		}
		zero := make([]int, 2)
		for b := range 2 {
			for k := range d[3] {
				all := true
				for p := range d[1] * d[2] {
					if acts[(b*d[1]*d[2]+p)*d[3]+k] != 0 {
						all = false
						break
					}
				}
				if all {
					zero[b]++
				}
			}
		}
		if zero[0] == 0 || zero[1] == 0 {
			t.Fatalf("zero maps per example %v: the test needs some in each", zero)
		}
		wts, _ := res.Weights("relu3", camviz.MethodScoreCAM)
		got := flatWeights(wts)
		if ref == nil {
			ref = got
			t.Logf("zero maps per example: %v", zero)
			continue
		}
		if e := maxRelErr(got, ref); e > 1e-6 {
			t.Errorf("chunks of %d: weights differ by %g (relative) from one chunk", chunk, e)
		}
	}
}

// TestMemoryEstimate checks the chunk chosen from the budget and what the estimate
// counts: Ablation-CAM runs only the layers after the tap, so its passes are smaller
// than Score-CAM's, which run the whole model; the peak fits the budget.
func TestMemoryEstimate(t *testing.T) {
	const budget = 16 << 20
	if os.Getenv("GOGC") != "" {
		t.Setenv("GOGC", "") // the collector's headroom below is camviz's, 1 + 50/100
	}
	ex := modelAExplainer(t, camviz.Config{Layers: []string{"relu3"}, Methods: chunked, MemoryBudget: budget})
	est, err := ex.EstimateMemory(camviz.ClassTarget(3), 2, 32, 32, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(est) != 2 {
		t.Fatalf("got %d estimates, want 2: %v", len(est), est)
	}
	store, _, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	var weights int64
	for v := range store.IterVariables() {
		weights += v.Shape().ByteSize()
	}
	growth, live := 1.5, 0.6 // variables, so the products round as the estimate's do
	byMethod := map[camviz.Method]camviz.MemoryEstimate{}
	for _, e := range est {
		byMethod[e.Method] = e
		fits := (int64(budget) - e.BaseBytes) / e.BytesPerPass
		passes := e.BaseBytes + int64(e.ChunkSize)*e.BytesPerPass
		if int64(e.ChunkSize) != min(fits, int64(e.Passes), 16) || passes > budget ||
			e.PeakBytes != int64(growth*live*float64(passes))+e.GraphBytes+e.WeightBytes || e.Budget != budget {
			t.Errorf("%s: inconsistent estimate %+v (fits %d)", e.Method, e, fits)
		}
		// The fixed parts: model A's variables (plus the few scalar constants its graph
		// has) times the collector's headroom (1.5: camviz runs chunked passes with
		// GOGC=50), and one copy of its nodes per lane of the chunk loop (2) at 1000
		// bytes each, times the headroom (at least the 12 ONNX ops of model A).
		const copies = 2
		if e.WeightBytes < weights*3/2 || e.WeightBytes > weights*3/2+4096 ||
			e.GraphBytes < copies*12*1500 || e.GraphBytes%(copies*1500) != 0 {
			t.Errorf("%s: fixed parts %d (weights; variables %d bytes) and %d (graph, %d copies) are not what the formula gives",
				e.Method, e.WeightBytes, weights, e.GraphBytes, copies)
		}
	}
	s, a := byMethod[camviz.MethodScoreCAM], byMethod[camviz.MethodAblationCAM]
	// A Score-CAM pass holds at least the input image and conv1, conv2 outputs (16 and 32
	// channels at 32×32); an Ablation-CAM pass from relu3 only the 16×16×64 activations on.
	if s.BytesPerPass < 4*32*32*(3+16+32) || a.BytesPerPass >= s.BytesPerPass/2 {
		t.Errorf("bytes per pass: Score-CAM %d, Ablation-CAM %d", s.BytesPerPass, a.BytesPerPass)
	}
	if s.ChunkSize >= s.Passes || s.Chunks < 2 {
		t.Errorf("a 16 MiB budget should split Score-CAM's 128 passes: %v", s)
	}
}

// TestScaledLayersAggregate checks that the per-layer maps from the same pass aggregate
// to FinalMultiLayer: minmax(mean_l max(scaled_l, 0)).
func TestScaledLayersAggregate(t *testing.T) {
	layers := []string{"relu2", "relu3"}
	res := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: layers, Methods: []camviz.Method{camviz.MethodLayerCAM}},
		camviz.ClassTarget(3, 5))
	scaled, err := res.ScaledLayers(layers, camviz.MethodLayerCAM)
	if err != nil {
		t.Fatal(err)
	}
	final, _ := res.FinalMultiLayer(layers, camviz.MethodLayerCAM)
	for b := range final {
		agg, _ := heatmap.AggregateLayers([]*heatmap.Map{scaled[0][b], scaled[1][b]})
		if e := maxAbsErr(agg.Data, final[b].Data); e != 0 {
			t.Errorf("example %d: aggregate of ScaledLayers differs from FinalMultiLayer by %g", b, e)
		}
		raw, _ := res.Raw("relu3", camviz.MethodLayerCAM)
		if e := maxAbsErr(scaled[1][b].Data, heatmap.ScaleLayer(raw[b], 32, 32).Data); e != 0 || math.IsNaN(e) {
			t.Errorf("example %d: ScaledLayers(relu3) is not ScaleLayer(raw)", b)
		}
	}
}

// TestChunkedMethodsFuncTarget checks that Score-CAM and Ablation-CAM score their
// perturbed passes with a function target as with the equivalent class target
// (logit 3), and that an argmax target keeps the original class for the perturbed
// passes (pytorch-grad-cam's behaviour), giving the class-7 maps on model A.
func TestChunkedMethodsFuncTarget(t *testing.T) {
	logit3 := camviz.FuncTarget("logit 3", func(l *graph.Node) *graph.Node {
		return graph.Reshape(graph.SliceAxis(l, 1, graph.AxisRange(3, 4)), -1)
	})
	cfg := camviz.Config{Layers: []string{"relu3"}, Methods: chunked}
	byFunc := explainWith(t, "input_nchw.npy", cfg, logit3)
	byClass := explainWith(t, "input_nchw.npy", cfg, camviz.ClassTarget(3))
	byArgmax := explainWith(t, "input_nchw.npy", cfg, camviz.ArgmaxTarget())
	byClass7 := explainWith(t, "input_nchw.npy", cfg, camviz.ClassTarget(7))
	for _, m := range chunked {
		a, _ := byFunc.Weights("relu3", m)
		b, _ := byClass.Weights("relu3", m)
		if e := maxRelErr(flatWeights(a), flatWeights(b)); e > 1e-6 {
			t.Errorf("%s: function target vs class target: weights differ by %g", m, e)
		}
		c, _ := byArgmax.Weights("relu3", m)
		d, _ := byClass7.Weights("relu3", m)
		if e := maxRelErr(flatWeights(c), flatWeights(d)); e > 1e-6 {
			t.Errorf("%s: argmax target vs class 7: weights differ by %g", m, e)
		}
	}
}
