package camviz_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
)

// familyMethods are the methods with pytorch-grad-cam reference maps for every layer.
var familyMethods = []camviz.Method{
	camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodXGradCAM, camviz.MethodHiResCAM,
	camviz.MethodLayerCAM, camviz.MethodGradCAMElementWise, camviz.MethodScoreCAM, camviz.MethodAblationCAM,
	camviz.MethodEigenCAM, camviz.MethodEigenGradCAM,
}

// tolerances returns the raw/weights relative and final absolute tolerances for a
// method. Ablation-CAM divides by small logits and this untrained model's Score-CAM
// softmax is nearly flat, so both are ill-conditioned (testdata/reference/README.md).
func tolerances(m camviz.Method) (rawRel, finalAbs float64) {
	switch m {
	case camviz.MethodScoreCAM:
		return 1e-4, 1e-4 // measured 3.6e-7 and 4.2e-7 here; the README allows 1e-3
	case camviz.MethodAblationCAM:
		return 1e-3, 1e-3 // measured 1.0e-5 and 1.1e-5
	}
	return 1e-5, 1e-4
}

func isEigen(m camviz.Method) bool {
	return m == camviz.MethodEigenCAM || m == camviz.MethodEigenGradCAM
}

// refErrors collects the largest error per method and kind over all reference cases.
var refErrors = struct {
	sync.Mutex
	max map[string]float64
}{max: map[string]float64{}}

func recordErr(m camviz.Method, kind string, e float64) {
	refErrors.Lock()
	defer refErrors.Unlock()
	k := fmt.Sprintf("%-20s %-8s", m, kind)
	refErrors.max[k] = math.Max(refErrors.max[k], e)
}

// readRefOpt reads a reference file, or returns nil when the library wrote none (methods
// without channel weights, for instance).
func readRefOpt(t *testing.T, parts ...string) *npy.Array {
	t.Helper()
	path := filepath.Join(append([]string{modela.Dir(), "outputs"}, parts...)...)
	a, err := npy.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func negated(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = -v
	}
	return out
}

func flatWeights(w [][]float32) []float32 {
	var out []float32
	for _, row := range w {
		out = append(out, row...)
	}
	return out
}

// checker compares one method's outputs with reference files and records the errors.
type checker struct {
	t *testing.T
	m camviz.Method
}

func (c checker) raw(got []float32, parts ...string) {
	c.t.Helper()
	want := readRefOpt(c.t, parts...)
	if want == nil {
		c.t.Fatalf("%s: no reference %v", c.m, parts)
	}
	rel, _ := tolerances(c.m)
	e := maxRelErr(got, want.Data)
	if isEigen(c.m) || strings.Contains(parts[len(parts)-1], "eigensmooth") {
		e = math.Min(e, maxRelErr(negated(got), want.Data)) // the SVD's sign is arbitrary
	}
	recordErr(c.m, "raw", e)
	if os.Getenv("CAMVIZ_REF_VERBOSE") != "" {
		c.t.Logf("%s %v raw %.3g", c.m, parts, e)
	}
	if e > rel {
		c.t.Errorf("%s %v: raw max relative error %.3g > %.0e", c.m, parts, e, rel)
	}
}

func (c checker) weights(got [][]float32, parts ...string) {
	c.t.Helper()
	want := readRefOpt(c.t, parts...)
	if want == nil {
		return
	}
	if got == nil {
		c.t.Fatalf("%s %v: the reference has weights, camviz has none", c.m, parts)
	}
	rel, _ := tolerances(c.m)
	e := maxRelErr(flatWeights(got), want.Data)
	recordErr(c.m, "weights", e)
	if e > rel {
		c.t.Errorf("%s %v: weights max relative error %.3g > %.0e", c.m, parts, e, rel)
	}
}

// final compares with <prefix>_final.npy, or for sign-free methods also with
// <prefix>_final_signflip.npy (the library's post-processing of −raw).
func (c checker) final(got []float32, dir, prefix string) {
	c.t.Helper()
	want := readRefOpt(c.t, dir, prefix+"_final.npy")
	_, tol := tolerances(c.m)
	e := maxAbsErr(got, want.Data)
	if flip := readRefOpt(c.t, dir, prefix+"_final_signflip.npy"); flip != nil {
		e = math.Min(e, maxAbsErr(got, flip.Data))
	}
	recordErr(c.m, "final", e)
	if e > tol {
		c.t.Errorf("%s %s/%s: final max abs error %.3g > %.0e", c.m, dir, prefix, e, tol)
	}
}

func explainWith(t *testing.T, input string, cfg camviz.Config, target camviz.Target) *camviz.Result {
	t.Helper()
	cfg.CAMWeights = "fc/weights"
	ex := modelAExplainer(t, cfg)
	images, dims, err := modela.Input(input)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(images, dims, target)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFamilyReference compares every method with pytorch-grad-cam v1.5.5 on model A
// (testdata/reference/model_a): layers relu3 and relu2, class 3 and argmax, the batch
// of two (argmax and targets [3, 5]), the relu2+relu3 aggregation and the relu3_options
// runs (aug_smooth, eigen_smooth). Raw maps and weights within 1e-5 relative, finals
// within 1e-4 absolute; Score-CAM and Ablation-CAM within 1e-3; Eigen maps up to sign.
func TestFamilyReference(t *testing.T) {
	t.Run("single layer", func(t *testing.T) {
		for _, c := range refCases() {
			t.Run(c.dir+"/"+c.tag, func(t *testing.T) {
				layer := layerOf(c.dir)
				res := explainWith(t, c.input, camviz.Config{Layers: []string{layer}, Methods: familyMethods}, c.target)
				for _, m := range familyMethods {
					ck := checker{t, m}
					raw, err := res.Raw(layer, m)
					if err != nil {
						t.Fatal(err)
					}
					prefix := fmt.Sprintf("%s_%s", m, c.tag)
					ck.raw(flatten(raw), c.dir, prefix+"_raw.npy")
					w, _ := res.Weights(layer, m)
					ck.weights(w, c.dir, prefix+"_weights.npy")
					final, err := res.Final(layer, m)
					if err != nil {
						t.Fatal(err)
					}
					ck.final(flatten(final), c.dir, prefix)
				}
			})
		}
	})
	t.Run("relu2+relu3", func(t *testing.T) {
		layers := []string{"relu2", "relu3"}
		res := explainWith(t, "input_nchw.npy", camviz.Config{Layers: layers, Methods: familyMethods}, camviz.ClassTarget(3))
		for _, m := range familyMethods {
			ck := checker{t, m}
			for i, l := range layers {
				raw, err := res.Raw(l, m)
				if err != nil {
					t.Fatal(err)
				}
				ck.raw(flatten(raw), "relu2+relu3", fmt.Sprintf("%s_cls3_raw_l%d.npy", m, i))
				w, _ := res.Weights(l, m)
				ck.weights(w, "relu2+relu3", fmt.Sprintf("%s_cls3_weights_l%d.npy", m, i))
			}
			if isEigen(m) {
				continue // the aggregate mixes two arbitrary SVD signs: see TestFamilyReferenceEigenAggregate
			}
			final, err := res.FinalMultiLayer(layers, m)
			if err != nil {
				t.Fatal(err)
			}
			ck.final(flatten(final), "relu2+relu3", fmt.Sprintf("%s_cls3", m))
		}
	})
	t.Run("eigen_smooth", func(t *testing.T) {
		methods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus}
		res := explainWith(t, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: methods, EigenSmooth: true},
			camviz.ClassTarget(3))
		for _, m := range methods {
			ck := checker{t, m}
			prefix := fmt.Sprintf("%s_cls3_eigensmooth", m)
			raw, _ := res.Raw("relu3", m)
			ck.raw(flatten(raw), "relu3_options", prefix+"_raw.npy")
			w, _ := res.Weights("relu3", m)
			ck.weights(w, "relu3_options", prefix+"_weights.npy")
			final, _ := res.Final("relu3", m)
			ck.final(flatten(final), "relu3_options", prefix)
		}
	})
	t.Run("aug_smooth", func(t *testing.T) {
		methods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodEigenCAM}
		res := explainWith(t, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: methods, AugSmooth: true},
			camviz.ClassTarget(3))
		for _, m := range methods {
			ck := checker{t, m}
			prefix := fmt.Sprintf("%s_cls3_augsmooth", m)
			raws, err := res.AugmentedRaw("relu3", m)
			if err != nil {
				t.Fatal(err)
			}
			ws, _ := res.AugmentedWeights("relu3", m)
			for p := range raws {
				ck.raw(flatten(raws[p]), "relu3_options", fmt.Sprintf("%s_raw_l%d.npy", prefix, p))
				if ws != nil {
					ck.weights(ws[p], "relu3_options", fmt.Sprintf("%s_weights_l%d.npy", prefix, p))
				}
			}
			if isEigen(m) {
				continue // each pass has its own SVD sign: see TestFamilyReferenceEigenAggregate
			}
			final, err := res.Final("relu3", m)
			if err != nil {
				t.Fatal(err)
			}
			ck.final(flatten(final), "relu3_options", prefix)
		}
	})
}

// alignSign returns got or −got, whichever is closer to want: the SVD leaves the sign of
// a principal-component map free, and each layer or augmented pass has its own.
func alignSign(got *heatmap.Map, want []float32) *heatmap.Map {
	if maxRelErr(negated(got.Data), want) < maxRelErr(got.Data, want) {
		return &heatmap.Map{H: got.H, W: got.W, Data: negated(got.Data)}
	}
	return got
}

// TestFamilyReferenceEigenAggregate checks the aggregated finals of the Eigen methods
// (relu2+relu3, and EigenCAM's aug_smooth), where every layer or pass has its own
// arbitrary SVD sign: camviz's raw maps are given the reference's sign per layer or pass,
// then post-processed with camviz's pipeline (ScaleLayer + AggregateLayers; PostProcess,
// flip back and average) and compared within 1e-4.
func TestFamilyReferenceEigenAggregate(t *testing.T) {
	layers := []string{"relu2", "relu3"}
	methods := []camviz.Method{camviz.MethodEigenCAM, camviz.MethodEigenGradCAM}
	res := explainWith(t, "input_nchw.npy", camviz.Config{Layers: layers, Methods: methods}, camviz.ClassTarget(3))
	for _, m := range methods {
		scaled := make([]*heatmap.Map, len(layers))
		for i, l := range layers {
			raw, _ := res.Raw(l, m)
			want := readRef(t, "relu2+relu3", fmt.Sprintf("%s_cls3_raw_l%d.npy", m, i))
			scaled[i] = heatmap.ScaleLayer(alignSign(raw[0], want.Data), 32, 32)
		}
		agg, err := heatmap.AggregateLayers(scaled)
		if err != nil {
			t.Fatal(err)
		}
		checker{t, m}.final(agg.Data, "relu2+relu3", fmt.Sprintf("%s_cls3", m))
	}

	res = explainWith(t, "input_nchw.npy", camviz.Config{Layers: []string{"relu3"}, Methods: methods[:1], AugSmooth: true},
		camviz.ClassTarget(3))
	passes, err := res.AugmentedRaw("relu3", camviz.MethodEigenCAM)
	if err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, 32*32)
	for p, maps := range passes {
		want := readRef(t, "relu3_options", fmt.Sprintf("EigenCAM_cls3_augsmooth_raw_l%d.npy", p))
		final := heatmap.PostProcess(alignSign(maps[0], want.Data), 32, 32)
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				sx := x
				if p >= 3 { // passes 3-5 saw the flipped image
					sx = 31 - x
				}
				mean[y*32+x] += float64(final.Data[y*32+sx]) / float64(len(passes))
			}
		}
	}
	got := make([]float32, len(mean))
	for i, v := range mean {
		got[i] = float32(v)
	}
	checker{t, camviz.MethodEigenCAM}.final(got, "relu3_options", "EigenCAM_cls3_augsmooth")
}

// TestFamilyReferenceSummary logs the largest error per method and kind recorded by the
// reference tests above (run them together: go test -run TestFamilyReference -v). With
// CAMVIZ_REF_SUMMARY=file it also writes the table there.
func TestFamilyReferenceSummary(t *testing.T) {
	refErrors.Lock()
	defer refErrors.Unlock()
	keys := make([]string, 0, len(refErrors.max))
	for k := range refErrors.max {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		t.Log("no reference comparison ran in this invocation")
		return
	}
	var sb strings.Builder
	sb.WriteString("largest error per method against pytorch-grad-cam (raw/weights relative, final absolute):\n")
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %s %.3g\n", k, refErrors.max[k])
	}
	t.Log(sb.String())
	if os.Getenv("CAMVIZ_REF_SUMMARY") != "" {
		_ = os.WriteFile(os.Getenv("CAMVIZ_REF_SUMMARY"), []byte(sb.String()), 0o644)
	}
}
