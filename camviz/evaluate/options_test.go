package evaluate

import (
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
)

func TestParseMethods(t *testing.T) {
	if got, err := ParseMethods(" ALL "); err != nil || got != nil {
		t.Errorf(`ParseMethods("all") = %v, %v; want nil (every method)`, got, err)
	}
	got, err := ParseMethods("gradcam, ScoreCAM,,")
	if want := []camviz.Method{camviz.MethodGradCAM, camviz.MethodScoreCAM}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseMethods = %v, %v; want %v", got, err, want)
	}
	if _, err := ParseMethods("gradcam,nosuch"); err == nil {
		t.Error("ParseMethods accepted an unknown method")
	}
}

func TestParseTarget(t *testing.T) {
	for s, want := range map[string]Target{"label": TargetLabel, "predicted": TargetPredicted} {
		if got, err := ParseTarget(s); err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseTarget("best"); err == nil {
		t.Error(`ParseTarget("best") gave no error`)
	}
}

func TestWSOLDefaultMetrics(t *testing.T) {
	cub, oi := WSOLDefaultMetrics(datasets.WSOLCUB), WSOLDefaultMetrics(datasets.WSOLOpenImages)
	if slices.Contains(cub, PxAP) || !slices.Contains(oi, PxAP) {
		t.Errorf("PxAP in CUB's defaults %v or missing from OpenImages' %v", cub, oi)
	}
	if len(oi) != len(DefaultMetrics()) || len(cub) != len(oi)-1 {
		t.Errorf("CUB %v, OpenImages %v: want DefaultMetrics %v without PxAP / all of it", cub, oi, DefaultMetrics())
	}
}
