package bench

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickRun runs the bench end to end with tiny sizes (a narrow ResNet-18
// at 32×32, small convolutions) and checks every row is there with a positive
// value, the ratios are the ratios of the reported medians, the graph notes
// give the hand-counted convolutions (see TestGradCAMRunsOnlyInputGradients)
// and the Markdown file holds the same rows.
func TestQuickRun(t *testing.T) {
	md := filepath.Join(t.TempDir(), "table.md")
	opts := options{Quick: true, Reps: 2, Warmup: 1, ScoreReps: 1, Batches: []int{1, 2}, Spec: tinyResNet18(),
		ScoreCAM: true, ScoreChunks: []int{1, 4}, Throughput: 3, MD: md, Convs: []convShape{
			{Name: "stem 7×7/2", Batch: 1, Size: 16, Cin: 3, Cout: 4, K: 7, Stride: 2, Pad: 3},
			{Name: "3×3 @8", Batch: 1, Size: 8, Cin: 8, Cout: 8, K: 3, Stride: 1, Pad: 1},
		}}
	var out bytes.Buffer
	rep, err := run(opts, "camviz bench -test", &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range opts.Convs {
		want = append(want, "conv/"+c.Name+"/lowered", "conv/"+c.Name+"/native")
	}
	for _, b := range []string{"b1", "b2"} {
		for _, k := range []string{"forward", "gradcam", "gradcam-blocks", "gradcampp", "eigencam",
			"ratio-gradcam-forward", "ratio-blocks-one"} {
			want = append(want, "resnet/"+b+"/"+k)
		}
	}
	want = append(want, "resnet/b1/scorecam", "resnet/b1/scorecam-256MiB", "resnet/b1/scorecam-rss-1024MiB",
		"resnet/b1/scorecam-rss-256MiB", "resnet/b1/scorecam-rss-estimate-1024MiB", "resnet/b1/scorecam-rss-estimate-256MiB",
		"scorecam-chunk/1", "scorecam-chunk/4", "throughput/pipeline", "throughput/ratio",
		"overlay", "rss/whole run")
	for _, id := range want {
		r, ok := rep.find(id)
		if !ok {
			t.Errorf("no row %q", id)
			continue
		}
		if !(r.Value > 0) || math.IsInf(r.Value, 0) {
			t.Errorf("row %q = %v %s, want a positive number", id, r.Value, r.Unit)
		}
	}
	for _, b := range []string{"b1", "b2"} {
		get := func(k string) float64 { r, _ := rep.find("resnet/" + b + "/" + k); return r.Value }
		if r, f := get("ratio-gradcam-forward"), get("gradcam")/get("forward"); math.Abs(r-f) > 1e-9*f {
			t.Errorf("%s: Grad-CAM/forward = %v, but the rows give %v", b, r, f)
		}
		if r, f := get("ratio-blocks-one"), get("gradcam-blocks")/get("gradcam"); math.Abs(r-f) > 1e-9*f {
			t.Errorf("%s: all blocks/one block = %v, but the rows give %v", b, r, f)
		}
	}
	notes := map[string]string{
		"resnet/b1/ratio-gradcam-forward":        "forward 20, Grad-CAM 20",
		"resnet/b1/ratio-blocks-one":             "54 built = 20 forward + 34 backward",
		"resnet/b1/scorecam":                     "16 passes", // one per channel of layer4.1
		"resnet/b1/scorecam-256MiB":              "16 passes in 1 chunks of 16",
		"resnet/b1/scorecam-rss-256MiB":          "at its start",
		"resnet/b1/scorecam-rss-estimate-256MiB": "compiled graph (1 chunks)",
	}
	for id, n := range notes {
		if r, _ := rep.find(id); !strings.Contains(r.Note, n) {
			t.Errorf("row %q note %q, want it to say %q", id, r.Note, n)
		}
	}
	var peak float64 // the whole run's peak is the largest section peak
	for _, r := range rep.Rows {
		if r.Section == "Memory" && r.ID != "rss/whole run" {
			peak = max(peak, r.Value)
		}
	}
	if r, _ := rep.find("rss/whole run"); r.Value != peak {
		t.Errorf("whole-run peak RSS %v MiB, want the largest section peak %v MiB", r.Value, peak)
	}
	text := out.String()
	for _, s := range []string{rep.Machine.CPU, "Reference (pytorch-grad-cam, measured by the project)", "165 ms"} {
		if !strings.Contains(text, s) {
			t.Errorf("printed table lacks %q", s)
		}
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	tableLines := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| ") {
			tableLines++
		}
	}
	sections := map[string]bool{}
	for _, r := range rep.Rows {
		sections[r.Section] = true
	}
	if want := len(rep.Rows) + 2*len(sections); tableLines != want { // + a header and a separator per section
		t.Errorf("markdown tables have %d lines, want %d (%d rows, %d sections)", tableLines, want, len(rep.Rows),
			len(sections))
	}
}
