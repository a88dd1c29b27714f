package models

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/fastconv"
)

// TestScoreCAMWinogradF4InReruns: with fastconv's default WinogradAuto, Score-CAM's and
// Ablation-CAM's chunked re-runs of a ResNet with 128-channel 3×3 convolutions take
// F(4×4, 3×3) (camviz opens a fastconv ScoreRegion around them), the explained pass keeps
// F(2×2), and the weights and maps agree with the patch lowering (Winograd off) to 1e-4
// of their largest value.
func TestScoreCAMWinogradF4InReruns(t *testing.T) {
	m, err := New(ResNetSpec(32, 32, 3, 4, []int{128}, []int{1}))
	if err != nil {
		t.Fatal(err)
	}
	backend := newTestBackend(t)
	images, _, _ := datasets.Stack(syntheticSmall(t, 2))
	dims := m.InputDims(2)
	methods := []camviz.Method{camviz.MethodScoreCAM, camviz.MethodAblationCAM}
	layer := m.Layers[len(m.Layers)-1]
	explain := func(mode fastconv.WinogradMode) (*camviz.Result, fastconv.Stats) {
		saved := fastconv.Winograd
		fastconv.Winograd = mode
		defer func() { fastconv.Winograd = saved }()
		before, _ := fastconv.StatsOf(backend)
		cfg := m.Config([]string{layer}, methods...)
		cfg.ChunkSize = 16
		ex, err := camviz.NewExplainer(backend, m.Store, m.Fn, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(1))
		if err != nil {
			t.Fatal(err)
		}
		after, _ := fastconv.StatsOf(backend)
		return res, fastconv.Stats{Winograd: after.Winograd - before.Winograd, WinogradF4: after.WinogradF4 - before.WinogradF4}
	}
	auto, stats := explain(fastconv.WinogradAuto)
	if stats.WinogradF4 == 0 || stats.Winograd == stats.WinogradF4 {
		t.Errorf("Winograd counts %+v: want F(4×4) in the re-runs and F(2×2) in the explained pass", stats)
	}
	t.Logf("convolutions: %d on Winograd, %d of them F(4×4)", stats.Winograd, stats.WinogradF4)
	off, offStats := explain(fastconv.WinogradOff)
	if offStats.Winograd != 0 {
		t.Fatalf("Winograd off still lowered %d convolutions with it", offStats.Winograd)
	}
	for _, meth := range methods {
		got, err := auto.Raw(layer, meth)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := off.Raw(layer, meth)
		checkClose(t, string(meth)+" raw map, F(4×4) re-runs vs patches", flatMaps(got), flatMaps(want), 1e-4, 1e-4*maxAbs(flatMaps(want)))
		gw, _ := auto.Weights(layer, meth)
		ww, _ := off.Weights(layer, meth)
		var maxDiff, maxRef float64
		for i := range ww {
			for j := range ww[i] {
				maxDiff = math.Max(maxDiff, math.Abs(float64(gw[i][j]-ww[i][j])))
				maxRef = math.Max(maxRef, math.Abs(float64(ww[i][j])))
			}
		}
		t.Logf("%s weights: max difference %.3g of max %.3g", meth, maxDiff, maxRef)
		if maxDiff > 1e-4*maxRef {
			t.Errorf("%s weights: F(4×4) re-runs differ from patches by %.3g of %.3g", meth, maxDiff, maxRef)
		}
	}
}
