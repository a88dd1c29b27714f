package camviz_test

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/compute"
)

// testBackend is shared by the package's tests.
var testBackend = func() compute.Backend {
	b, err := backends.New()
	if err != nil {
		panic(err)
	}
	return b
}()

// refCase is one pytorch-grad-cam reference run on model A.
type refCase struct {
	dir    string // folder under outputs/
	tag    string // cls3, argmax, cls3_cls5
	input  string
	target camviz.Target
}

func refCases() []refCase {
	return []refCase{
		{"relu3", "cls3", "input_nchw.npy", camviz.ClassTarget(3)},
		{"relu3", "argmax", "input_nchw.npy", camviz.ArgmaxTarget()},
		{"relu2", "cls3", "input_nchw.npy", camviz.ClassTarget(3)},
		{"relu2", "argmax", "input_nchw.npy", camviz.ArgmaxTarget()},
		{"relu3_batch2", "argmax", "input_b2_nchw.npy", camviz.ArgmaxTarget()},
		{"relu3_batch2", "cls3_cls5", "input_b2_nchw.npy", camviz.ClassTarget(3, 5)},
	}
}

func layerOf(dir string) string {
	if dir == "relu3_batch2" {
		return "relu3"
	}
	return dir
}

func readRef(t *testing.T, parts ...string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(append([]string{modela.Dir(), "outputs"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// maxRelErr returns max|got−want| / max|want|.
func maxRelErr(got, want []float32) float64 {
	var maxDiff, maxWant float64
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxWant = math.Max(maxWant, math.Abs(float64(want[i])))
	}
	if maxWant == 0 {
		return maxDiff
	}
	return maxDiff / maxWant
}

func maxAbsErr(got, want []float32) float64 {
	var m float64
	for i := range want {
		m = math.Max(m, math.Abs(float64(got[i])-float64(want[i])))
	}
	return m
}

func flatten(maps []*heatmap.Map) []float32 {
	var out []float32
	for _, m := range maps {
		out = append(out, m.Data...)
	}
	return out
}

func explainModelA(t *testing.T, input string, layers []string, methods []camviz.Method, target camviz.Target) *camviz.Result {
	t.Helper()
	store, fn, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := camviz.NewExplainer(testBackend, store, fn, camviz.Config{
		Layers: layers, Methods: methods, CAMWeights: "fc/weights"})
	if err != nil {
		t.Fatal(err)
	}
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

// TestReferenceCAMAndGradCAM checks raw maps, weights and finals of CAM and Grad-CAM
// against pytorch-grad-cam v1.5.5 on model A: raw and weights within 1e-5 relative,
// finals within 1e-4 absolute.
func TestReferenceCAMAndGradCAM(t *testing.T) {
	methods := []camviz.Method{camviz.MethodCAM, camviz.MethodGradCAM}
	for _, c := range refCases() {
		t.Run(c.dir+"/"+c.tag, func(t *testing.T) {
			ms := methods
			if layerOf(c.dir) != "relu3" {
				ms = methods[1:] // CAM applies only at the layer before the GAP head
			}
			res := explainModelA(t, c.input, []string{layerOf(c.dir)}, ms, c.target)
			for _, m := range ms {
				if m == camviz.MethodCAM && c.dir != "relu3" {
					continue // the reference has CAM only for a single image
				}
				raw, err := res.Raw(layerOf(c.dir), m)
				if err != nil {
					t.Fatal(err)
				}
				want := readRef(t, c.dir, fmt.Sprintf("%s_%s_raw.npy", m, c.tag))
				if e := maxRelErr(flatten(raw), want.Data); e > 1e-5 {
					t.Errorf("%s raw: max relative error %.3g > 1e-5", m, e)
				}
				final, err := res.Final(layerOf(c.dir), m)
				if err != nil {
					t.Fatal(err)
				}
				wantFinal := readRef(t, c.dir, fmt.Sprintf("%s_%s_final.npy", m, c.tag))
				if e := maxAbsErr(flatten(final), wantFinal.Data); e > 1e-4 {
					t.Errorf("%s final: max abs error %.3g > 1e-4", m, e)
				}
				if m == camviz.MethodGradCAM {
					w, err := res.Weights(layerOf(c.dir), m)
					if err != nil {
						t.Fatal(err)
					}
					var flat []float32
					for _, row := range w {
						flat = append(flat, row...)
					}
					wantW := readRef(t, c.dir, fmt.Sprintf("%s_%s_weights.npy", m, c.tag))
					if e := maxRelErr(flat, wantW.Data); e > 1e-5 {
						t.Errorf("%s weights: max relative error %.3g > 1e-5", m, e)
					}
				}
			}
			if c.tag == "argmax" {
				// pytorch-grad-cam chose class 7 for both reference images.
				for i, cls := range res.Classes {
					if cls != 7 {
						t.Errorf("argmax class of example %d = %d, want 7", i, cls)
					}
				}
			}
		})
	}
}

// TestReferenceMultiLayer checks the relu2+relu3 aggregation (mean of per-layer finals,
// renormalised) against the reference within 1e-4.
func TestReferenceMultiLayer(t *testing.T) {
	layers := []string{"relu2", "relu3"}
	res := explainModelA(t, "input_nchw.npy", layers, []camviz.Method{camviz.MethodGradCAM}, camviz.ClassTarget(3))
	for i, l := range layers {
		raw, err := res.Raw(l, camviz.MethodGradCAM)
		if err != nil {
			t.Fatal(err)
		}
		want := readRef(t, "relu2+relu3", fmt.Sprintf("GradCAM_cls3_raw_l%d.npy", i))
		if e := maxRelErr(flatten(raw), want.Data); e > 1e-5 {
			t.Errorf("layer %s raw: max relative error %.3g", l, e)
		}
	}
	final, err := res.FinalMultiLayer(layers, camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	want := readRef(t, "relu2+relu3", "GradCAM_cls3_final.npy")
	if e := maxAbsErr(flatten(final), want.Data); e > 1e-4 {
		t.Errorf("multi-layer final: max abs error %.3g > 1e-4", e)
	}
}
