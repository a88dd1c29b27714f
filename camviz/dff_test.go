package camviz_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
)

// TestDeepFeatureFactorization checks DFF on model A's relu3 activations (the batch of
// two) against pytorch-grad-cam HEAD. NMF's factors are not unique, so the factors are
// not compared; what is: the fit (camviz's reconstruction error at most 0.1% above
// scikit-learn's; measured: equal to 6 digits), non-negativity, the offset bookkeeping, and the deterministic parts of
// the library (post-processing of given explanation maps, concept scores of given
// concepts through the fc head) to 1e-4.
func TestDeepFeatureFactorization(t *testing.T) {
	var index map[string]float64
	raw, err := os.ReadFile(filepath.Join(modela.Dir(), "outputs_head", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var anyIndex map[string]any
	if err := json.Unmarshal(raw, &anyIndex); err != nil {
		t.Fatal(err)
	}
	index = map[string]float64{}
	for k, v := range anyIndex {
		if f, ok := v.(float64); ok {
			index[k] = f
		}
	}
	a := readHead(t, "dff", "activations_relu3_b2_nchw.npy")
	acts, dims, err := modela.NCHWToNHWC(a)
	if err != nil {
		t.Fatal(err)
	}
	kernel := readFCKernel(t)
	bias, err := npy.ReadFile(modela.Dir() + "/weights/fc.bias.npy")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{2, 4} {
		d, err := camviz.DeepFeatureFactorization(acts, dims, k)
		if err != nil {
			t.Fatal(err)
		}
		want := index[fmt.Sprintf("dff_k%d_reconstruction_error", k)]
		t.Logf("k=%d: reconstruction error camviz %.6g, scikit-learn %.6g (data norm %.6g)", k, d.ReconstructionError, want, d.DataNorm)
		if d.ReconstructionError > 1.001*want {
			t.Errorf("k=%d: reconstruction error %.6g, more than 0.1%% above scikit-learn's %.6g", k, d.ReconstructionError, want)
		}
		if n := index[fmt.Sprintf("dff_k%d_data_norm", k)]; math.Abs(d.DataNorm-n) > 1e-5*n {
			t.Errorf("k=%d: data norm %.7g, want %.7g (offset per channel)", k, d.DataNorm, n)
		}
		for i, v := range d.Explanations {
			if v < 0 {
				t.Fatalf("k=%d: explanation value %g < 0 at %d", k, v, i)
			}
		}
		// Concepts − offset are W ≥ 0: each channel's concept values are ≥ its minimum.
		for c := 0; c < dims[3]; c++ {
			lo := float32(math.Inf(1))
			for p := 0; p < len(acts)/dims[3]; p++ {
				lo = min(lo, acts[p*dims[3]+c])
			}
			for j := 0; j < k; j++ {
				if d.Concepts[c*k+j] < lo-1e-6 {
					t.Fatalf("k=%d: concept %d channel %d is %g, below the channel's minimum %g", k, j, c, d.Concepts[c*k+j], lo)
				}
			}
		}
		maps, err := d.ExplanationMaps(32, 32)
		if err != nil || len(maps) != 2 || len(maps[0]) != k {
			t.Fatalf("k=%d: ExplanationMaps: %v", k, err)
		}

		// The library's deterministic steps, on its own factorization.
		pgcRaw := readHead(t, "dff", fmt.Sprintf("DFF_k%d_explanations_raw.npy", k))
		pgcMaps, err := camviz.DFFExplanationMaps(pgcRaw.Data, 2, k, 16, 16, 32, 32)
		if err != nil {
			t.Fatal(err)
		}
		var flat []float32
		for _, per := range pgcMaps {
			flat = append(flat, flatten(per)...)
		}
		if e := maxAbsErr(flat, readHead(t, "dff", fmt.Sprintf("DFF_k%d_explanations.npy", k)).Data); e > 1e-4 {
			t.Errorf("k=%d: processed explanations differ from the library's by %.3g", k, e)
		}
		concepts := readHead(t, "dff", fmt.Sprintf("DFF_k%d_concepts.npy", k))
		scores, err := camviz.DFFScores(concepts.Data, k, kernel, bias.Data)
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(scores, readHead(t, "dff", fmt.Sprintf("DFF_k%d_scores.npy", k)).Data); e > 1e-5 {
			t.Errorf("k=%d: concept scores differ from the library's by %.3g (relative)", k, e)
		}
	}

	// The same factorization from an Explainer's activations (Config.KeepActivations).
	res := explainWith(t, "input_b2_nchw.npy", camviz.Config{Layers: []string{"relu3"},
		Methods: []camviz.Method{camviz.MethodGradCAM}, KeepActivations: true}, camviz.ArgmaxTarget())
	got, gotDims, err := res.Activations("relu3")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotDims) != fmt.Sprint(dims) || maxRelErr(got, acts) > 1e-5 {
		t.Fatalf("Result.Activations: dims %v (want %v), max rel err %.3g against torch's", gotDims, dims, maxRelErr(got, acts))
	}
	if _, _, err := res.Activations("relu2"); err == nil {
		t.Error("activations of a layer not explained: want an error")
	}

	// An exactly rank-2 non-negative matrix (whose channel minima are 0) is recovered.
	dimsSyn := []int{1, 3, 4, 5}
	syn := make([]float32, 3*4*5)
	for p := 0; p < 12; p++ {
		u, v := float64(p%4), float64(p/4)
		for c := 0; c < 5; c++ {
			syn[p*5+c] = float32(u*float64(c+1) + v*float64(5-c)) // 0 at p = 0: no offset
		}
	}
	d, err := camviz.DeepFeatureFactorization(syn, dimsSyn, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d.ReconstructionError > 1e-4*d.DataNorm {
		t.Errorf("rank-2 data: reconstruction error %.3g of %.3g", d.ReconstructionError, d.DataNorm)
	}
	if _, err := camviz.DeepFeatureFactorization(syn, dimsSyn, 9); err == nil {
		t.Error("more components than channels: want an error")
	}
}

// readFCKernel returns model A's classifier as a dense kernel [64, 10].
func readFCKernel(t *testing.T) []float32 {
	fw, err := npy.ReadFile(modela.Dir() + "/weights/fc.weight.npy")
	if err != nil {
		t.Fatal(err)
	}
	out, in := fw.Shape[0], fw.Shape[1]
	k := make([]float32, in*out)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			k[i*out+o] = fw.Data[o*in+i]
		}
	}
	return k
}

// TestFactorizationOverlay compares heatmap.FactorizationOverlay with pytorch-grad-cam
// HEAD's show_factorization_on_image (k = 4 concept maps of model A over the Sobel test
// image, image weight 0.3): equal up to OpenCV's 8-bit HSV round trip, at most 4 of 255
// per channel, and every pixel takes its strongest concept's hue.
func TestFactorizationOverlay(t *testing.T) {
	img := readHead(t, "sobel", "image_uint8_as_float.npy")
	rgb := make([]float32, len(img.Data))
	for i, v := range img.Data {
		rgb[i] = v / 255
	}
	expl := readHead(t, "dff", "DFF_k4_explanations.npy") // [2, 4, 32, 32]
	maps := make([]*heatmap.Map, 4)
	for i := range maps {
		maps[i], _ = heatmap.FromSlice(32, 32, append([]float32(nil), expl.Data[i*1024:(i+1)*1024]...))
	}
	got, err := heatmap.FactorizationOverlay(rgb, 32, 32, maps, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	want := readHead(t, "dff", "overlay_k4.npy")
	var worst float64
	for i, v := range want.Data {
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(v)))
	}
	t.Logf("overlay: max |Δ| %.0f of 255 against the library", worst)
	if worst > 4 {
		t.Errorf("overlay differs from the library's by up to %.0f of 255", worst)
	}
	if c := heatmap.GistRainbow(0.25); math.Abs(c[0]-0.8055113937466878) > 1e-12 || c[1] != 1 || c[2] != 0 {
		t.Errorf("GistRainbow(0.25) = %v, matplotlib gives (0.8055113937466878, 1, 0)", c)
	}
}

// TestConceptScores runs model A's head on pytorch-grad-cam's DFF concepts by
// substituting relu3 with each concept at every position: GAP → fc gives W·c + b, the
// library's concept scores (computation_on_concepts = model.fc), to 1e-5.
func TestConceptScores(t *testing.T) {
	store, fn, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{2, 4} {
		concepts := readHead(t, "dff", fmt.Sprintf("DFF_k%d_concepts.npy", k))
		got, err := camviz.ConceptScores(testBackend, store, fn, "relu3", false, concepts.Data, k, []int{32, 32, 3})
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(got, readHead(t, "dff", fmt.Sprintf("DFF_k%d_scores.npy", k)).Data); e > 1e-5 {
			t.Errorf("k=%d: concept scores differ from the library's by %.3g (relative)", k, e)
		}
	}
	if _, err := camviz.ConceptScores(testBackend, store, fn, "relu3", false, make([]float32, 10), 2, []int{32, 32, 3}); err == nil {
		t.Error("concepts with 5 channels for a 64-channel layer: want an error")
	}
}
