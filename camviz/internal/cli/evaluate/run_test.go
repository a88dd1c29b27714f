package evaluate

import (
	"bytes"
	"encoding/csv"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/metrics"
	"github.com/camviz/camviz/camviz/models"
)

// tinyModelDir saves an untrained 32×32 GAP-CNN with 3 classes and returns its folder.
func tinyModelDir(t *testing.T) string {
	t.Helper()
	m, err := models.New(models.GAPCNNSpec(32, 32, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(b, make([]float32, 32*32*3), 1); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunWritesTableAndCharts(t *testing.T) {
	modelDir := tinyModelDir(t)
	out := filepath.Join(t.TempDir(), "eval")
	var stdout bytes.Buffer
	args := []string{"-model", modelDir, "-data", "synthetic", "-n", "6", "-methods", "CAM,GradCAM", "-causal-steps", "8", "-quiet", "-out", out}
	if err := run(args, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"table.csv", "table.md", "index.html", "box-accuracy-delta30.png", "box-accuracy-delta50.png",
		"box-accuracy-delta70.png", "pixel-precision-recall.png", "deletion.png", "insertion.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(out, "table.csv"))
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0][0] != "layer" || recs[0][2] != "MaxBoxAcc" || len(recs[0]) != 11 {
		t.Fatalf("CSV:\n%s", raw)
	}
	col := map[string]int{}
	for j, h := range recs[0] {
		col[h] = j
	}
	for _, rec := range recs[1:] {
		for j, s := range rec[2:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
				t.Errorf("%s %s = %q: want a number in [0, 100]", rec[1], recs[0][2+j], s)
			}
		}
	}

	// CAM's MaxBoxAccV2 and PxAP from camviz and camviz/metrics directly, on the same images.
	m, err := models.Load(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	ex, _, err := loadData("synthetic", m, 6)
	if err != nil {
		t.Fatal(err)
	}
	images, labels, _ := datasets.Stack(ex)
	classes := make([]int, len(labels))
	for i, l := range labels {
		classes[i] = int(l)
	}
	b, _ := backends.New()
	ce, err := m.Explainer(b, []string{"block3"}, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ce.ExplainFloats(images, m.InputDims(6), camviz.ClassTarget(classes...))
	if err != nil {
		t.Fatal(err)
	}
	maps, err := res.Final("block3", camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	box, _ := metrics.NewBoxAccumulator(metrics.BoxConfig{MultiContour: true})
	px, _ := metrics.NewPxAPAccumulator(metrics.PxAPConfig{})
	boxes := make([][]image.Rectangle, len(ex))
	masks := make([][]bool, len(ex))
	for i, e := range ex {
		boxes[i], masks[i] = []image.Rectangle{e.Box}, e.Mask
	}
	if err := box.Update(maps, boxes, nil); err != nil {
		t.Fatal(err)
	}
	if err := px.Update(maps, masks); err != nil {
		t.Fatal(err)
	}
	bs, _ := box.Summary()
	ps, _ := px.Summary()
	row := recs[1]
	if row[1] != "CAM" {
		t.Fatalf("first row is %v, want CAM", row)
	}
	for name, want := range map[string]float64{"MaxBoxAccV2": bs.MaxBoxAccV2, "PxAP": ps.PxAP} {
		got, _ := strconv.ParseFloat(row[col[name]], 64)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("CAM %s = %v in table.csv, %v from camviz/metrics", name, got, want)
		}
	}
	if !strings.Contains(stdout.String(), "wrote table.csv") || !strings.Contains(stdout.String(), "model "+modelDir+"; 6 synthetic 32x32 images") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !strings.Contains(string(page), `<img src="pixel-precision-recall.png"`) || !strings.Contains(string(page), "<td") {
		t.Errorf("index.html lacks the table or a chart")
	}
}

func TestRunUsageErrors(t *testing.T) {
	modelDir := tinyModelDir(t)
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", out}, "-model and -out are required"},
		{[]string{"-model", modelDir, "-out", out, "-metrics", "IoU"}, "unknown metric"},
		{[]string{"-model", modelDir, "-out", out, "-methods", "SmoothCAM"}, "unknown method"},
		{[]string{"-model", modelDir, "-out", out, "-data", "fmnist-canvas"}, "10 classes"},
		{[]string{"-model", "no-such-model", "-out", out}, "neither a model folder"},
		{[]string{"-model", modelDir, "-out", out, "-target", "best"}, "label or predicted"},
	} {
		err := run(c.args, new(bytes.Buffer), io.Discard)
		if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
}
