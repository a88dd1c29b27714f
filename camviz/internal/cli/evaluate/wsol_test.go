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

// A miniature OpenImages benchmark in wsolevaluation's layout evaluates end to end, and
// the table's MaxBoxAccV2 and PxAP equal camviz/metrics on the same maps with every
// object's box and the ignore regions left out of PxAP.
func TestRunWSOLOpenImages(t *testing.T) {
	modelDir := tinyModelDir(t)
	dir := t.TempDir()
	syn := datasets.SyntheticConfig{Size: 32, NumClasses: 3, MinScale: 0.25, MaxScale: 0.5, Clutter: 0.3, Seed: 7}
	_, test, err := datasets.WriteMiniWSOL(dir, datasets.MiniWSOLConfig{Dataset: "OpenImages", Synthetic: syn, Test: 7})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "eval")
	var stdout bytes.Buffer
	args := []string{"-model", modelDir, "--wsol-metadata", filepath.Join(dir, "metadata"), "--images", filepath.Join(dir, "images", "OpenImages"),
		"--masks", filepath.Join(dir, "masks", "OpenImages"), "--dataset", "OpenImages", "--split", "test",
		"-methods", "CAM", "-metrics", "MaxBoxAccV2,PxAP", "-batch", "3", "-quiet", "-out", out}
	if err := run(args, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "7 OpenImages test images") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	raw, _ := os.ReadFile(filepath.Join(out, "table.csv"))
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][2] != "MaxBoxAccV2" || recs[0][3] != "PxAP" {
		t.Fatalf("CSV %v:\n%s", err, raw)
	}

	m, _ := models.Load(modelDir)
	images, _, _ := datasets.Stack(test)
	classes := make([]int, len(test))
	boxes := make([][]image.Rectangle, len(test))
	masks, ignore := make([][]bool, len(test)), make([][]bool, len(test))
	several := false
	for i, e := range test {
		classes[i], boxes[i], masks[i], ignore[i] = e.Label, e.Boxes, e.Mask, e.Ignore
		several = several || len(e.Boxes) > 1
	}
	if !several {
		t.Fatal("test data: no image with several objects")
	}
	b, _ := backends.New()
	ce, err := m.Explainer(b, []string{"block3"}, camviz.MethodCAM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ce.ExplainFloats(images, m.InputDims(len(test)), camviz.ClassTarget(classes...))
	if err != nil {
		t.Fatal(err)
	}
	maps, _ := res.Final("block3", camviz.MethodCAM)
	box, _ := metrics.NewBoxAccumulator(metrics.BoxConfig{MultiContour: true})
	px, _ := metrics.NewPxAPAccumulator(metrics.PxAPConfig{})
	if err := box.Update(maps, boxes, nil); err != nil {
		t.Fatal(err)
	}
	if err := px.UpdateWithIgnore(maps, masks, ignore); err != nil {
		t.Fatal(err)
	}
	bs, _ := box.Summary()
	ps, _ := px.Summary()
	for j, want := range []float64{bs.MaxBoxAccV2, ps.PxAP} {
		got, _ := strconv.ParseFloat(recs[1][2+j], 64)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v in table.csv, %v from camviz/metrics", recs[0][2+j], got, want)
		}
	}
}

// CUB's layout: the default columns leave PxAP out (the box datasets have no masks).
func TestRunWSOLCUBDefaultsAndErrors(t *testing.T) {
	modelDir := tinyModelDir(t)
	dir := t.TempDir()
	syn := datasets.SyntheticConfig{Size: 32, NumClasses: 3, MinScale: 0.25, MaxScale: 0.5, Clutter: 0.3, Seed: 8}
	if _, _, err := datasets.WriteMiniWSOL(dir, datasets.MiniWSOLConfig{Dataset: "CUB", Synthetic: syn, TrainFullsup: 3}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "eval")
	var stdout bytes.Buffer
	wsol := []string{"-model", modelDir, "-wsol-metadata", filepath.Join(dir, "metadata"), "-images", filepath.Join(dir, "images", "CUB"), "-dataset", "CUB"}
	args := append(append([]string{}, wsol...), "-split", "train-fullsup", "-methods", "GradCAM", "-causal-steps", "4", "-quiet", "-out", out)
	if err := run(args, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "table.csv"))
	header := strings.SplitN(string(raw), "\n", 2)[0]
	if strings.Contains(header, "PxAP") || !strings.Contains(header, "MaxBoxAccV2") || !strings.Contains(stdout.String(), "3 CUB train-fullsup images") {
		t.Errorf("header %q, stdout:\n%s", header, stdout.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", modelDir, "-out", out, "-wsol-metadata", dir}, "needs -images"},
		{append(append([]string{}, wsol...), "-out", out, "-split", "trainval"), "use train-fullsup"},
		{[]string{"-model", modelDir, "-out", out, "-dataset", "CUB"}, "go with -wsol-metadata"},
	} {
		err := run(c.args, new(bytes.Buffer), io.Discard)
		if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
	// The test split was not written.
	if err := run(append(append([]string{}, wsol...), "-out", out, "-quiet"), new(bytes.Buffer), io.Discard); err == nil || !strings.Contains(err.Error(), "image_ids.txt") {
		t.Errorf("missing test split: %v", err)
	}
}
