package evaluate

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
)

// Page is what WriteFiles shows besides the table: where the images and the model come
// from, the command that made the report, and the optional randomization check.
type Page struct {
	// Source says what was evaluated ("model …; 200 synthetic 64x64 images").
	Source string
	// Command is the command line that made the report, shown on the HTML page.
	Command string
	// Sanity, when set, is added as sanity tables and a section of the page.
	Sanity *SanityResult
}

// page is a Page with its report.
type page struct {
	report  *Report
	sanity  *SanityResult
	source  string
	command string
}

// chart is one PNG of the page.
type chart struct {
	file, caption string
	img           image.Image
}

// charts draws the report's curves: box accuracy per δ, pixel precision-recall, and the
// deletion and insertion curves, each when the report has it.
func (p page) charts() ([]chart, error) {
	r := p.report
	var out []chart
	if len(r.Rows) > 0 && (r.Rows[0].BoxV2 != nil || r.Rows[0].Box != nil) {
		res := r.Rows[0].BoxV2
		if res == nil {
			res = r.Rows[0].Box
		}
		for _, d := range res.PerDelta {
			img, err := BoxAccuracyChart(r, d.Delta)
			if err != nil {
				return nil, err
			}
			out = append(out, chart{fmt.Sprintf("box-accuracy-delta%02.0f.png", 100*d.Delta),
				fmt.Sprintf("Box accuracy against the CAM threshold τ at IoU ≥ %g; its peak is MaxBoxAcc at δ = %g.", d.Delta, d.Delta), img})
		}
	}
	if len(r.Rows) > 0 && r.Rows[0].PxAP != nil {
		img, err := PrecisionRecallChart(r)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{"pixel-precision-recall.png", "Pixel precision against recall; the area under each curve is PxAP.", img})
	}
	for _, c := range []struct {
		mode metrics.CausalMode
		has  bool
		text string
	}{{metrics.Deletion, len(r.Rows) > 0 && r.Rows[0].Deletion != nil, "Deletion: probability as the most salient pixels are zeroed (lower is better)."},
		{metrics.Insertion, len(r.Rows) > 0 && r.Rows[0].Insertion != nil, "Insertion: probability as the most salient pixels are restored on a blurred image (higher is better)."}} {
		if !c.has {
			continue
		}
		img, err := CausalChart(r, c.mode)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{c.mode.String() + ".png", c.text, img})
	}
	return out, nil
}

// WriteFiles writes the report into dir as table.csv (full precision, Report.WriteCSV),
// table.md, one PNG chart per curve (box accuracy against τ per δ, pixel
// precision-recall, deletion, insertion; each when the report has it) and index.html,
// which shows the table, the charts and the sanity check; it returns the file names.
// The camviz evaluate command and the Beam pipeline (examples/beam) both write their
// reports with it.
func WriteFiles(dir string, r *Report, pg Page) ([]string, error) {
	if r == nil {
		return nil, fmt.Errorf("evaluate.WriteFiles: no report")
	}
	p := page{report: r, sanity: pg.Sanity, source: pg.Source, command: pg.Command}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	write := func(name string, data []byte) error {
		files = append(files, name)
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	var csv bytes.Buffer
	if err := p.report.WriteCSV(&csv); err != nil {
		return nil, err
	}
	if err := write("table.csv", csv.Bytes()); err != nil {
		return nil, err
	}
	md := fmt.Sprintf("%s; %s, %d images, top-1 accuracy %.1f%%, maps of the %s.\n\n%s",
		p.source, p.report.Model, p.report.Images, p.report.Accuracy, p.report.Target, p.report.Markdown())
	if p.sanity != nil {
		md += "\n" + sanityMarkdown(p.sanity)
	}
	if err := write("table.md", []byte(md)); err != nil {
		return nil, err
	}
	charts, err := p.charts()
	if err != nil {
		return nil, err
	}
	for _, c := range charts {
		png, err := heatmap.PNGBytes(c.img)
		if err != nil {
			return nil, err
		}
		if err := write(c.file, png); err != nil {
			return nil, err
		}
	}
	if err := write("index.html", []byte(p.html(charts))); err != nil {
		return nil, err
	}
	return files, nil
}

// sanityMarkdown prints the randomization check as two Markdown tables.
func sanityMarkdown(s *SanityResult) string {
	var b strings.Builder
	for _, part := range []struct {
		name string
		get  func(SanityRow) []float64
	}{{"Spearman rank correlation", func(r SanityRow) []float64 { return r.Spearman }},
		{"SSIM", func(r SanityRow) []float64 { return r.SSIM }}} {
		fmt.Fprintf(&b, "%s between the trained model's maps and those of the model randomized from the logits down to each block (%d images):\n\n| layer | method |", part.name, s.Images)
		for _, st := range s.Steps {
			b.WriteString(" " + st + " |")
		}
		b.WriteString("\n| --- | --- |" + strings.Repeat(" ---: |", len(s.Steps)) + "\n")
		for _, r := range s.Rows {
			fmt.Fprintf(&b, "| %s | %s |", r.Layer, r.Method)
			for _, v := range part.get(r) {
				fmt.Fprintf(&b, " %.3f |", v)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// html is the page: the table, the charts (as the PNG files beside it) and the sanity
// check.
func (p page) html(charts []chart) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>camviz evaluation</title></head>\n" +
		"<body style=\"font-family:sans-serif;max-width:1100px;margin:1em auto\">\n<h1>CAM evaluation</h1>\n")
	fmt.Fprintf(&b, "<p>%s; model %s; %d images, top-1 accuracy %.1f%%; maps of the %s.</p>\n",
		html.EscapeString(p.source), html.EscapeString(p.report.Model), p.report.Images, p.report.Accuracy, p.report.Target)
	if p.command != "" {
		fmt.Fprintf(&b, "<p><code>%s</code></p>\n", html.EscapeString(p.command))
	}
	b.WriteString(p.report.HTMLTable())
	b.WriteString("<p style=\"font-size:13px\">↑ higher is better, ↓ lower is better; the best value of each column is bold. " +
		"Box accuracies, Top-1 Loc, PxAP, the pointing game, Average Drop and Increase in Confidence are percentages; " +
		"deletion and insertion AUCs are in units of the class probability; ROAD is a difference of probabilities. " +
		"Also in <a href=\"table.csv\">table.csv</a> and <a href=\"table.md\">table.md</a>.</p>\n")
	for _, c := range charts {
		fmt.Fprintf(&b, "<figure><img src=\"%s\" alt=\"%s\"><figcaption style=\"font-size:13px\">%s</figcaption></figure>\n",
			c.file, html.EscapeString(c.caption), html.EscapeString(c.caption))
	}
	if p.sanity != nil {
		b.WriteString("<h2>Sanity check: cascading model-parameter randomization</h2>\n<pre>" + html.EscapeString(p.sanity.String()) + "</pre>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}
