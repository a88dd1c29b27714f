package evaluate

import (
	"bytes"
	"encoding/csv"
	"image"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
)

// handReport builds a two-row report from the hand-made maps of rectSet: a perfect row
// and a full-image row (see TestAccumulatorLocalizationByHand for their values).
func handReport(t *testing.T) *Report {
	ex := rectSet()
	cfg := Config{Metrics: []Metric{MaxBoxAcc, MaxBoxAccV2, PxAP, AverageDrop, Deletion}}
	perfect := make([]*heatmap.Map, len(ex))
	full := make([]*heatmap.Map, len(ex))
	for i, e := range ex {
		perfect[i] = boxMap(16, 16, e.Box)
		full[i] = constMap(16, 16, 1)
		full[i].Data[0] = 0
	}
	correct := []bool{true, true, true, true}
	r := &Report{Model: "hand", Images: 4, Accuracy: 100, Metrics: cfg.Metrics}
	for _, c := range []struct {
		name string
		maps []*heatmap.Map
	}{{"Perfect", perfect}, {"Full", full}} {
		row := summarize(t, cfg, affineScore, ex, c.maps, correct)
		row.Layer, row.Method = "hand", camviz.Method("hand"+c.name)
		r.Rows = append(r.Rows, row)
	}
	return r
}

func TestReportFormats(t *testing.T) {
	r := handReport(t)
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != "layer,method,MaxBoxAcc,MaxBoxAccV2,PxAP,AverageDrop,DeletionAUC" {
		t.Fatalf("CSV %v", recs)
	}
	for i, want := range []float64{100, 100, 100} {
		if v, _ := strconv.ParseFloat(recs[1][2+i], 64); v != want {
			t.Errorf("perfect row column %s = %s, want %v", recs[0][2+i], recs[1][2+i], want)
		}
	}
	if v, _ := strconv.ParseFloat(recs[2][3], 64); !near(v, 125.0/3) {
		t.Errorf("full-image MaxBoxAccV2 = %s in the CSV, want 41.666…", recs[2][3])
	}
	md := r.Markdown()
	// The perfect row is best at every localization metric; bold marks it.
	if !strings.Contains(md, "| hand | handPerfect | **100.0** | **100.0** | **100.0** |") || !strings.Contains(md, "MaxBoxAcc ↑") || !strings.Contains(md, "AverageDrop ↓") {
		t.Errorf("Markdown:\n%s", md)
	}
	if h := r.HTMLTable(); strings.Count(h, "<tr>") != 3 || !strings.Contains(h, "font-weight:bold") {
		t.Errorf("HTML table:\n%s", h)
	}
	if s := r.String(); !strings.Contains(s, "41.7") || !strings.Contains(s, "4 images") {
		t.Errorf("String:\n%s", s)
	}
	if _, err := r.Value("hand", "nope", PxAP); err == nil {
		t.Error("Value of a missing row: no error")
	}
	if _, err := r.Value("hand", "handFull", ROAD); err == nil {
		t.Error("Value of a missing column: no error")
	}
}

func TestCharts(t *testing.T) {
	r := handReport(t)
	for name, fn := range map[string]func() (image.Image, error){
		"box":      func() (image.Image, error) { return BoxAccuracyChart(r, 0.7) },
		"pr":       func() (image.Image, error) { return PrecisionRecallChart(r) },
		"deletion": func() (image.Image, error) { return CausalChart(r, metrics.Deletion) },
	} {
		img, err := fn()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// 7 × 3.6 inches at 110 dpi.
		if b := img.Bounds(); b.Dx() != 770 || b.Dy() != 396 {
			t.Errorf("%s chart is %v, want 770x396", name, b)
		}
	}
	if _, err := BoxAccuracyChart(r, 0.9); err == nil {
		t.Error("a δ that was not evaluated: no error")
	}
	if _, err := CausalChart(r, metrics.Insertion); err == nil {
		t.Error("insertion was not computed: no error")
	}
}

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "evaluate", 10)
	p.add(4)
	p.add(6)
	out := buf.String()
	if !strings.HasPrefix(out, "\revaluate    0/10 images   0% [") || !strings.HasSuffix(out, "\n") ||
		!strings.Contains(out, "10/10 images 100% [====================]") {
		t.Errorf("progress output %q", out)
	}
	var none *progress
	none.add(3) // a nil progress (no writer) is a no-op
}
